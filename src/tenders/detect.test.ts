import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadCatalog } from "../catalog/load.ts";
import { analyzeTender } from "./analyze.ts";
import type { Passage, TenderAnalysis, TenderDocument } from "./types.ts";

const catalog = loadCatalog();

/** Analyses `text` as a web-hosting tender (CPV 72415000) unless `extra` says otherwise. */
function analyze(text: string, passages: Partial<Passage>[] = [], extra: Partial<TenderDocument> = {}): TenderAnalysis {
  return analyzeTender({ source: "test.txt", format: "text", cpv: ["72415000"], passages: [...text.split(/\n\n+/).map((part) => ({ text: part })), ...passages.map((passage) => ({ text: "", ...passage }))], ...extra }, catalog);
}

const requested = (analysis: TenderAnalysis): Record<string, string> => Object.fromEntries(analysis.requested.map((entry) => [entry.standard, entry.level]));
const ignoredReasons = (analysis: TenderAnalysis): Record<string, string> => Object.fromEntries(analysis.ignored.map((entry) => [entry.standard, entry.reason]));

describe("requests and their level", () => {
  it("finds required standards with their evidence", () => {
    const analysis = analyze("CPV 72415000-2. The supplier shall sign all domains with DNSSEC and serve the site over HTTPS with HSTS.");
    assert.deepEqual(requested(analysis), { dnssec: "required", hsts: "required", https: "required" });
    assert.match(analysis.requested[0]?.evidence[0]?.quote ?? "", /shall sign all domains with DNSSEC/);
    assert.deepEqual(analysis.categories, ["web-hosting"]);
    assert.ok(analysis.missing.includes("ipv6"));
    assert.equal(analysis.coverage, Number((3 / analysis.relevant.length).toFixed(3)));
  });

  it("reads wishes and award criteria as desired, in each language", () => {
    for (const text of [
      "Bids that support IPv6 will score higher on this criterion.",
      "Bij voorkeur ondersteunt de oplossing IPv6.",
      "De préférence, la solution prend en charge IPv6.",
      "Se valorará que la solución admita IPv6.",
      "Wünschenswert ist die Unterstützung von IPv6.",
      "Preferencialmente, a solução suporta IPv6.",
    ]) {
      assert.deepEqual(requested(analyze(text)), { ipv6: "desired" }, text);
    }
    assert.deepEqual(requested(analyze("", [{ text: "Support for RPKI route origin validation.", role: "award-criterion" }])), { rpki: "desired" });
  });

  it("takes the strongest level when a standard is both required and wished for", () => {
    assert.deepEqual(requested(analyze("IPv6 is preferably offered on all links.\n\nThe network must support IPv6.")), { ipv6: "required" });
  });

  it("counts a requirement to disable legacy protocols as a TLS request", () => {
    assert.deepEqual(requested(analyze("SSLv3 must be disabled on every server.")), { tls: "required" });
    assert.deepEqual(requested(analyze("SSLv3 en TLS 1.0 moeten worden uitgeschakeld.")), { tls: "required" });
    assert.deepEqual(requested(analyze("Our old intranet used SSLv3 until 2015.")), {});
  });

  it("counts guidelines that imply a standard", () => {
    assert.deepEqual(requested(analyze("The configuration shall follow the NCSC TLS guidelines.")), { tls: "required" });
    assert.deepEqual(requested(analyze("De inschrijver moet voldoen aan RFC 7208.")), { spf: "required" });
  });

  it("reports a generic demand for the comply-or-explain list separately", () => {
    const analysis = analyze("De opdrachtnemer past de verplichte open standaarden van de pas-toe-of-leg-uit-lijst toe.");
    assert.equal(analysis.genericDemand.length, 1);
    assert.deepEqual(analysis.requested, []);
  });
});

describe("negation and exclusion, in every language", () => {
  const cases: [string, string][] = [
    ["en", "IPv6 is not required for this lot."],
    ["en", "DNSSEC is out of scope for this contract."],
    ["nl", "IPv6 is niet vereist voor dit perceel."],
    ["nl", "DNSSEC valt buiten de scope van deze opdracht."],
    ["fr", "IPv6 n'est pas exigé pour ce lot."],
    ["fr", "DNSSEC est hors du périmètre du marché."],
    ["es", "No se exige IPv6 en este lote."],
    ["es", "DNSSEC queda fuera del alcance del contrato."],
    ["de", "IPv6 ist für dieses Los nicht erforderlich."],
    ["de", "DNSSEC ist nicht Bestandteil des Auftrags."],
    ["pt", "O IPv6 não é exigido neste lote."],
    ["pt", "O DNSSEC está fora do âmbito do contrato."],
  ];
  for (const [language, text] of cases) {
    it(`does not count "${text}" (${language})`, () => {
      const analysis = analyze(text);
      assert.deepEqual(analysis.requested, []);
      assert.equal(Object.values(ignoredReasons(analysis))[0], "negated");
    });
  }

  it("keeps the negation to its own clause", () => {
    assert.deepEqual(requested(analyze("IPv6 is not required for this lot, but DNSSEC is mandatory.")), { dnssec: "required" });
    assert.deepEqual(requested(analyze("IPv6 is niet vereist; DNSSEC is verplicht.")), { dnssec: "required" });
  });
});

describe("mentions that are no request", () => {
  it("ignores https in URLs", () => {
    const analysis = analyze("The tender documents are available at https://www.tenderned.nl/aankondigingen/123 and questions go to https://example.org/q.");
    assert.deepEqual(analysis.requested, []);
  });

  it("ignores what the current site already does", () => {
    const analysis = analyze("The current website already uses HTTPS.\n\nDe huidige site ondersteunt al IPv6.");
    assert.deepEqual(analysis.requested, []);
    assert.deepEqual(ignoredReasons(analysis), { https: "existing-state", ipv6: "existing-state" });
  });

  it("ignores SPF of a sunscreen, CAA the aviation authority and other meanings", () => {
    for (const text of [
      "Lot 2: sunscreen, SPF 50, in 200 ml bottles, shall be delivered monthly.",
      "Zonnebrandcrème met SPF 30 moet CE-gemarkeerd zijn.",
      "The contractor shall hold an approval of the Civil Aviation Authority (CAA).",
      "Der Auftragnehmer muss Transport Logistics Services (TLS) für das Lager erbringen.",
    ]) {
      const analysis = analyze(text);
      assert.deepEqual(analysis.requested, [], text);
      assert.equal(analysis.ignored[0]?.reason, "false-friend", text);
    }
  });

  it("does not count bare abbreviations in a tender that buys no ICT", () => {
    for (const text of ["Le SPF Finances publie chaque année un rapport.", "Die Streckenstation ist nach TLS 2012 auszuführen.", "The team is led by Ms Harriet DANE."]) {
      const analysis = analyze(text, [], { cpv: ["79110000"] });
      assert.deepEqual(analysis.requested, [], text);
    }
  });

  it("does not count standards that are only the subject of advice", () => {
    assert.deepEqual(analyze("De opdracht omvat advies over de wijze waarop DNSSEC en DANE moeten worden toegepast.").requested, []);
  });

  it("finds no ICT category and no false alarm in a non-ICT tender", () => {
    const analysis = analyze("Levering van kantoormeubilair. CPV 39130000-2. De stoelen moeten voldoen aan NEN-EN 1335.", [], { cpv: [] });
    assert.deepEqual(analysis.categories, []);
    assert.deepEqual(analysis.relevant, []);
    assert.equal(analysis.coverage, null);
    assert.deepEqual(analysis.requested, []);
  });
});

describe("understanding", () => {
  it("detects the language of each corpus language", () => {
    const samples: Record<string, string> = {
      en: "The contracting authority invites tenders for the hosting and maintenance of its website for a period of four years.",
      nl: "De aanbestedende dienst nodigt inschrijvers uit voor het hosten en onderhouden van de website voor een periode van vier jaar.",
      fr: "Le pouvoir adjudicateur invite les soumissionnaires à présenter une offre pour l'hébergement et la maintenance de son site internet.",
      es: "El órgano de contratación invita a presentar ofertas para el alojamiento y el mantenimiento de su sitio web durante cuatro años.",
      de: "Der öffentliche Auftraggeber fordert zur Abgabe von Angeboten für das Hosting und die Wartung seiner Website für vier Jahre auf.",
      pt: "A entidade adjudicante convida à apresentação de propostas para o alojamento e a manutenção do seu sítio web durante quatro anos.",
    };
    for (const [language, text] of Object.entries(samples)) assert.equal(analyze(text).language, language);
    assert.equal(analyze("Text in English but declared otherwise, long enough to be detected as English.", [], { declaredLanguage: "nl-NL" }).language, "nl");
  });

  it("finds the categories from the text when no CPV code is given", () => {
    assert.deepEqual(analyze("Tender: e-mail service for 3,000 mailboxes", [], { title: "E-mail service for the hospital", cpv: [] }).categories, ["email-service"]);
  });

  it("reads CPV codes from the document, and ignores numbers that are not CPV codes", () => {
    assert.deepEqual(analyze("", [], { cpv: ["72415000"] }).categories, ["web-hosting"]);
    assert.deepEqual(analyze("CPV 72415000-2 for the hosting.", [], { cpv: [] }).cpv, ["72415000"]);
    assert.deepEqual(analyze("Call 12345678 or fax 87654321.", [], { cpv: [] }).cpv, []);
  });
});

describe("normalised text (finding 17)", () => {
  it("finds names written with a soft hyphen, a zero-width space or fullwidth letters, but not Cyrillic look-alikes", async () => {
    const { ingestHtml } = await import("./ingest/html.ts");
    const html = "<p>CPV 72415000-2</p><p>The mail servers shall publish D&shy;ANE records.</p><p>The domain must publish a DM\u200bARC policy.</p>" +
      "<p>Every page shall be served with \uff28\uff33\uff34\uff33.</p><p>The domain must publish an \u0405\u0420F record.</p>";
    const analysis = analyzeTender(ingestHtml(Buffer.from(html), "policy.html"), catalog);
    assert.deepEqual(Object.keys(requested(analysis)).filter((id) => ["dane", "dmarc", "hsts", "spf"].includes(id)), ["dane", "dmarc", "hsts"]);
    assert.ok(analysis.requested.find((entry) => entry.standard === "dane")?.evidence[0]?.quote.includes("publish DANE records"));
  });
});

describe("long passages (finding 13)", () => {
  it("analyses a 2 MB passage naming standards thousands of times in well under a second per megabyte", () => {
    const text = "The supplier shall sign the zone with DNSSEC, TLS-RPT and Transport Layer Security; ".repeat(24_000);
    const started = performance.now();
    const analysis = analyze(text);
    assert.ok(performance.now() - started < 5000, "took too long");
    assert.deepEqual(Object.keys(requested(analysis)).sort(), ["dnssec", "tls", "tls-rpt"]);
  });
});

