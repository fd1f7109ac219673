/**
 * Running a form: its pages, which questions are relevant given the
 * answers so far, what a posted page changes and which errors it has,
 * and the answers that are finally stored. Every function is pure (the
 * moment `now` comes in as an argument), so the server can evaluate skip
 * logic afresh on every request from the stored answers alone, and an
 * answer survives a restart between pages.
 *
 * Rules, as ODK Collect and Enketo apply them: a question is relevant when
 * its own `relevant` and every enclosing group's hold; only relevant
 * questions are checked (type, choice, range, or_other text, required,
 * constraint with `.` as the value, which an empty answer does not have
 * to meet); a non-relevant question's answer is cleared; calculations are
 * recomputed in sheet order (again, until they settle, so one may use a
 * later one); a calculation that gives NaN stores nothing.
 */
import { cleanText, MAX_TEXT_LENGTH, parseAnswer, postedSingle, type ParsedAnswer } from "./answer-types.ts";
import { evaluate, isComputedDefault, parseExpression, toBoolean, toText, type EvaluationContext, type Expression } from "./expression.ts";
import { METADATA_TYPES, OTHER_CHOICE, otherFieldName, type Answers, type Choice, type Form, type Group, type Question, type Translated } from "./form.ts";

export interface Page {
  index: number;
  /** The top-level group's path, or "_page<N>" (N counted from 1 among all pages) for a run of ungrouped questions. */
  id: string;
  group: Group | null;
  /** Displayable questions in sheet order, nested groups' included; no calculate or metadata. */
  questions: Question[];
}

export interface FieldError {
  name: string;
  code: "required" | "constraint" | "type" | "choice" | "range" | "other";
  /** The form's required_message / constraint_message, or null for the caller's own text. */
  message: Translated | null;
}

export type Posted = Readonly<Record<string, string | readonly string[]>>;

export interface SubmissionMeta {
  start: string;
  end: string;
  deviceid: string;
}

type MutableAnswers = Record<string, string>;

/*
 * Answers are plain records keyed by question name, and a name such as
 * "__proto__" is a valid XLSForm name: so they are read, written and
 * removed as own properties only.
 */
function get(answers: Answers, name: string): string | undefined {
  return Object.hasOwn(answers, name) ? answers[name] : undefined;
}

function put(answers: MutableAnswers, name: string, value: string): void {
  Object.defineProperty(answers, name, { value, enumerable: true, writable: true, configurable: true });
}

function remove(answers: MutableAnswers, name: string): void {
  Reflect.deleteProperty(answers, name);
}

const METADATA = new Set<string>(METADATA_TYPES);

/** Shown to respondents: not calculate, not metadata. */
function isDisplayable(question: Question): boolean {
  return question.type !== "calculate" && !METADATA.has(question.type);
}

/** Questions whose value the form computes rather than the respondent types. */
function isCalculated(question: Question): boolean {
  return question.calculation !== null && question.calculation.trim() !== "" && (question.type === "calculate" || question.readOnly || question.type === "note");
}

// ---------------------------------------------------------------- expressions

const parsed = new Map<string, Expression>();
const MAX_PARSED = 5000;

/** Forms come validated from the reader; parsing is cached since every request evaluates them again. */
function expressionOf(text: string): Expression {
  let expression = parsed.get(text);
  if (!expression) {
    expression = parseExpression(text);
    if (parsed.size >= MAX_PARSED) parsed.clear();
    parsed.set(text, expression);
  }
  return expression;
}

function holds(text: string | null, context: EvaluationContext): boolean {
  if (text === null || text.trim() === "") return true;
  return toBoolean(evaluate(expressionOf(text), context));
}

// ---------------------------------------------------------------- structure

const groupIndex = new WeakMap<Form, Map<string, Group>>();

function groupsByPath(form: Form): Map<string, Group> {
  let index = groupIndex.get(form);
  if (!index) {
    index = new Map(form.groups.map((group) => [group.path, group]));
    groupIndex.set(form, index);
  }
  return index;
}

/** "a/b/c" → ["a", "a/b", "a/b/c"]. */
function enclosingPaths(path: string): string[] {
  if (path === "") return [];
  const names = path.split("/");
  return names.map((_, index) => names.slice(0, index + 1).join("/"));
}

export function pagesOf(form: Form): Page[] {
  const pages: Page[] = [];
  const byGroup = new Map<string, Page>();
  let run: Page | null = null;
  let previousRow = -Infinity;
  const groupRows = form.groups.map((group) => group.row);
  for (const question of form.questions) {
    const top = question.group === "" ? "" : (question.group.split("/")[0] ?? "");
    if (top !== "") {
      run = null;
      if (!isDisplayable(question)) continue;
      let page = byGroup.get(top);
      if (!page) {
        page = { index: pages.length, id: top, group: groupsByPath(form).get(top) ?? null, questions: [] };
        byGroup.set(top, page);
        pages.push(page);
      }
      page.questions.push(question);
      continue;
    }
    // A top-level question continues the run unless a group (begin or end) stands between.
    const from = previousRow;
    previousRow = question.row;
    if (run && groupRows.some((row) => row > from && row < question.row)) run = null;
    if (!isDisplayable(question)) continue;
    if (!run) {
      run = { index: pages.length, id: `_page${pages.length + 1}`, group: null, questions: [] };
      pages.push(run);
    }
    run.questions.push(question);
  }
  return pages;
}

export function isGroupRelevant(form: Form, group: Group, answers: Answers, now: Date): boolean {
  const groups = groupsByPath(form);
  const context = { answers, now };
  return enclosingPaths(group.path).every((path) => holds(groups.get(path)?.relevant ?? null, context));
}

export function isRelevant(form: Form, question: Question, answers: Answers, now: Date): boolean {
  const context = { answers, now };
  if (!holds(question.relevant, context)) return false;
  const groups = groupsByPath(form);
  return enclosingPaths(question.group).every((path) => holds(groups.get(path)?.relevant ?? null, context));
}

export function relevantPages(form: Form, answers: Answers, now: Date): Page[] {
  return pagesOf(form).filter((page) => page.questions.some((question) => isRelevant(form, question, answers, now)));
}

export function choicesFor(form: Form, question: Question, answers: Answers, now: Date): Choice[] {
  const choices = question.choices ?? [];
  const filter = question.choiceFilter;
  if (filter === null || filter.trim() === "") return [...choices];
  const expression = expressionOf(filter);
  return choices.filter(
    (choice) => (question.orOther && choice.name === OTHER_CHOICE) || toBoolean(evaluate(expression, { answers, now, choice })),
  );
}

// ---------------------------------------------------------------- answers

/**
 * Passes over the calculations at most: one settles calculations in sheet
 * order, each further one a calculation that uses a later one; a cycle
 * (a = f(b), b = g(a)) that never settles stops here.
 */
const MAX_CALCULATION_PASSES = 50;

/** Recomputes the calculations in sheet order, repeating until they settle (bounded). */
function recalculate(form: Form, answers: MutableAnswers, now: Date): void {
  const calculated = form.questions.filter(isCalculated);
  for (let pass = 0; pass <= Math.min(calculated.length, MAX_CALCULATION_PASSES); pass++) {
    let changed = false;
    for (const question of calculated) {
      let result = "";
      if (isRelevant(form, question, answers, now) && question.calculation !== null) {
        const computed = evaluate(expressionOf(question.calculation), { answers, now, current: get(answers, question.name) ?? "" });
        result = typeof computed === "number" && Number.isNaN(computed) ? "" : toText(computed);
      }
      const before = get(answers, question.name) ?? "";
      if (result === before) continue;
      changed = true;
      if (result === "") remove(answers, question.name);
      else put(answers, question.name, result);
    }
    if (!changed) return;
  }
}

/**
 * Clears the answers of the non-relevant questions among `scope` (and an
 * or_other text whose "other" is no longer chosen), recomputing the
 * calculations, until nothing changes: clearing one answer can make
 * another question non-relevant.
 */
function settle(form: Form, answers: MutableAnswers, now: Date, scope: readonly Question[]): void {
  for (let pass = 0; pass <= scope.length; pass++) {
    recalculate(form, answers, now);
    let changed = false;
    for (const question of scope) {
      if (isCalculated(question) || METADATA.has(question.type)) continue;
      const other = otherFieldName(question);
      if (!isRelevant(form, question, answers, now)) {
        if (Object.hasOwn(answers, question.name) || Object.hasOwn(answers, other)) changed = true;
        remove(answers, question.name);
        if (question.orOther) remove(answers, other);
      } else if (question.orOther && Object.hasOwn(answers, other) && !otherChosen(get(answers, question.name))) {
        remove(answers, other);
        changed = true;
      }
    }
    if (!changed) return;
  }
}

function otherChosen(answer: string | undefined): boolean {
  return (answer ?? "").split(" ").includes(OTHER_CHOICE);
}

export function initialAnswers(form: Form, now: Date): Answers {
  const answers: MutableAnswers = {};
  for (const question of form.questions) {
    if (!isDisplayable(question) || isCalculated(question) || question.type === "note") continue;
    if (question.default === null || question.default.trim() === "") continue;
    // A call such as today() is computed now (pyxform's dynamic default); anything else is the value itself.
    const given = isComputedDefault(question.default) ? toText(evaluate(expressionOf(question.default), { answers, now })) : question.default;
    // Stored as if the respondent had typed it, so that "05" becomes 5 and an impossible default is left out.
    const result = parseAnswer(question, given, question.choices ?? []);
    if (result.kind === "value") put(answers, question.name, result.value);
  }
  recalculate(form, answers, now);
  return answers;
}

function messageOf(text: Translated): Translated | null {
  return Object.values(text).some((message) => message.trim() !== "") ? text : null;
}

/** Whether the respondent enters this question's value (notes and read-only ones they do not). */
function isEntered(question: Question): boolean {
  return question.type !== "note" && !question.readOnly && !isCalculated(question);
}

/**
 * The error of a relevant question whose answer is already stored (and
 * well-typed, or `typeError` says otherwise): or_other text, required,
 * then constraint.
 */
function checkAnswer(question: Question, answers: Answers, now: Date, typeError: FieldError | null): FieldError | null {
  if (typeError) return typeError;
  const answer = get(answers, question.name) ?? "";
  if (question.orOther && otherChosen(answer) && (get(answers, otherFieldName(question)) ?? "").trim() === "") {
    return { name: question.name, code: "other", message: null };
  }
  if (answer === "") {
    return question.required && isEntered(question) ? { name: question.name, code: "required", message: messageOf(question.requiredMessage) } : null;
  }
  if (question.constraint !== null && !holds(question.constraint, { answers, now, current: answer })) {
    return { name: question.name, code: "constraint", message: messageOf(question.constraintMessage) };
  }
  return null;
}

function storeParsed(answers: MutableAnswers, name: string, result: ParsedAnswer): void {
  if (result.kind === "value") put(answers, name, result.value);
  else remove(answers, name);
}

export function applyPage(form: Form, page: Page, posted: Posted, answers: Answers, now: Date): { answers: Answers; errors: FieldError[] } {
  const next: MutableAnswers = { ...answers };
  const typeErrors = new Map<string, FieldError>();
  const field = (name: string): string | readonly string[] | undefined => (Object.hasOwn(posted, name) ? posted[name] : undefined);
  const entered = page.questions.filter(isEntered);
  // First every value against the full choices lists, so that a filter
  // can see the answers posted with it (a cascading select on one page)...
  for (const question of entered) {
    const result = parseAnswer(question, field(question.name), question.choices ?? []);
    storeParsed(next, question.name, result);
    if (result.kind === "error") typeErrors.set(question.name, { name: question.name, code: result.code, message: null });
  }
  // ...then the filtered ones against what their filter now allows.
  for (const question of entered) {
    if (question.choiceFilter === null || typeErrors.has(question.name) || !Object.hasOwn(next, question.name)) continue;
    const result = parseAnswer(question, get(next, question.name), choicesFor(form, question, next, now));
    storeParsed(next, question.name, result);
    if (result.kind === "error") typeErrors.set(question.name, { name: question.name, code: result.code, message: null });
  }
  const onPage = new Set(entered.map((question) => question.name));
  for (const question of entered) {
    if (!question.orOther) continue;
    const other = otherFieldName(question);
    // The reader adds NAME_other as a text question of its own (as pyxform does): then it was parsed above.
    if (onPage.has(other)) continue;
    const text = cleanText(postedSingle(field(other)));
    if (!otherChosen(get(next, question.name)) || text.trim() === "") {
      remove(next, other);
    } else if (text.length > MAX_TEXT_LENGTH) {
      remove(next, other);
      if (!typeErrors.has(question.name)) typeErrors.set(question.name, { name: question.name, code: "type", message: null });
    } else {
      put(next, other, text);
    }
  }
  settle(form, next, now, page.questions);
  const errors: FieldError[] = [];
  for (const question of page.questions) {
    if (!isRelevant(form, question, next, now)) continue;
    const error = checkAnswer(question, next, now, typeErrors.get(question.name) ?? null);
    // A NAME_other text refused as too long already has its error; "other is empty" would say it twice.
    if (error?.code === "other" && typeErrors.has(otherFieldName(question))) continue;
    if (error) errors.push(error);
  }
  return { answers: next, errors };
}

/** A stored answer checked again as if posted: its type error, if any. */
function storedTypeError(form: Form, question: Question, answers: Answers, now: Date): FieldError | null {
  if (!isEntered(question) || !Object.hasOwn(answers, question.name)) return null;
  const result = parseAnswer(question, get(answers, question.name), choicesFor(form, question, answers, now));
  if (result.kind === "error") return { name: question.name, code: result.code, message: null };
  if (result.kind === "value" && result.value !== get(answers, question.name)) return { name: question.name, code: "type", message: null };
  return null;
}

export function validateAll(form: Form, answers: Answers, now: Date): FieldError[] {
  const next: MutableAnswers = { ...answers };
  settle(form, next, now, form.questions);
  const errors: FieldError[] = [];
  for (const page of pagesOf(form)) {
    for (const question of page.questions) {
      if (!isRelevant(form, question, next, now)) continue;
      const error = checkAnswer(question, next, now, storedTypeError(form, question, next, now));
      if (error) errors.push(error);
    }
  }
  return errors;
}

function metadataValue(type: string, meta: SubmissionMeta): string {
  switch (type) {
    case "start":
      return meta.start;
    case "end":
      return meta.end;
    case "today": {
      const end = new Date(meta.end);
      return Number.isNaN(end.getTime()) ? meta.end.slice(0, 10) : end.toISOString().slice(0, 10);
    }
    case "deviceid":
      return meta.deviceid;
    default:
      // subscriberid, simserial, phonenumber, username, email, audit: an anonymous survey records none.
      return "";
  }
}

export function finalAnswers(form: Form, answers: Answers, now: Date, meta: SubmissionMeta): Answers {
  // Only the form's own questions (and or_other texts) are kept, whatever else the answers hold.
  const known = new Set(form.questions.flatMap((question) => (question.orOther ? [question.name, otherFieldName(question)] : [question.name])));
  const next: MutableAnswers = {};
  for (const [name, value] of Object.entries(answers)) if (known.has(name) && value !== "") put(next, name, value);
  for (const question of form.questions) {
    if (!METADATA.has(question.type)) continue;
    const value = metadataValue(question.type, meta);
    if (value === "") remove(next, question.name);
    else put(next, question.name, value);
  }
  settle(form, next, now, form.questions);
  // A value that is not of its question's type is not stored (validateAll reports them before).
  let dropped = false;
  for (const question of form.questions) {
    if (storedTypeError(form, question, next, now)) {
      remove(next, question.name);
      dropped = true;
    }
    if (question.orOther && Object.hasOwn(next, otherFieldName(question))) {
      const text = get(next, otherFieldName(question)) ?? "";
      if (text.length > MAX_TEXT_LENGTH) {
        remove(next, otherFieldName(question));
        dropped = true;
      }
    }
  }
  if (dropped) settle(form, next, now, form.questions);
  return next;
}
