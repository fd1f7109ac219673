/**
 * The functions survey expressions may call: XLSForm's documented set
 * (selected, count-selected, string-length, regex, if, today, ...) and a
 * few cheap XPath/ODK ones (concat, contains, min, max, pow, abs, ...).
 * A name not listed here is refused when the expression is parsed, so a
 * form that uses one is refused at upload, not half-run later.
 *
 * `if` (which evaluates only the branch it takes) and `once` (which
 * keeps a calculation's first value) are not here: expression.ts handles them. Every function here gets its arguments
 * already evaluated.
 *
 * regex() runs the form author's pattern with JavaScript's RegExp (with
 * the `u` flag when the pattern allows it, else without, since Java-style
 * patterns such as `\-` outside a class are common in real forms). A
 * pattern is refused when it is longer than 500 characters or repeats a
 * group that itself contains an unbounded repetition (`(a+)+`, `(\w*\s)*`):
 * those can take exponential time on a respondent's 10,000-character text.
 * That check cannot see every slow pattern (`(a|a)*` backtracks
 * exponentially too, `\d*\d*\d*\d*$` polynomially), and a respondent
 * chooses the text: so every match also runs under a time limit
 * (REGEX_TIME_LIMIT_MS, through node:vm, whose timeout interrupts a
 * running RegExp), and one that takes longer does not match.
 */
import { createContext, Script } from "node:vm";
import { toBoolean, toNumber, toText, type Value } from "./expression-values.ts";

export interface FunctionContext {
  readonly now: Date;
  /** The current value, ".", for string-length() without an argument. */
  readonly current: string;
}

interface FunctionSpec {
  readonly min: number;
  readonly max: number;
  readonly call: (args: readonly Value[], context: FunctionContext) => Value;
}

export const MAX_REGEX_LENGTH = 500;

/** `selected()`'s list: the space-separated names of a select_multiple answer. */
function selectedNames(value: Value): string[] {
  return toText(value)
    .split(/\s+/)
    .filter((name) => name !== "");
}

function arg(args: readonly Value[], index: number): Value {
  return args[index] ?? "";
}

function roundTo(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  const places = Number.isFinite(digits) ? Math.trunc(digits) : 0;
  const factor = 10 ** Math.max(-20, Math.min(20, places));
  // Half away from zero, as ODK's round (Java's HALF_UP) does.
  return (Math.sign(value) * Math.round(Math.abs(value) * factor)) / factor;
}

const FUNCTIONS = new Map<string, FunctionSpec>([
  ["not", { min: 1, max: 1, call: (args) => !toBoolean(arg(args, 0)) }],
  ["true", { min: 0, max: 0, call: () => true }],
  ["false", { min: 0, max: 0, call: () => false }],
  ["boolean", { min: 1, max: 1, call: (args) => toBoolean(arg(args, 0)) }],
  ["boolean-from-string", { min: 1, max: 1, call: (args) => ["true", "1"].includes(toText(arg(args, 0)).trim()) }],
  ["string", { min: 1, max: 1, call: (args) => toText(arg(args, 0)) }],
  ["number", { min: 1, max: 1, call: (args) => toNumber(arg(args, 0)) }],
  ["int", { min: 1, max: 1, call: (args) => Math.trunc(toNumber(arg(args, 0))) }],
  ["round", { min: 1, max: 2, call: (args) => roundTo(toNumber(arg(args, 0)), args.length > 1 ? toNumber(arg(args, 1)) : 0) }],
  ["floor", { min: 1, max: 1, call: (args) => Math.floor(toNumber(arg(args, 0))) }],
  ["ceiling", { min: 1, max: 1, call: (args) => Math.ceil(toNumber(arg(args, 0))) }],
  ["abs", { min: 1, max: 1, call: (args) => Math.abs(toNumber(arg(args, 0))) }],
  ["pow", { min: 2, max: 2, call: (args) => toNumber(arg(args, 0)) ** toNumber(arg(args, 1)) }],
  ["min", { min: 1, max: Infinity, call: (args) => Math.min(...args.map(toNumber)) }],
  ["max", { min: 1, max: Infinity, call: (args) => Math.max(...args.map(toNumber)) }],
  ["selected", { min: 2, max: 2, call: (args) => selectedNames(arg(args, 0)).includes(toText(arg(args, 1)).trim()) }],
  ["count-selected", { min: 1, max: 1, call: (args) => selectedNames(arg(args, 0)).length }],
  [
    "string-length",
    { min: 0, max: 1, call: (args, context) => Array.from(args.length > 0 ? toText(arg(args, 0)) : context.current).length },
  ],
  ["concat", { min: 0, max: Infinity, call: (args) => args.map(toText).join("") }],
  ["contains", { min: 2, max: 2, call: (args) => toText(arg(args, 0)).includes(toText(arg(args, 1))) }],
  ["starts-with", { min: 2, max: 2, call: (args) => toText(arg(args, 0)).startsWith(toText(arg(args, 1))) }],
  ["ends-with", { min: 2, max: 2, call: (args) => toText(arg(args, 0)).endsWith(toText(arg(args, 1))) }],
  ["substr", { min: 2, max: 3, call: (args) => substr(toText(arg(args, 0)), toNumber(arg(args, 1)), args.length > 2 ? toNumber(arg(args, 2)) : Infinity) }],
  [
    "coalesce",
    {
      min: 2,
      max: Infinity,
      call: (args) => args.map(toText).find((text) => text !== "") ?? "",
    },
  ],
  ["normalize-space", { min: 1, max: 1, call: (args) => toText(arg(args, 0)).trim().replace(/\s+/g, " ") }],
  ["substring-before", { min: 2, max: 2, call: (args) => beforeOrAfter(toText(arg(args, 0)), toText(arg(args, 1)), "before") }],
  ["substring-after", { min: 2, max: 2, call: (args) => beforeOrAfter(toText(arg(args, 0)), toText(arg(args, 1)), "after") }],
  ["join", { min: 1, max: Infinity, call: (args) => args.slice(1).map(toText).join(toText(arg(args, 0))) }],
  ["date", { min: 1, max: 1, call: (args) => toDate(arg(args, 0)) }],
  ["regex", { min: 2, max: 2, call: (args) => regexMatches(toText(arg(args, 0)), toText(arg(args, 1))) }],
  ["today", { min: 0, max: 0, call: (_args, context) => context.now.toISOString().slice(0, 10) }],
  ["now", { min: 0, max: 0, call: (_args, context) => context.now.toISOString() }],
]);

/** Functions expression.ts evaluates itself (their arguments lazily). */
const SPECIAL_FUNCTIONS = new Map<string, { min: number; max: number }>([
  ["if", { min: 3, max: 3 }],
  ["once", { min: 1, max: 1 }],
]);

/** The arity of a known function, or null for an unknown name. */
export function functionArity(name: string): { min: number; max: number } | null {
  const spec = FUNCTIONS.get(name) ?? SPECIAL_FUNCTIONS.get(name);
  return spec ? { min: spec.min, max: spec.max } : null;
}

export function callFunction(name: string, args: readonly Value[], context: FunctionContext): Value {
  const spec = FUNCTIONS.get(name);
  if (!spec) throw new Error(`unknown function ${name}()`);
  return spec.call(args, context);
}

function beforeOrAfter(text: string, separator: string, side: "before" | "after"): string {
  const at = text.indexOf(separator);
  if (at < 0) return "";
  return side === "before" ? text.slice(0, at) : text.slice(at + separator.length);
}

/** date(): a date text as it is, a number as that many days after 1970-01-01 (as ODK), else "". */
function toDate(value: Value): string {
  if (typeof value === "string") {
    const text = value.trim();
    if (/^\d{4}-\d{2}-\d{2}/.test(text)) return text.slice(0, 10);
  }
  const days = toNumber(value);
  if (!Number.isFinite(days) || Math.abs(days) > 3_000_000) return "";
  return new Date(Math.floor(days) * 86_400_000).toISOString().slice(0, 10);
}

/** ODK's substr(string, start, end): 0-based, end exclusive, in characters. */
function substr(text: string, start: number, end: number): string {
  const characters = Array.from(text);
  const from = Number.isNaN(start) ? 0 : Math.max(0, Math.trunc(start));
  const to = Number.isNaN(end) ? 0 : Math.min(characters.length, end === Infinity ? characters.length : Math.trunc(end));
  return characters.slice(from, Math.max(from, to)).join("");
}

/**
 * Why `pattern` cannot be used as a regex() pattern, or null when it can.
 * The same test runs at parse time (literal patterns) and at evaluation
 * (patterns computed from answers, which then simply do not match).
 */
export function regexProblem(pattern: string): string | null {
  if (pattern.length > MAX_REGEX_LENGTH) return `regex pattern longer than ${MAX_REGEX_LENGTH} characters`;
  if (compileRegex(pattern) === null) return `regex pattern ${JSON.stringify(pattern.slice(0, 80))} is not a valid regular expression`;
  if (hasNestedRepetition(pattern)) {
    return `regex pattern ${JSON.stringify(pattern.slice(0, 80))} repeats a group that itself repeats (such as (a+)+), which can take exponential time; rewrite it without the nested repetition`;
  }
  return null;
}

const compiled = new Map<string, RegExp | null>();
const MAX_COMPILED = 1000;

function compileRegex(pattern: string): RegExp | null {
  const cached = compiled.get(pattern);
  if (cached !== undefined) return cached;
  let regex: RegExp | null = null;
  for (const flags of ["u", ""]) {
    try {
      regex = new RegExp(pattern, flags);
      break;
    } catch {
      // Try the next flags; null when neither compiles.
    }
  }
  if (compiled.size >= MAX_COMPILED) compiled.clear();
  compiled.set(pattern, regex);
  return regex;
}

/** Longest a regex() match may run; real patterns on 10,000 characters take well under a millisecond. */
export const REGEX_TIME_LIMIT_MS = 50;

/** The match runs in this context so that vm's timeout can stop it (the RegExp itself is ours). */
const matchSandbox = createContext({ regex: null as RegExp | null, text: "" });
const matchScript = new Script("regex.test(text)");

function regexMatches(text: string, pattern: string): boolean {
  if (regexProblem(pattern) !== null) return false;
  const regex = compileRegex(pattern);
  if (regex === null) return false;
  // As JavaRosa's Matcher.find(): the pattern may match anywhere; anchors say otherwise.
  matchSandbox.regex = regex;
  matchSandbox.text = text;
  try {
    return matchScript.runInContext(matchSandbox, { timeout: REGEX_TIME_LIMIT_MS }) === true;
  } catch {
    // Timed out (ERR_SCRIPT_EXECUTION_TIMEOUT): a text that takes this long is not taken as matching.
    return false;
  } finally {
    matchSandbox.regex = null;
    matchSandbox.text = "";
  }
}

/**
 * Whether a group with an unbounded repetition inside is itself repeated
 * (`*`, `+`, `{n,}` or `{n,m}` with m > 1): the shape behind catastrophic
 * backtracking. Escapes and character classes are skipped.
 */
export function hasNestedRepetition(pattern: string): boolean {
  // For each open group: whether it contains an unbounded repetition.
  const stack: boolean[] = [];
  let index = 0;
  let lastGroupRepeats = false;
  const unboundedAt = (at: number): { unbounded: boolean; repeats: boolean } => {
    const char = pattern[at];
    if (char === "*" || char === "+") return { unbounded: true, repeats: true };
    if (char === "{") {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(at));
      if (match) {
        if (match[2] === undefined) return { unbounded: false, repeats: Number(match[1]) > 1 };
        if (match[3] === "") return { unbounded: true, repeats: true };
        return { unbounded: false, repeats: Number(match[3]) > 1 };
      }
    }
    return { unbounded: false, repeats: false };
  };
  while (index < pattern.length) {
    const char = pattern[index];
    if (char === "\\") {
      index += 2;
      continue;
    }
    if (char === "[") {
      index++;
      if (pattern[index] === "^") index++;
      if (pattern[index] === "]") index++;
      while (index < pattern.length && pattern[index] !== "]") index += pattern[index] === "\\" ? 2 : 1;
      index++;
      continue;
    }
    if (char === "(") {
      stack.push(false);
      index++;
      continue;
    }
    if (char === ")") {
      const inner = stack.pop() ?? false;
      const after = unboundedAt(index + 1);
      if (inner && after.repeats) lastGroupRepeats = true;
      if (stack.length > 0 && (inner || after.unbounded)) stack[stack.length - 1] = true;
      index++;
      continue;
    }
    if (unboundedAt(index).unbounded && stack.length > 0) stack[stack.length - 1] = true;
    index++;
  }
  return lastGroupRepeats;
}
