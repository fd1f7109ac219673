/**
 * The shape of the catalog's YAML files (`catalog/standards/*.yaml`,
 * `catalog/categories/*.yaml`), as zod schemas. The TypeScript types the rest
 * of Baseline uses are inferred from these, so the files and the code cannot
 * drift apart.
 *
 * Texts that end up in a tender document are `LocalizedText`: English,
 * French, Spanish and Dutch are required; German and Portuguese may be added.
 */
import { z } from "zod";

/** Languages every buyer-facing text must be written in. */
export const REQUIRED_LANGUAGES = ["en", "fr", "es", "nl"] as const;
/** Languages a text may additionally carry (used by the tender monitor's lexicons). */
export const OPTIONAL_LANGUAGES = ["de", "pt"] as const;
export type Language = (typeof REQUIRED_LANGUAGES)[number];
export type LexiconLanguage = Language | (typeof OPTIONAL_LANGUAGES)[number];

const text = z.string().trim().min(1, "must not be empty");

export const localizedText = z.strictObject({
  en: text,
  fr: text,
  es: text,
  nl: text,
  de: text.optional(),
  pt: text.optional(),
});
export type LocalizedText = z.infer<typeof localizedText>;

const standardId = z
  .string()
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "must be lower-case words joined by hyphens");
const categoryId = standardId;
/** Check ids as in interfaces.md §4, e.g. `web.dnssec.valid`. */
const checkId = z.string().regex(/^(web|mail|dns|net)\.[a-z0-9-]+(\.[a-z0-9-]+)*$/, "must look like web.family.test");
const httpsUrl = z.url({ protocol: /^https?$/ });

export const specification = z.strictObject({
  /** Document number as people cite it: "RFC 4033", "ISO/IEC 27001:2022", "ETSI EN 303 645". */
  ref: text,
  title: text,
  publisher: z.enum(["IETF", "ISO/IEC", "ISO", "IEC", "ETSI", "CEN", "W3C", "FIDO Alliance", "OASIS", "ECMA", "NIST", "OWASP", "MANRS", "NCSC-NL", "BSI", "Other"]),
  url: httpsUrl,
  /** RFC status, edition or remark, e.g. "Proposed Standard", "2022 edition". */
  status: text.optional(),
});

export const policyReference = z.strictObject({
  /** Name of the list, law or guideline. */
  name: text,
  publisher: text,
  /** ISO 3166-1 alpha-2, "EU", or "INT" for international bodies. */
  jurisdiction: z.string().regex(/^([A-Z]{2}|EU|INT)$/, "must be an ISO 3166-1 alpha-2 code, EU or INT"),
  /** What the list does with the standard. */
  effect: z.enum(["mandatory", "required-by-law", "recommended", "referenced"]),
  url: httpsUrl,
  note: text.optional(),
});

export const evidenceItem = z.strictObject({
  kind: z.enum(["automated-check", "certificate", "sbom", "test-report", "attestation", "document", "demonstration", "configuration"]),
  description: localizedText,
});

/** Lists of phrases per language; "any" holds language-neutral ones where a field allows it. */
function listsPerLanguage(withAny: boolean) {
  const list = z.array(text).optional();
  const languages = { en: list, fr: list, es: list, nl: list, de: list, pt: list };
  return z.strictObject(withAny ? { any: list, ...languages } : languages).default({});
}

export const lexicon = z.strictObject({
  /** Case-sensitive tokens matched as whole words (abbreviations: "DNSSEC", "HSTS"). */
  tokens: z.array(text).default([]),
  /** Case-insensitive phrases, per language; "any" holds language-neutral names. */
  phrases: listsPerLanguage(true),
  /** RFC numbers whose citation implies this standard. */
  rfcs: z.array(z.int().positive()).default([]),
  /** Guidelines whose citation implies this standard ("NCSC TLS guidelines", "BSI TR-02102-2"). */
  impliedBy: z.array(text).default([]),
  /** Legacy protocols whose required *disabling* is a request for this standard ("TLS 1.0", "SSLv3"). */
  legacy: z.array(text).default([]),
  /** Words near a match that show it means something else ("sunscreen" for SPF, "aviation" for CAA). */
  falseFriends: z.array(text).default([]),
});

export const standardSchema = z.strictObject({
  id: standardId,
  /** Short display name per language (often the same acronym). */
  name: localizedText,
  /** Expanded name per language. */
  fullName: localizedText,
  /** What it is, for a buyer, without jargon: two or three sentences. */
  summary: localizedText,
  /** What goes wrong without it: the rationale printed with the requirement. */
  protectsAgainst: localizedText,
  specifications: z.array(specification).min(1),
  appliesTo: z.strictObject({
    categories: z.array(categoryId).min(1),
    /** Who must implement it: the supplier's role ("the hosting provider", "the device manufacturer"). */
    audience: localizedText,
  }),
  maturity: z.strictObject({
    level: z.enum(["established", "maturing", "emerging"]),
    /** English notes for catalog maintainers; not printed in tenders. */
    notes: text,
  }),
  adoption: text,
  policies: z.array(policyReference).min(1),
  verification: z.strictObject({
    /** Check ids of `baseline check` that test it on live services; may be planned ones. */
    checks: z.array(checkId).default([]),
    /** How the buyer verifies compliance, before award and during the contract. */
    method: localizedText,
    /** What the bidder must hand in. */
    evidence: z.array(evidenceItem).min(1),
  }),
  clause: z.strictObject({
    /** Minimum-requirement form ("The supplier shall ..."). */
    mandatory: localizedText,
    /** Award-criterion form ("Bids that ... score higher"). */
    desirable: localizedText,
  }),
  orEquivalent: localizedText,
  complyOrExplain: localizedText,
  /** The yes/no question for the bid evaluation checklist. */
  checklist: localizedText,
  lexicon,
  related: z.array(standardId).default([]),
});
export type Standard = z.infer<typeof standardSchema>;

/** A CPV 2008 code with its check digit, e.g. "72415000-2". */
const cpvCode = z.string().regex(/^\d{8}-\d$/, "must be a CPV code with check digit, like 72415000-2");

export const categorySchema = z.strictObject({
  id: categoryId,
  name: localizedText,
  description: localizedText,
  /**
   * Phrases that show a tender buys this, for documents without CPV codes
   * (case-insensitive, whole words), per language.
   */
  keywords: listsPerLanguage(false),
  /** CPV codes that belong to this category; their descendants in the CPV tree belong too. */
  cpv: z.array(cpvCode).min(1),
  standards: z
    .array(
      z.strictObject({
        id: standardId,
        level: z.enum(["mandatory", "recommended"]),
        /** One line: why this standard matters for this purchase. */
        reason: localizedText,
      }),
    )
    .min(1),
});
export type Category = z.infer<typeof categorySchema>;
export type CategoryStandard = Category["standards"][number];
export type RequirementLevel = CategoryStandard["level"];
