/**
 * Hand-made analyses for the monitor's tests: four tenders from two
 * authorities over three years, with the figures worked out by hand in
 * aggregate.test.ts. Only the tests import this.
 */
import type { Evidence, RequestedStandard, TenderAnalysis } from "../types.ts";

const quote = (text: string, page = 1): Evidence => ({ quote: text, page });

function requested(standard: string, level: RequestedStandard["level"] = "required"): RequestedStandard {
  return { standard, level, evidence: [quote(`The supplier shall support ${standard}.`)] };
}

/** An analysis as the detector would produce it, with `missing` and `coverage` consistent. */
export function analysis(fields: Partial<TenderAnalysis> & Pick<TenderAnalysis, "source">): TenderAnalysis {
  const relevant = fields.relevant ?? [];
  const requestedList = fields.requested ?? [];
  const asked = new Set(requestedList.map((entry) => entry.standard));
  const missing = relevant.filter((id) => !asked.has(id));
  return {
    language: "en",
    title: null,
    authority: null,
    publishedAt: null,
    cpv: [],
    categories: [],
    genericDemand: [],
    ignored: [],
    ...fields,
    relevant,
    requested: requestedList,
    missing: fields.missing ?? missing,
    coverage: fields.coverage ?? (relevant.length === 0 ? null : (relevant.length - missing.length) / relevant.length),
  };
}

/** 2023, Ministerie van Financiën: web hosting, asks only HTTPS (once as a wish, once as a requirement). */
export const ministryWebsite = analysis({
  source: "tenders/minfin-website-2023.pdf",
  language: "nl",
  title: "Beheer en hosting van de website van het ministerie",
  authority: "Ministerie van Financiën",
  publishedAt: "2023-02-14",
  cpv: ["72415000"],
  categories: ["web-hosting"],
  relevant: ["dnssec", "https", "hsts", "tls"],
  requested: [requested("https", "desired"), requested("https")],
  ignored: [{ standard: "ipv6", reason: "negated", evidence: quote("IPv6 is niet vereist.") }],
});

/** 2022, Gemeente Utrecht: web hosting, asks three of five, and refers to "the mandatory standards". */
export const cityHosting = analysis({
  source: "tenders/utrecht-hosting-2022.docx",
  language: "nl",
  title: "Hosting gemeentelijke websites",
  authority: "Gemeente Utrecht",
  publishedAt: "2022-03-10",
  cpv: ["72415000"],
  categories: ["web-hosting"],
  relevant: ["dnssec", "https", "hsts", "tls", "ipv6"],
  requested: [requested("dnssec"), requested("https"), requested("tls", "desired")],
  genericDemand: [quote("De leverancier voldoet aan de verplichte standaarden van de pas-toe-of-leg-uitlijst.", 4)],
});

/** 2024, Ministerie van Financiën: office furniture, nothing relevant. */
export const ministryFurniture = analysis({
  source: "tenders/minfin-furniture-2024.pdf",
  language: "nl",
  title: "Kantoormeubilair",
  authority: "Ministerie van Financiën",
  publishedAt: "2024-07-01T10:00:00+02:00",
  cpv: ["39130000"],
});

/** 2023, Gemeente Utrecht (spelled differently): e-mail, asks all five relevant standards and ISO 27001. */
export const cityMail = analysis({
  source: "https://www.tenderned.nl/aankondigingen/overzicht/301234",
  language: "nl",
  title: "E-maildienstverlening",
  authority: "gemeente  Utrecht ",
  publishedAt: "2023-11-02",
  cpv: ["72510000"],
  categories: ["email-service"],
  relevant: ["dmarc", "spf", "dkim", "starttls", "dane"],
  requested: [requested("dmarc"), requested("spf"), requested("dkim", "desired"), requested("starttls"), requested("dane"), requested("iso-27001")],
});

/** Input order is deliberately not chronological, to show the trend is sorted. */
export const corpus: TenderAnalysis[] = [ministryWebsite, cityHosting, ministryFurniture, cityMail];
