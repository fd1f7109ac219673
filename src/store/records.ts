/**
 * The observatory's records as the rest of Baseline sees them (camelCase,
 * booleans as booleans, lists as arrays), the zod schemas that every write
 * and every imported row goes through, and the mapping from database rows.
 *
 * Forms and imports send text: blank optional fields become null, country
 * codes are upper-cased, repeated ids and tags are dropped. Anything else
 * that does not fit is a ValidationError naming the field.
 */
import countries from "i18n-iso-countries/index.js";
import type { Selectable } from "kysely";
import { z } from "zod";
import type { Catalog } from "../catalog/catalog.ts";
import type { Issue } from "./support.ts";
import {
  INSTITUTION_KINDS,
  POLICY_STATUSES,
  POLICY_TYPES,
  REVIEW_STATES,
  ROLES,
  type InstitutionKind,
  type InstitutionsTable,
  type PoliciesTable,
  type PolicyStatus,
  type PolicyType,
  type ReviewState,
  type Role,
} from "./schema.ts";

/**
 * What the store says of a field that fails validation, in English: the
 * words of the command line, the API and the logs. The web app shows them in
 * the visitor's language by looking them up here (server/issue-messages.ts),
 * which is why they are named rather than written where they are used.
 */
export const FIELD_MESSAGES = {
  notEmpty: "must not be empty",
  recordId: "must be an id of letters, digits, dots, hyphens or underscores",
  catalogId: "must be a catalog id (lower-case words joined by hyphens)",
  timestamp: "must be an ISO 8601 date and time",
  email: "must be an e-mail address",
  country: "must be an ISO 3166-1 alpha-2 code such as NL",
  region: "must be a UN M49 area code of three digits, such as 150 for Europe",
  date: "must be a date as YYYY-MM-DD, YYYY-MM or YYYY",
  calendarDate: "must be a real calendar date",
  url: "must be an http or https address",
  language: "must be a language tag such as en or pt-BR",
  tooManyQuotes: "must have at most 200 quotes",
  text: "must be a text",
  boolean: "must be true or false",
  list: "must be a list",
  object: "must be an object",
} as const;

/** The messages with a value in them; each takes the value as text, so that a pattern can be made of it. */
export const fieldMessage = {
  tooLong: (max: number | string) => `must be at most ${max} characters`,
  tooMany: (max: number | string) => `must have at most ${max} entries`,
  unknownStandard: (id: string) => `"${id}" is not a standard in the catalog`,
  unknownCategory: (id: string) => `"${id}" is not a category in the catalog`,
  oneOf: (values: string) => `must be one of ${values}`,
  unknownFields: (names: string) => `unknown field ${names}`,
  unknownCountry: (code: string) => `"${code}" is not an ISO 3166-1 country code`,
  controlCharacter: (code: string) => `must not contain the control character ${code}`,
  noInstitution: (id: string) => `no institution with id ${id}`,
} as const;

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: string;
}

export interface Institution {
  id: string;
  name: string;
  kind: InstitutionKind;
  country: string | null;
  region: string;
  globalSouth: boolean;
  sector: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Policy {
  id: string;
  institutionId: string;
  title: string;
  type: PolicyType;
  status: PolicyStatus;
  adoptedOn: string | null;
  sourceUrl: string | null;
  language: string | null;
  coversInternet: boolean;
  securityText: string | null;
  securityTags: string[];
  citesStandards: boolean;
  otherStandards: string | null;
  evidence: string[];
  bestPracticeTags: string[];
  barrierTags: string[];
  globalSouthTags: string[];
  reviewState: ReviewState;
  reviewedBy: string | null;
  /** Catalog category ids: what the policy covers. */
  categories: string[];
  /** Catalog standard ids the policy cites. */
  standards: string[];
  createdAt: string;
  updatedAt: string;
}

// ---- control characters ----

/**
 * Control characters a text field refuses, in forms and imports alike.
 * None is ever typed on purpose: they arrive from binary files, broken
 * encodings or hostile input, and do harm on the way out (PostgreSQL text
 * cannot hold NUL; a CSV or terminal reader may act on the others). Every
 * C0 control and DEL is refused in one-line fields (names, titles, tags,
 * ids, addresses), where a tab or line break is a paste accident too;
 * multi-line fields (a policy's security text, evidence quotes) keep tab,
 * line feed and carriage return, which are their layout. C1 controls
 * (U+0080-U+009F) are not refused: they are legal, if rare, in text.
 */
/* eslint-disable no-control-regex -- matching control characters is what these patterns are for */
const SINGLE_LINE_CONTROL = /[\u0000-\u001F\u007F]/;
const MULTI_LINE_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
/* eslint-enable no-control-regex */
const SINGLE_LINE_CONTROLS = new RegExp(SINGLE_LINE_CONTROL.source, "g");
const MULTI_LINE_CONTROLS = new RegExp(MULTI_LINE_CONTROL.source, "g");

/** The first control character `value` may not hold, as "U+0000"; undefined when there is none. */
export function refusedControlCharacter(value: string, multiLine = false): string | undefined {
  const found = (multiLine ? MULTI_LINE_CONTROL : SINGLE_LINE_CONTROL).exec(value)?.[0];
  return found === undefined ? undefined : `U+${found.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/** A string that refuses the control characters of its kind of field, naming the first one found ("U+0000"). */
function plainText(multiLine = false) {
  return z.string({ error: FIELD_MESSAGES.text }).superRefine((value, context) => {
    const found = refusedControlCharacter(value, multiLine);
    if (found !== undefined) context.addIssue({ code: "custom", message: fieldMessage.controlCharacter(found) });
  });
}

/**
 * `text` without the control characters its field refuses: what an export
 * writes of a value saved before the fields refused them (SQLite kept a NUL
 * that came in through a JSON import), so that no export is a file its own
 * import refuses. The characters carry nothing a reader could see.
 */
export function withoutRefusedControls(text: string, multiLine = false): string {
  return text.replace(multiLine ? MULTI_LINE_CONTROLS : SINGLE_LINE_CONTROLS, "");
}

/** The fields that hold text of several lines (tab, line feed and carriage return allowed); every other text is one line. */
const MULTI_LINE_FIELDS: ReadonlySet<string> = new Set(["securityText", "evidence"] satisfies (keyof Policy)[]);

/** A record (institution or policy) with every text and list entry passed through {@link withoutRefusedControls}. */
export function withoutRefusedControlsIn<T extends Institution | Policy>(record: T): T {
  const cleaned: Record<string, unknown> = { ...record };
  for (const [field, value] of Object.entries(record)) {
    const multiLine = MULTI_LINE_FIELDS.has(field);
    if (typeof value === "string") cleaned[field] = withoutRefusedControls(value, multiLine);
    else if (Array.isArray(value)) cleaned[field] = value.map((item: unknown) => (typeof item === "string" ? withoutRefusedControls(item, multiLine) : item));
  }
  return cleaned as T;
}

// ---- field schemas ----

const blankToNull = (value: string): string | null => (value === "" ? null : value);

function requiredText(max: number, multiLine = false) {
  return plainText(multiLine).trim().min(1, FIELD_MESSAGES.notEmpty).max(max, fieldMessage.tooLong(max));
}

function optionalText(max: number, multiLine = false) {
  return plainText(multiLine).trim().max(max, fieldMessage.tooLong(max)).transform(blankToNull).nullable().default(null);
}

/** An optional field whose non-blank value must also pass `check`. */
function optionalChecked(check: z.ZodType<string, string>, normalize: (value: string) => string = (value) => value) {
  return plainText()
    .trim()
    .transform((value) => blankToNull(normalize(value)))
    .pipe(check.nullable())
    .nullable()
    .default(null);
}

/** A YYYY-MM-DD that exists in the calendar (2026-02-30 does not). */
function isCalendarDate(value: string): boolean {
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

/** One of `values`, saying which when it is not (zod's own message is English only). */
function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: fieldMessage.oneOf(values.join(", ")) });
}

/** An object that names the fields it does not know, in a message the web app can translate. */
function strictRecord<T extends z.ZodRawShape>(shape: T) {
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? fieldMessage.unknownFields(issue.keys.map((key) => `"${key}"`).join(", ")) : FIELD_MESSAGES.object),
  });
}

const flag = z.boolean({ error: FIELD_MESSAGES.boolean });

/** Our own record ids: random UUIDs, or readable slugs in seed and import files. */
export const recordId = z.string({ error: FIELD_MESSAGES.text }).trim().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, FIELD_MESSAGES.recordId);

/** Catalog ids ("dnssec", "web-hosting"), spelled as the catalog spells them. */
const catalogId = z.string({ error: FIELD_MESSAGES.text }).trim().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, FIELD_MESSAGES.catalogId);

/**
 * A country: two letters that ISO 3166-1 assigns (i18n-iso-countries' list,
 * which includes XK for Kosovo as the EU and UN use it). "XX" or "EU" are
 * refused: the map and the country pages could only show them as
 * "Unknown Region". Regional and international bodies have no country.
 */
const countryCode = z
  .string()
  .regex(/^[A-Z]{2}$/, FIELD_MESSAGES.country)
  .superRefine((code, context) => {
    // Only a well-formed code is looked up: zod runs this even when the pattern failed.
    if (/^[A-Z]{2}$/.test(code) && !countries.isValid(code)) context.addIssue({ code: "custom", message: fieldMessage.unknownCountry(code) });
  });

function uniqueList<T extends z.ZodType<string>>(item: T, max: number) {
  return z
    .array(item, { error: FIELD_MESSAGES.list })
    .max(max, fieldMessage.tooMany(max))
    .transform((list) => [...new Set(list)])
    .default([]);
}

const tagList = uniqueList(requiredText(100), 50);
const catalogIdList = uniqueList(catalogId, 100);
const isoTimestamp = z.iso.datetime({ offset: true, error: FIELD_MESSAGES.timestamp });

// ---- inputs ----

export const roleSchema = oneOf(ROLES);
export const reviewStateSchema = oneOf(REVIEW_STATES);

export const userInput = strictRecord({
  email: plainText().trim().toLowerCase().pipe(z.email(FIELD_MESSAGES.email)),
  name: requiredText(200),
  role: roleSchema,
  /** Hashed by the caller (a memory-hard function): the store never sees a password. */
  passwordHash: requiredText(1000),
});
export type UserInput = z.input<typeof userInput>;

export const institutionInput = strictRecord({
  name: requiredText(300),
  kind: oneOf(INSTITUTION_KINDS),
  country: optionalChecked(countryCode, (value) => value.toUpperCase()),
  region: z.string({ error: FIELD_MESSAGES.text }).trim().regex(/^\d{3}$/, FIELD_MESSAGES.region),
  globalSouth: flag.default(false),
  sector: optionalText(200),
});
export type InstitutionInput = z.input<typeof institutionInput>;
export type ValidInstitution = z.output<typeof institutionInput>;

export const policyInput = strictRecord({
  institutionId: recordId,
  title: requiredText(500),
  type: oneOf(POLICY_TYPES),
  status: oneOf(POLICY_STATUSES),
  // Many policies carry only a month or a year; the text sorts correctly either way.
  adoptedOn: optionalChecked(
    z
      .string()
      .regex(/^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$/, FIELD_MESSAGES.date)
      // zod runs the refinement even when the pattern failed: an invalid Date must not throw (a 500) here.
      .refine((value) => value.length < 10 || isCalendarDate(value), FIELD_MESSAGES.calendarDate),
  ),
  sourceUrl: optionalChecked(z.url({ protocol: /^https?$/, error: FIELD_MESSAGES.url })),
  language: optionalChecked(z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, FIELD_MESSAGES.language)),
  coversInternet: flag.default(false),
  securityText: optionalText(20_000, MULTI_LINE_FIELDS.has("securityText")),
  securityTags: tagList,
  citesStandards: flag.default(false),
  otherStandards: optionalText(2_000),
  evidence: z.array(requiredText(5_000, MULTI_LINE_FIELDS.has("evidence")), { error: FIELD_MESSAGES.list }).max(200, FIELD_MESSAGES.tooManyQuotes).default([]),
  bestPracticeTags: tagList,
  barrierTags: tagList,
  globalSouthTags: tagList,
  reviewState: reviewStateSchema.default("draft"),
  reviewedBy: optionalChecked(recordId),
  categories: catalogIdList,
  standards: catalogIdList,
});
export type PolicyInput = z.input<typeof policyInput>;
export type ValidPolicy = z.output<typeof policyInput>;

export const decisionMatrixInput = strictRecord({
  name: requiredText(200),
  /** Criteria, weights and scores; the decision module gives it its shape, the store keeps it as JSON. */
  definition: z.record(z.string(), z.json()),
});
export type DecisionMatrixInput = z.input<typeof decisionMatrixInput>;

/** Rows of an import (and of an export): the inputs, plus the id and creation time when they are known. */
const importedFields = { id: recordId.optional(), createdAt: isoTimestamp.optional(), updatedAt: isoTimestamp.optional() };
export const institutionRow = institutionInput.extend(importedFields);
export const policyRow = policyInput.extend(importedFields);

// ---- catalog ids ----

/** The catalog's ids, to refuse a policy that cites a standard or category the catalog does not know. */
export interface KnownIds {
  standards: ReadonlySet<string>;
  categories: ReadonlySet<string>;
}

export function knownIdsOf(catalog: Pick<Catalog, "standards" | "categories">): KnownIds {
  return {
    standards: new Set(catalog.standards.map((standard) => standard.id)),
    categories: new Set(catalog.categories.map((category) => category.id)),
  };
}

/** Problems with the catalog ids of a policy, one per unknown id. */
export function unknownCatalogIds(policy: Pick<ValidPolicy, "standards" | "categories">, known: KnownIds | undefined): Issue[] {
  if (!known) return [];
  return [
    ...policy.standards.filter((id) => !known.standards.has(id)).map((id) => ({ path: "standards", message: fieldMessage.unknownStandard(id) })),
    ...policy.categories.filter((id) => !known.categories.has(id)).map((id) => ({ path: "categories", message: fieldMessage.unknownCategory(id) })),
  ];
}

// ---- rows to records ----

/**
 * A JSON-text list column; the store wrote it, so anything else is a broken
 * database worth stopping for. Checked by hand rather than with zod: a list
 * page reads 250 of these, and zod's parse was a tenth of its time.
 */
export function parseList(text: string, column: string): string[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === "string")) {
    throw new Error(`column ${column} does not hold a JSON list of strings: ${text.slice(0, 80)}`);
  }
  return parsed;
}

export function institutionFromRow(row: Selectable<InstitutionsTable>): Institution {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    country: row.country,
    region: row.region,
    globalSouth: Boolean(row.global_south),
    sector: row.sector,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function policyFromRow(row: Selectable<PoliciesTable>, categories: string[], standards: string[]): Policy {
  return {
    id: row.id,
    institutionId: row.institution_id,
    title: row.title,
    type: row.type,
    status: row.status,
    adoptedOn: row.adopted_on,
    sourceUrl: row.source_url,
    language: row.language,
    coversInternet: Boolean(row.covers_internet),
    securityText: row.security_text,
    securityTags: parseList(row.security_tags, "security_tags"),
    citesStandards: Boolean(row.cites_standards),
    otherStandards: row.other_standards,
    evidence: parseList(row.evidence, "evidence"),
    bestPracticeTags: parseList(row.best_practice_tags, "best_practice_tags"),
    barrierTags: parseList(row.barrier_tags, "barrier_tags"),
    globalSouthTags: parseList(row.global_south_tags, "global_south_tags"),
    reviewState: row.review_state,
    reviewedBy: row.reviewed_by,
    categories,
    standards,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
