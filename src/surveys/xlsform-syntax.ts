/**
 * The small syntaxes inside an XLSForm's cells, read as pyxform reads them:
 * column headers (case and space ignored, aliases such as `list name` and
 * `jr:constraintMsg`, `::Language` translations), the type column
 * (`select_one LIST or_other`, `begin group`), yes/no columns, the
 * `parameters` column, and cell text cleaning (pyxform trims, collapses
 * runs of spaces and turns "smart" quotes into plain ones, so that an
 * expression typed in a word processor still parses).
 */
import type { QuestionType } from "./form.ts";
import type { FormSheetName } from "./xlsform-common.ts";

/** A header the reader uses: its canonical key, and for translatable columns the language (null for a plain column). */
export interface Column {
  readonly index: number;
  /** The header as written, for messages. */
  readonly header: string;
  /** Canonical key ("label", "list_name", ...) or, for a choices sheet's other columns, the header itself. */
  readonly key: string;
  readonly translatable: boolean;
  /** The language after `::`, or null for a column without one. */
  readonly language: string | null;
  /** A choices-sheet column that is neither list_name, name nor label: kept in Choice.extra for choice_filter. */
  readonly extra: boolean;
}

const SURVEY_KEYS: Readonly<Record<string, string>> = {
  type: "type",
  name: "name",
  label: "label",
  caption: "label",
  hint: "hint",
  required: "required",
  required_message: "required_message",
  "jr:requiredmsg": "required_message",
  relevant: "relevant",
  relevance: "relevant",
  constraint: "constraint",
  constraint_message: "constraint_message",
  "jr:constraintmsg": "constraint_message",
  calculation: "calculation",
  calculate: "calculation",
  default: "default",
  appearance: "appearance",
  choice_filter: "choice_filter",
  read_only: "read_only",
  readonly: "read_only",
  parameters: "parameters",
  disabled: "disabled",
};

const CHOICES_KEYS: Readonly<Record<string, string>> = {
  list_name: "list_name",
  name: "name",
  value: "name",
  label: "label",
  caption: "label",
};

const SETTINGS_KEYS: Readonly<Record<string, string>> = {
  form_title: "form_title",
  title: "form_title",
  form_id: "form_id",
  id_string: "form_id",
  version: "version",
  default_language: "default_language",
};

const TRANSLATABLE = new Set(["label", "hint", "required_message", "constraint_message"]);

/** Media columns (shown with a label in ODK, never by Baseline) and other columns no one but ODK reads: skipped on every sheet. */
const IGNORED = new Set(["image", "audio", "video", "big-image", "big_image", "guidance_hint", "media", "bind", "body", "control", "instance", "trigger", "repeat_count"]);

/** The header's base part as pyxform matches it: lower case, runs of space as "_" (`list name` is `list_name`). */
function baseKey(text: string): string {
  return text.trim().toLowerCase().replace(/\s+/g, "_");
}

/** The column a header names on a sheet, or null when the reader skips it (media, bind::, unknown survey columns). */
export function columnOf(sheet: FormSheetName, header: string, index: number): Column | null {
  const written = header.trim();
  if (written === "") return null;
  const separator = written.indexOf("::");
  const base = baseKey(separator === -1 ? written : written.slice(0, separator));
  const language = separator === -1 ? null : written.slice(separator + 2).trim();
  if (IGNORED.has(base)) return null;
  const keys = sheet === "survey" ? SURVEY_KEYS : sheet === "choices" ? CHOICES_KEYS : SETTINGS_KEYS;
  const key = keys[base];
  if (key === undefined) {
    // Other choices columns are data for choice_filter (a cascading select's `region`); elsewhere they are notes.
    if (sheet === "choices" && language === null) return { index, header: written, key: written, translatable: false, language: null, extra: true };
    return null;
  }
  const translatable = sheet !== "settings" && TRANSLATABLE.has(key);
  if (language !== null && (!translatable || language === "")) return null;
  return { index, header: written, key, translatable, language, extra: false };
}

/** What a type cell says. */
export type ParsedType =
  | { kind: "begin_group" }
  | { kind: "end_group" }
  | { kind: "question"; type: QuestionType; list: string | null; orOther: boolean }
  | { kind: "unsupported"; reason: string };

const SIMPLE_TYPES: Readonly<Record<string, QuestionType>> = {
  text: "text",
  string: "text",
  integer: "integer",
  int: "integer",
  decimal: "decimal",
  date: "date",
  time: "time",
  datetime: "datetime",
  note: "note",
  calculate: "calculate",
  acknowledge: "acknowledge",
  trigger: "acknowledge",
  range: "range",
  start: "start",
  end: "end",
  today: "today",
  deviceid: "deviceid",
  imei: "deviceid",
  subscriberid: "subscriberid",
  simserial: "simserial",
  phonenumber: "phonenumber",
  username: "username",
  email: "email",
  audit: "audit",
};

const SELECT_WORDS: Readonly<Record<string, "select_one" | "select_multiple" | "rank">> = {
  select_one: "select_one",
  "select one": "select_one",
  select1: "select_one",
  select_multiple: "select_multiple",
  "select multiple": "select_multiple",
  "select all that apply": "select_multiple",
  rank: "rank",
};

export function parseType(text: string): ParsedType {
  const words = text.trim().split(/\s+/);
  const lower = words.map((word) => word.toLowerCase());
  const joined = lower.join(" ");
  if (/^begin[ _]group$/.test(joined)) return { kind: "begin_group" };
  if (/^end[ _]group$/.test(joined)) return { kind: "end_group" };
  if (/^(begin|end)[ _]repeat$/.test(joined)) return { kind: "unsupported", reason: `type "${text}" (repeats) is unsupported` };
  const simple = words.length === 1 ? SIMPLE_TYPES[lower[0] ?? ""] : undefined;
  if (simple !== undefined) return { kind: "question", type: simple, list: null, orOther: false };
  for (const [phrase, type] of Object.entries(SELECT_WORDS)) {
    const length = phrase.split(" ").length;
    if (lower.slice(0, length).join(" ") !== phrase) continue;
    const rest = words.slice(length);
    if (rest.length === 0) return { kind: "unsupported", reason: `type "${text}" names no choices list (write ${type} LIST): unsupported` };
    // pyxform's three spellings: `or_other`, `or other`, `or specify other`.
    const after = rest.slice(1).join(" ").toLowerCase();
    const orOther = ["or_other", "or other", "or specify other"].includes(after);
    if (after !== "" && !orOther) return { kind: "unsupported", reason: `type "${text}" is unsupported` };
    if (orOther && type === "rank") return { kind: "unsupported", reason: `type "${text}" is unsupported: or_other goes with select_one and select_multiple only` };
    return { kind: "question", type, list: rest[0] ?? "", orOther };
  }
  return { kind: "unsupported", reason: `type "${text}" is unsupported` };
}

/** yes/true/true()/1 and no/false/false()/0/"" as pyxform reads required and read_only; null for anything else (an expression). */
export function parseYesNo(text: string): boolean | null {
  const value = text.trim().toLowerCase();
  if (["yes", "true", "true()", "1"].includes(value)) return true;
  if (["no", "false", "false()", "0", ""].includes(value)) return false;
  return null;
}

/**
 * The parameters column: `key=value` pairs separated by spaces, commas or
 * semicolons (`start=0 end=10 step=1`); keys in lower case. Null when a
 * part is not `key=value`.
 */
export function parseParameters(text: string): Record<string, string> | null {
  const parameters: Record<string, string> = {};
  const normalised = text.trim().replace(/\s*=\s*/g, "=");
  if (normalised === "") return parameters;
  for (const part of normalised.split(/[\s,;]+/)) {
    const match = /^([^=]+)=(.+)$/.exec(part);
    if (!match?.[1] || match[2] === undefined) return null;
    parameters[match[1].toLowerCase()] = match[2];
  }
  return parameters;
}

/** A cell's text as pyxform cleans it: trimmed, runs of spaces as one, "smart" quotes as plain ones. */
export function cleanText(text: string): string {
  return text
    .trim()
    .replace(/ {2,}/g, " ")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2018\u2019]/g, "'");
}

/** XML names as pyxform requires for question, group and choice list names: a letter or _ first, then letters, digits, _, - and . */
export const NAME_PATTERN = /^[\p{L}_][\p{L}\p{N}_.-]*$/u;
