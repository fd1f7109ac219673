/**
 * What each question type accepts from a posted form field, and how the
 * answer is then stored (as XForms keeps it: see form.ts). The engine runs
 * a posted value through here on the page, and a stored value again
 * before submission, so an answer that reaches the store is always one
 * of these shapes, whatever a client sent.
 *
 * integer: -?digits within XForms' int (±2^31); decimal: a finite number
 * with a dot; date: a real calendar date YYYY-MM-DD; time: HH:MM[:SS[.sss]];
 * datetime: what <input type=datetime-local> sends, YYYY-MM-DDTHH:MM[:SS];
 * select_one: one of the question's choices; select_multiple: several,
 * stored in the order of the choices list; rank: choices in the order
 * given, no repeats; acknowledge: "OK"; range: a number from start to end
 * on the step (XLSForm's defaults 1, 10, 1); text: as typed (line ends as
 * \n), at most 10,000 characters. NUL characters are dropped everywhere
 * (PostgreSQL text cannot hold them).
 */
import type { Choice, Question } from "./form.ts";

export const MAX_TEXT_LENGTH = 10_000;
/** A number typed into a numeric field is never longer than this. */
const MAX_NUMBER_LENGTH = 40;
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

export type ParsedAnswer =
  | { readonly kind: "empty" }
  | { readonly kind: "value"; readonly value: string }
  | { readonly kind: "error"; readonly code: "type" | "choice" | "range" };

const EMPTY: ParsedAnswer = { kind: "empty" };
const value = (text: string): ParsedAnswer => ({ kind: "value", value: text });
const error = (code: "type" | "choice" | "range"): ParsedAnswer => ({ kind: "error", code });

export function cleanText(text: string): string {
  return text.replaceAll("\u0000", "").replace(/\r\n?/g, "\n");
}

/** The list a multi-valued field posted (a repeated field), or one stored value split at spaces. */
export function postedList(raw: string | readonly string[] | undefined): string[] {
  if (raw === undefined) return [];
  if (typeof raw === "string") return raw.split(/\s+/).filter((item) => item !== "");
  return raw.flatMap((item) => item.split(/\s+/)).filter((item) => item !== "");
}

/** A single-valued field: the first of repeated values. */
export function postedSingle(raw: string | readonly string[] | undefined): string {
  if (raw === undefined) return "";
  return typeof raw === "string" ? raw : (raw[0] ?? "");
}

/**
 * Parses what was posted (or stored) for `question`. `choices` are the
 * choices it may take (after its choice_filter). Empty means unanswered.
 */
export function parseAnswer(question: Question, raw: string | readonly string[] | undefined, choices: readonly Choice[]): ParsedAnswer {
  switch (question.type) {
    case "select_multiple":
    case "rank":
      return parseList(question.type, postedList(raw).map(cleanText), choices);
    case "text": {
      const text = cleanText(postedSingle(raw));
      if (text.trim() === "") return EMPTY;
      return text.length > MAX_TEXT_LENGTH ? error("type") : value(text);
    }
    default:
      break;
  }
  const text = cleanText(postedSingle(raw)).trim();
  if (text === "") return EMPTY;
  switch (question.type) {
    case "integer":
      return parseInteger(text);
    case "decimal":
      return isDecimal(text) ? value(text) : error("type");
    case "date":
      return isDate(text) ? value(text) : error("type");
    case "time":
      return isTime(text) ? value(text) : error("type");
    case "datetime": {
      const [date, time] = text.split("T");
      return date !== undefined && time !== undefined && isDate(date) && isTime(time) ? value(text) : error("type");
    }
    case "select_one":
      return choices.some((choice) => choice.name === text) ? value(text) : error("choice");
    case "acknowledge":
      return text === "OK" ? value(text) : error("type");
    case "range":
      return parseRange(question, text);
    default:
      // note, calculate and metadata take nothing from a form field.
      return EMPTY;
  }
}

function parseInteger(text: string): ParsedAnswer {
  if (text.length > MAX_NUMBER_LENGTH || !/^-?\d+$/.test(text)) return error("type");
  const number = Number(text);
  if (number < INT_MIN || number > INT_MAX) return error("range");
  return value(String(number === 0 ? 0 : number));
}

function isDecimal(text: string): boolean {
  return text.length <= MAX_NUMBER_LENGTH && /^-?(?:\d+(?:\.\d*)?|\.\d+)$/.test(text) && Number.isFinite(Number(text));
}

function isDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1) return false;
  const date = new Date(Date.UTC(2000, month - 1, day));
  date.setUTCFullYear(year);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function isTime(text: string): boolean {
  return /^(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,3})?)?$/.test(text);
}

function parseList(type: "select_multiple" | "rank", names: readonly string[], choices: readonly Choice[]): ParsedAnswer {
  if (names.length === 0) return EMPTY;
  const known = new Set(choices.map((choice) => choice.name));
  if (names.some((name) => !known.has(name))) return error("choice");
  const unique = new Set(names);
  if (type === "rank") {
    // A rank gives each choice one place: a repeated choice is not a ranking.
    return unique.size === names.length ? value(names.join(" ")) : error("choice");
  }
  return value(choices.filter((choice) => unique.has(choice.name)).map((choice) => choice.name).join(" "));
}

/** The range question's start, end and step (XLSForm's defaults 1, 10, 1). */
export function rangeOf(question: Pick<Question, "parameters">): { start: number; end: number; step: number } {
  const number = (text: string | undefined, fallback: number): number => {
    const parsed = text === undefined || text.trim() === "" ? Number.NaN : Number(text);
    return Number.isFinite(parsed) ? parsed : fallback;
  };
  const step = Math.abs(number(question.parameters.step, 1));
  return { start: number(question.parameters.start, 1), end: number(question.parameters.end, 10), step: step === 0 ? 1 : step };
}

function parseRange(question: Question, text: string): ParsedAnswer {
  if (!isDecimal(text)) return error("type");
  const number = Number(text);
  const { start, end, step } = rangeOf(question);
  if (number < Math.min(start, end) || number > Math.max(start, end)) return error("range");
  const steps = (number - start) / step;
  if (Math.abs(steps - Math.round(steps)) > 1e-9) return error("range");
  const normal = String(number === 0 ? 0 : number);
  return value(/^-?\d+(?:\.\d+)?$/.test(normal) ? normal : text);
}
