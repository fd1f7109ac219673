/**
 * The values of the survey expression language and XPath 1.0's rules for
 * converting between them. Answers are strings (form.ts), so whether
 * `${age} > 18` compares numbers or `${name} = 'x'` compares text is
 * decided here, by the same rules ODK Collect and Enketo follow: a
 * comparison with a number is numeric ('' and 'abc' become NaN, and NaN
 * compares false), `=` between two texts compares text, a boolean
 * comparison is boolean. One departure, as JavaRosa's typed dates make
 * it: `<`/`>` between two ISO dates (or two times) compare them as text,
 * which orders them correctly, where plain XPath would give NaN < NaN;
 * and a date in arithmetic or compared with a number is its count of days
 * since 1970-01-01, as in JavaRosa and Enketo (`today() - ${birth}`).
 */

export type Value = string | number | boolean;

/** XPath's number lexeme: digits with an optional fraction, an optional minus, spaces around. */
const NUMBER_TEXT = /^\s*-?(?:\d+(?:\.\d*)?|\.\d+)\s*$/;

export function toNumber(value: Value): number {
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (NUMBER_TEXT.test(value)) return Number(value);
  return DATE_LIKE.test(value.trim()) ? daysSinceEpoch(value.trim()) : Number.NaN;
}

/**
 * A date (or datetime) as a number: days since 1970-01-01, a datetime's
 * time as the fraction of its day. JavaRosa and Enketo convert dates so,
 * and forms count on it: `int((today() - ${birth}) div 365.25)` for an
 * age, or a constraint `. >= today() - 30`, which plain XPath would make
 * NaN (and the constraint impossible to meet). A datetime without a zone
 * is taken as UTC, as today() and now() are. Not a real date: NaN.
 */
function daysSinceEpoch(text: string): number {
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/.test(text) || !text.includes("T") ? text : `${text}Z`;
  const [year, month, day] = text.slice(0, 10).split("-").map(Number);
  const calendar = new Date(Date.UTC(2000, (month ?? 0) - 1, day ?? 0));
  calendar.setUTCFullYear(year ?? 0);
  if (calendar.getUTCMonth() !== (month ?? 0) - 1 || calendar.getUTCDate() !== day) return Number.NaN;
  const time = text.includes("T") ? Date.parse(zoned.replace(/([+-]\d{2})(\d{2})$/, "$1:$2")) : calendar.getTime();
  return Number.isNaN(time) ? Number.NaN : time / 86_400_000;
}

export function toBoolean(value: Value): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0 && !Number.isNaN(value);
  return value.length > 0;
}

/** XPath's string(): integers without a decimal point, never an exponent, NaN as "NaN". */
export function toText(value: Value): string {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
  if (Object.is(value, -0)) return "0";
  const text = String(value);
  if (!/e/i.test(text)) return text;
  // Very large or very small numbers: JS writes an exponent, XPath never does.
  if (Number.isInteger(value)) return BigInt(value).toString();
  return value.toFixed(20).replace(/\.?0+$/, "");
}

/** Dates, datetimes and times as answers hold them (and today()/now() return). */
const DATE_LIKE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const TIME_LIKE = /^\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;

export type EqualityOperator = "=" | "!=";
export type RelationalOperator = "<" | "<=" | ">" | ">=";

/** `=` and `!=`: boolean if either side is boolean, else numeric if either is a number, else text. */
export function equals(left: Value, right: Value): boolean {
  if (typeof left === "boolean" || typeof right === "boolean") return toBoolean(left) === toBoolean(right);
  if (typeof left === "number" || typeof right === "number") return toNumber(left) === toNumber(right);
  return left === right;
}

/** `<`, `<=`, `>`, `>=`: numeric, except between two dates or two times (see the module comment). */
export function compare(operator: RelationalOperator, left: Value, right: Value): boolean {
  if (typeof left === "string" && typeof right === "string" && bothTemporal(left, right)) {
    switch (operator) {
      case "<":
        return left < right;
      case "<=":
        return left <= right;
      case ">":
        return left > right;
      case ">=":
        return left >= right;
    }
  }
  const a = toNumber(left);
  const b = toNumber(right);
  switch (operator) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
  }
}

function bothTemporal(left: string, right: string): boolean {
  return (DATE_LIKE.test(left) && DATE_LIKE.test(right)) || (TIME_LIKE.test(left) && TIME_LIKE.test(right));
}
