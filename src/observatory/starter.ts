/**
 * The observatory's starter dataset (`data/observatory/starter.yaml`): real,
 * public procurement and supply-chain policies on digital technology and
 * security, with the institutions behind them. It is loaded on first start as
 * published entries, so a newcomer's first page shows a living observatory,
 * and it stays a plain data file that researchers extend by hand.
 *
 * Loading checks the file three ways: the YAML must parse, every entry must
 * match the zod schema below, and every reference must hold (institution
 * keys, catalog category and standard ids, unique titles). All problems are
 * collected and thrown together as a StarterDatasetError whose lines name the
 * entry and the field, the way the catalog loader does.
 *
 * @example
 *   const { institutions, policies } = loadStarterDataset();
 *   policies.filter((policy) => policy.standards.includes("dnssec"));
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDocument } from "yaml";
import { z } from "zod";
import { UnknownIdError, type Catalog } from "../catalog/catalog.ts";
import { loadCatalog } from "../catalog/load.ts";
// The value lists are the database's, so a starter entry always fits a column.
import { INSTITUTION_KINDS, POLICY_STATUSES, POLICY_TYPES } from "../store/schema.ts";

export type { InstitutionKind, PolicyStatus, PolicyType } from "../store/schema.ts";

export const DEFAULT_STARTER_PATH = fileURLToPath(new URL("../../data/observatory/starter.yaml", import.meta.url));

/** Evidence is a short paraphrase with its locator, not a long quote. */
const MAX_EVIDENCE_LENGTH = 300;

export class StarterDatasetError extends Error {
  override name = "StarterDatasetError";
  /** Every problem found, one line each, the first of which is also the message. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : "";
    super(`${problems[0] ?? "starter dataset could not be loaded"}${more}`);
    this.problems = problems;
  }
}

// Codes are checked against the ICU data Node ships with, so no hand-kept code list can go stale.
const regionNames = new Intl.DisplayNames(["en"], { type: "region", fallback: "none" });
const languageNames = new Intl.DisplayNames(["en"], { type: "language", fallback: "none" });
/** Codes ICU knows that are not countries: the EU, the eurozone, the UN, "unknown region". */
const NOT_COUNTRIES = new Set(["EU", "EZ", "UN", "ZZ", "QO"]);

const text = z.string().trim().min(1, "must not be empty");
const kebab = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "must be lower-case words joined by hyphens");

/** A list without repeats: a repeated id or tag would count twice in the matrix and the gap summary. */
function uniqueList<T extends z.ZodType<string>>(item: T) {
  return z.array(item).superRefine((values, ctx) => {
    values.forEach((value, index) => {
      if (values.indexOf(value) !== index) ctx.addIssue({ code: "custom", path: [index], message: `"${value}" is listed twice` });
    });
  });
}

/** YAML reads an unquoted year such as 2008 as a number; accept it as the year it means. */
const partialDate = z.preprocess(
  (value) => (typeof value === "number" ? String(value) : value),
  z
    .string()
    .regex(/^\d{4}(-\d{2}(-\d{2})?)?$/, "must be YYYY, YYYY-MM or YYYY-MM-DD")
    .refine(isCalendarDate, "is not a calendar date"),
);

const countryCode = z
  .string()
  .regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 code such as NL, or null")
  .refine((code) => !NOT_COUNTRIES.has(code) && regionNames.of(code) !== undefined, "is not an ISO 3166-1 country code");

const m49Region = z
  .string({ error: 'must be a UN M49 code in quotes, such as "150"' })
  .regex(/^\d{3}$/, 'must be a three-digit UN M49 code in quotes, such as "150"')
  .refine((code) => regionNames.of(code) !== undefined, "is not a UN M49 region code");

const languageCode = z
  .string()
  .regex(/^[a-z]{2}$/, "must be an ISO 639-1 code such as en")
  .refine((code) => languageNames.of(code) !== undefined, "is not an ISO 639-1 language code");

const httpsUrl = z.url({ protocol: /^https$/, hostname: z.regexes.domain, error: "must be an https:// address" });

export const institutionSchema = z.strictObject({
  /** Stable handle that policies use to point at their institution, e.g. "nl-forum-standaardisatie". */
  key: kebab,
  name: text,
  kind: z.enum(INSTITUTION_KINDS),
  /** ISO 3166-1 alpha-2; null when the institution's remit is not one country (EU, OECD, ISO, IS3C). */
  country: countryCode.nullable(),
  /** The most specific UN M49 area that fits: a sub-region ("155" Western Europe) or, for wider bodies, "150" or "001". */
  region: m49Region,
  globalSouth: z.boolean(),
  sector: text,
});

export const policySchema = z
  .strictObject({
    title: text,
    /** Key of an entry in `institutions`. */
    institution: kebab,
    type: z.enum(POLICY_TYPES),
    status: z.enum(POLICY_STATUSES),
    /** Adoption or publication date of the version cited (year of first adoption for continuously kept lists). */
    adoptedOn: partialDate,
    inForceOn: partialDate.optional(),
    /** Only for status repealed. */
    repealedOn: partialDate.optional(),
    sourceUrl: httpsUrl,
    /** Language of the authoritative text. */
    language: languageCode,
    /** Catalog category ids: what is being bought. */
    categories: uniqueList(kebab).min(1, "must name at least one catalog category"),
    /** Does it cover the internet and digital communications (IS3C question 1)? */
    coversInternet: z.boolean(),
    /** What it says about security, in our own words (IS3C question 2). */
    securityText: text,
    securityTags: uniqueList(kebab),
    /** Does it cite standards (IS3C question 3)? Then `standards` and/or `otherStandards` say which. */
    citesStandards: z.boolean(),
    /** Catalog standard ids it cites or requires (a standard's own id when the document is that standard). */
    standards: uniqueList(kebab),
    /** Standards it cites that the catalog does not hold, as free text. */
    otherStandards: z.string().trim().default(""),
    evidence: z
      .array(text.max(MAX_EVIDENCE_LENGTH, `must be a short paraphrase of at most ${MAX_EVIDENCE_LENGTH} characters`))
      .min(1, "must hold at least one paraphrase from the source")
      .max(3, "keeps at most three paraphrases"),
    bestPracticeTags: uniqueList(kebab),
    barrierTags: uniqueList(kebab),
    globalSouthTags: uniqueList(kebab),
  })
  .superRefine((policy, ctx) => {
    if (policy.repealedOn !== undefined && policy.status !== "repealed") {
      ctx.addIssue({ code: "custom", path: ["repealedOn"], message: `is set but status is "${policy.status}", not "repealed"` });
    }
    for (const field of ["inForceOn", "repealedOn"] as const) {
      const date = policy[field];
      // Partial ISO dates compare correctly as strings ("2023" < "2023-05" < "2023-05-11").
      if (date !== undefined && date < policy.adoptedOn) {
        ctx.addIssue({ code: "custom", path: [field], message: `${date} is before adoptedOn ${policy.adoptedOn}` });
      }
    }
    const namesStandards = policy.standards.length > 0 || policy.otherStandards !== "";
    if (policy.citesStandards && !namesStandards) {
      ctx.addIssue({ code: "custom", path: ["citesStandards"], message: "is true but standards and otherStandards are both empty" });
    }
    if (!policy.citesStandards && namesStandards) {
      ctx.addIssue({ code: "custom", path: ["citesStandards"], message: "is false but standards or otherStandards name some" });
    }
  });

export const starterDatasetSchema = z.strictObject({
  schemaVersion: z.literal(1),
  /** When the facts in the file were last checked against their sources. */
  checkedOn: partialDate,
  institutions: z.array(institutionSchema).min(1, "must hold at least one institution"),
  policies: z.array(policySchema).min(1, "must hold at least one policy"),
});

export type Institution = z.infer<typeof institutionSchema>;
export type PolicyDocument = z.infer<typeof policySchema>;
export type StarterDataset = z.infer<typeof starterDatasetSchema>;

/**
 * Reads, parses and validates the starter dataset; throws a StarterDatasetError
 * listing every problem. The catalog defaults to the repository's.
 */
export function loadStarterDataset(path: string = DEFAULT_STARTER_PATH, catalog: Catalog = loadCatalog()): StarterDataset {
  const source = relative(process.cwd(), path) || path;
  const document = parseDocument(readFileSync(path, "utf8"), { prettyErrors: true });
  const yamlError = document.errors[0];
  if (yamlError) throw new StarterDatasetError([`${source}: invalid YAML: ${yamlError.message.split("\n")[0] ?? ""}`]);
  const { problems, dataset } = validateStarterDataset(document.toJS(), catalog, source);
  if (!dataset) throw new StarterDatasetError(problems);
  return dataset;
}

/**
 * Checks an already parsed dataset (for imports and tests): the schema first,
 * then the references. Returns every problem, and the dataset when there are none.
 */
export function validateStarterDataset(
  raw: unknown,
  catalog: Catalog,
  source = "starter dataset",
): { problems: string[]; dataset?: StarterDataset } {
  const result = starterDatasetSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${source}: ${locate(raw, issue.path)}: ${issue.message}`);
    return { problems };
  }
  const problems = checkReferences(result.data, catalog).map(
    ({ section, index, field, message }) => `${source}: ${locate(raw, [section, index, ...field])}: ${message}`,
  );
  return problems.length > 0 ? { problems } : { problems, dataset: result.data };
}

interface ReferenceProblem {
  section: "institutions" | "policies";
  index: number;
  field: (string | number)[];
  message: string;
}

function checkReferences(dataset: StarterDataset, catalog: Catalog): ReferenceProblem[] {
  const problems: ReferenceProblem[] = [];
  const institutionKeys = new Set<string>();
  dataset.institutions.forEach((institution, index) => {
    if (institutionKeys.has(institution.key)) {
      problems.push({ section: "institutions", index, field: ["key"], message: `key "${institution.key}" is used twice` });
    }
    institutionKeys.add(institution.key);
  });
  const titles = new Set<string>();
  dataset.policies.forEach((policy, index) => {
    const fail = (field: (string | number)[], message: string): void => {
      problems.push({ section: "policies", index, field, message });
    };
    const normalisedTitle = policy.title.toLowerCase().replace(/\s+/g, " ");
    if (titles.has(normalisedTitle)) fail(["title"], "another policy has the same title");
    titles.add(normalisedTitle);
    if (!institutionKeys.has(policy.institution)) fail(["institution"], `unknown institution "${policy.institution}"`);
    policy.categories.forEach((id, position) => {
      const message = unknownIdMessage(() => catalog.category(id));
      if (message) fail(["categories", position], message);
    });
    policy.standards.forEach((id, position) => {
      const message = unknownIdMessage(() => catalog.standard(id));
      if (message) fail(["standards", position], message);
    });
  });
  return problems;
}

/** The catalog's own "unknown ... did you mean" message, or undefined when the id exists. */
function unknownIdMessage(lookUp: () => unknown): string | undefined {
  try {
    lookUp();
    return undefined;
  } catch (error) {
    if (error instanceof UnknownIdError) return error.message;
    throw error;
  }
}

/**
 * `policies[3] "Regulation (EU) 2024/2847 ...": field standards.1`: the entry by
 * position and by its title or key, read from the raw input so that entries
 * which failed the schema are still named.
 */
function locate(raw: unknown, path: readonly PropertyKey[]): string {
  const [section, index, ...field] = path;
  const fieldText = (parts: readonly PropertyKey[]): string => (parts.length > 0 ? `field ${parts.map(String).join(".")}` : "entry");
  if ((section === "institutions" || section === "policies") && typeof index === "number") {
    const name = entryName(raw, section, index);
    return `${section}[${index}]${name ? ` "${name}"` : ""}: ${fieldText(field)}`;
  }
  return path.length > 0 ? fieldText(path) : "(top level)";
}

function entryName(raw: unknown, section: string, index: number): string | undefined {
  if (!isRecord(raw)) return undefined;
  const list = raw[section];
  const entry: unknown = Array.isArray(list) ? list[index] : undefined;
  if (!isRecord(entry)) return undefined;
  const name = section === "policies" ? entry.title : entry.key;
  return typeof name === "string" ? name : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Rejects "2023-02-30" and "2023-13": the parts must make a real day or month. */
function isCalendarDate(value: string): boolean {
  const [year = 0, month = 1, day = 1] = value.split("-").map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
