/**
 * A survey's results, counted in one pass over its responses with bounded
 * memory (a survey's answers may be many more than fit in memory at once):
 * - choice questions (select_one, select_multiple, the first choice of a
 *   rank, acknowledge): how many answered, and per choice the count and the
 *   percentage of those who answered (a select_multiple's add up to more
 *   than 100 %);
 * - numbers (integer, decimal, range): n, mean, median, min, max. The
 *   median is exact while a question has at most MAX_DISTINCT_NUMBERS
 *   distinct values (counts per value), else estimated from a fixed-size
 *   sample (`approximate` says so);
 * - free text (text, the "specify other" of or_other, dates and times): the
 *   first MAX_LISTED_TEXTS answers listed, each cut at MAX_TEXT_LENGTH, and
 *   how many there are in all;
 * - a cross-tabulation by one select question (`by`): for every other
 *   choice question, rows are the choices of `by`, columns the choices of
 *   that question, with counts and row percentages.
 * Notes, calculations and metadata are not tallied.
 *
 * Pure: the Form and an async iterable of responses in, figures out; no
 * import from the rest of Baseline.
 *
 * @example
 *   const results = await tallySurvey(form, iterateResponses(db, id), { by: "region" });
 */
import { OTHER_CHOICE, type Answers, type Choice, type Form, type Question, type Translated } from "./form.ts";

export const MAX_LISTED_TEXTS = 1000;
export const MAX_TEXT_LENGTH = 2000;
export const MAX_DISTINCT_NUMBERS = 10_000;
const SAMPLE_SIZE = 10_000;

export interface ChoiceTally {
  name: string;
  label: Translated;
  count: number;
  /** Of those who answered the question, 0..100. */
  percent: number;
}

export interface NumberSummary {
  n: number;
  mean: number;
  median: number;
  min: number;
  max: number;
  /** The median is estimated from a sample (too many distinct values to count each). */
  approximate: boolean;
}

export interface TextList {
  /** The first answers, in the order read (each cut at MAX_TEXT_LENGTH). */
  values: string[];
  /** How many answers there are in all. */
  total: number;
}

export type QuestionResult = {
  name: string;
  type: Question["type"];
  label: Translated;
  group: string;
  /** Responses with an answer to the question. */
  answered: number;
} & (
  | { kind: "choices"; choices: ChoiceTally[]; /** rank: the choices counted are the first ranked. */ firstOnly: boolean }
  | { kind: "number"; summary: NumberSummary | null }
  | { kind: "text"; texts: TextList }
);

export interface CrossTabRow {
  name: string;
  label: Translated;
  /** Responses in this row that answered the column question. */
  total: number;
  cells: { name: string; label: Translated; count: number; /** Of the row's total, 0..100. */ percent: number }[];
}

export interface CrossTab {
  /** The question whose choices are the columns. */
  question: string;
  label: Translated;
  columns: { name: string; label: Translated }[];
  rows: CrossTabRow[];
}

export interface SurveyResults {
  responses: number;
  /** YYYY-MM-DD of the first and last submission, when the responses say. */
  firstSubmittedOn: string | null;
  lastSubmittedOn: string | null;
  questions: QuestionResult[];
  /** The question cross-tabulated by, or null. */
  by: string | null;
  crossTabs: CrossTab[];
}

/** Thrown for a `by` that is not a select question of the form. */
export class ResultsError extends Error {
  override name = "ResultsError";
}

const CHOICE_TYPES = new Set(["select_one", "select_multiple", "rank", "acknowledge"]);
const NUMBER_TYPES = new Set(["integer", "decimal", "range"]);
const TEXT_TYPES = new Set(["text", "date", "time", "datetime"]);

/** The choice names an answer selects (for rank, only the first). */
function selected(question: Question, value: string): string[] {
  if (question.type === "select_one" || question.type === "acknowledge") return [value];
  const names = value.split(" ").filter((name) => name !== "");
  return question.type === "rank" ? names.slice(0, 1) : [...new Set(names)];
}

function choicesOf(question: Question): readonly Choice[] {
  if (question.type === "acknowledge") return [{ name: "OK", label: {}, extra: {} }];
  return question.choices ?? [];
}

function answerOf(answers: Answers, name: string): string {
  const value: unknown = Object.hasOwn(answers, name) ? answers[name] : undefined;
  return typeof value === "string" ? value.trim() : "";
}

const percent = (count: number, of: number): number => (of === 0 ? 0 : (count * 100) / of);

class ChoiceCounter {
  answered = 0;
  readonly counts = new Map<string, number>();
  readonly question: Question;
  constructor(question: Question) {
    this.question = question;
    for (const choice of choicesOf(question)) this.counts.set(choice.name, 0);
  }
  add(value: string): void {
    let any = false;
    for (const name of selected(this.question, value)) {
      const count = this.counts.get(name);
      // Only the form's choices: a stray value must not grow the map.
      if (count === undefined) continue;
      this.counts.set(name, count + 1);
      any = true;
    }
    if (any) this.answered += 1;
  }
  result(): ChoiceTally[] {
    return choicesOf(this.question).map((choice) => ({ name: choice.name, label: choice.label, count: this.counts.get(choice.name) ?? 0, percent: percent(this.counts.get(choice.name) ?? 0, this.answered) }));
  }
}

/** A deterministic pseudo-random generator (mulberry32): the same answers give the same estimate. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class NumberCounter {
  n = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  /** Value → count while distinct values are few; then null and the sample takes over. */
  histogram: Map<number, number> | null = new Map();
  sample: number[] = [];
  readonly random = generator(0x5eed);

  add(value: string): void {
    if (value === "") return;
    const number = Number(value);
    if (!Number.isFinite(number)) return;
    this.n += 1;
    this.sum += number;
    this.min = Math.min(this.min, number);
    this.max = Math.max(this.max, number);
    if (this.histogram) {
      this.histogram.set(number, (this.histogram.get(number) ?? 0) + 1);
      if (this.histogram.size > MAX_DISTINCT_NUMBERS) this.toSample();
      return;
    }
    // Reservoir sampling (algorithm R): each value so far is in the sample with equal chance.
    if (this.sample.length < SAMPLE_SIZE) this.sample.push(number);
    else {
      const slot = Math.floor(this.random() * this.n);
      if (slot < SAMPLE_SIZE) this.sample[slot] = number;
    }
  }

  /** The histogram's values become a uniform sample of what was seen. */
  private toSample(): void {
    const histogram = this.histogram;
    this.histogram = null;
    if (!histogram) return;
    let seen = 0;
    for (const [value, count] of histogram) {
      for (let k = 0; k < count; k++) {
        seen += 1;
        if (this.sample.length < SAMPLE_SIZE) this.sample.push(value);
        else {
          const slot = Math.floor(this.random() * seen);
          if (slot < SAMPLE_SIZE) this.sample[slot] = value;
        }
      }
    }
  }

  result(): NumberSummary | null {
    if (this.n === 0) return null;
    return { n: this.n, mean: this.sum / this.n, median: this.median(), min: this.min, max: this.max, approximate: this.histogram === null };
  }

  private median(): number {
    if (this.histogram) {
      const values = [...this.histogram.entries()].sort((a, b) => a[0] - b[0]);
      const at = (position: number): number => {
        let passed = 0;
        for (const [value, count] of values) {
          passed += count;
          if (position < passed) return value;
        }
        return values.at(-1)?.[0] ?? Number.NaN;
      };
      return this.n % 2 === 1 ? at((this.n - 1) / 2) : (at(this.n / 2 - 1) + at(this.n / 2)) / 2;
    }
    const sorted = [...this.sample].sort((a, b) => a - b);
    const middle = sorted.length / 2;
    return sorted.length % 2 === 1 ? (sorted[Math.floor(middle)] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  }
}

class TextCounter {
  readonly values: string[] = [];
  total = 0;
  add(value: string): void {
    if (value === "") return;
    this.total += 1;
    if (this.values.length < MAX_LISTED_TEXTS) this.values.push(value.length > MAX_TEXT_LENGTH ? `${value.slice(0, MAX_TEXT_LENGTH - 1)}…` : value);
  }
}

/** Counts for one column question under every choice of `by`. */
class CrossCounter {
  /** by-choice → column-choice → count; by-choice → answered. */
  readonly cells = new Map<string, Map<string, number>>();
  readonly totals = new Map<string, number>();
  readonly by: Question;
  readonly question: Question;
  constructor(by: Question, question: Question) {
    this.by = by;
    this.question = question;
    for (const row of choicesOf(by)) {
      this.cells.set(row.name, new Map(choicesOf(question).map((choice) => [choice.name, 0])));
      this.totals.set(row.name, 0);
    }
  }
  add(rows: readonly string[], value: string): void {
    const columns = selected(this.question, value);
    for (const row of rows) {
      const cells = this.cells.get(row);
      if (!cells) continue;
      let any = false;
      for (const column of columns) {
        const count = cells.get(column);
        if (count === undefined) continue;
        cells.set(column, count + 1);
        any = true;
      }
      if (any) this.totals.set(row, (this.totals.get(row) ?? 0) + 1);
    }
  }
  result(): CrossTab {
    const columns = choicesOf(this.question).map((choice) => ({ name: choice.name, label: choice.label }));
    return {
      question: this.question.name,
      label: this.question.label,
      columns,
      rows: choicesOf(this.by).map((row) => {
        const total = this.totals.get(row.name) ?? 0;
        const cells = this.cells.get(row.name);
        return {
          name: row.name,
          label: row.label,
          total,
          cells: columns.map((column) => ({ ...column, count: cells?.get(column.name) ?? 0, percent: percent(cells?.get(column.name) ?? 0, total) })),
        };
      }),
    };
  }
}

type Counter = { question: Question; choices: ChoiceCounter } | { question: Question; number: NumberCounter } | { question: Question; text: TextCounter; field: string };

export async function tallySurvey(form: Form, responses: AsyncIterable<{ answers: Answers; submittedOn?: string }>, options: { by?: string } = {}): Promise<SurveyResults> {
  const names = new Set(form.questions.map((question) => question.name));
  const counters: Counter[] = [];
  for (const question of form.questions) {
    if (CHOICE_TYPES.has(question.type)) {
      counters.push({ question, choices: new ChoiceCounter(question) });
      // or_other's text, when the form has no question of its own for it (the XLSForm reader adds one).
      const other = `${question.name}_other`;
      if (question.orOther && !names.has(other)) counters.push({ question, text: new TextCounter(), field: other });
    } else if (NUMBER_TYPES.has(question.type)) counters.push({ question, number: new NumberCounter() });
    else if (TEXT_TYPES.has(question.type)) counters.push({ question, text: new TextCounter(), field: question.name });
  }

  let by: Question | null = null;
  if (options.by !== undefined && options.by !== "") {
    by = form.questions.find((question) => question.name === options.by) ?? null;
    if (!by || (by.type !== "select_one" && by.type !== "select_multiple")) throw new ResultsError(`cannot cross-tabulate by "${options.by}": it is not a select_one or select_multiple question of the form`);
  }
  const byQuestion = by;
  const crosses = byQuestion ? form.questions.filter((question) => question !== byQuestion && CHOICE_TYPES.has(question.type)).map((question) => new CrossCounter(byQuestion, question)) : [];

  let count = 0;
  let first: string | null = null;
  let last: string | null = null;
  for await (const response of responses) {
    count += 1;
    if (response.submittedOn) {
      if (first === null || response.submittedOn < first) first = response.submittedOn;
      if (last === null || response.submittedOn > last) last = response.submittedOn;
    }
    for (const counter of counters) {
      if ("choices" in counter) {
        const value = answerOf(response.answers, counter.question.name);
        if (value !== "") counter.choices.add(value);
      } else if ("number" in counter) counter.number.add(answerOf(response.answers, counter.question.name));
      else counter.text.add(answerOf(response.answers, counter.field));
    }
    if (byQuestion) {
      const rowValue = answerOf(response.answers, byQuestion.name);
      if (rowValue === "") continue;
      const rows = selected(byQuestion, rowValue);
      for (const cross of crosses) {
        const value = answerOf(response.answers, cross.question.name);
        if (value !== "") cross.add(rows, value);
      }
    }
  }

  const questions: QuestionResult[] = counters.map((counter): QuestionResult => {
    const base = { name: counter.question.name, type: counter.question.type, label: counter.question.label, group: counter.question.group };
    if ("choices" in counter) return { ...base, answered: counter.choices.answered, kind: "choices", choices: counter.choices.result(), firstOnly: counter.question.type === "rank" };
    if ("number" in counter) return { ...base, answered: counter.number.n, kind: "number", summary: counter.number.result() };
    // A "specify other" text counted under its question gets its own name.
    const name = counter.field;
    const label = name === counter.question.name ? counter.question.label : otherLabel(counter.question);
    return { ...base, name, type: name === counter.question.name ? counter.question.type : "text", label, answered: counter.text.total, kind: "text", texts: { values: counter.text.values, total: counter.text.total } };
  });
  return { responses: count, firstSubmittedOn: first, lastSubmittedOn: last, questions, by: byQuestion?.name ?? null, crossTabs: crosses.map((cross) => cross.result()) };
}

function otherLabel(question: Question): Translated {
  return question.choices?.find((choice) => choice.name === OTHER_CHOICE)?.label ?? {};
}
