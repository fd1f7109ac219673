/**
 * The columns every export of a survey's responses shares, laid out as
 * KoboToolbox lays out its CSV and XLSX exports, so that analysts who know
 * those find the same table: one column per question in sheet order (notes
 * left out: they hold no answer; calculate and metadata kept), right after
 * a select_multiple one 1/0 column per option named `question/option`
 * (empty when the question was not answered), after an or_other question
 * its `question_other` text, and at the end `_id` and `_submitted_on`.
 * Headers are question names; values are choice names, as stored. The
 * "labels" variant (Kobo's labels export) has question labels as headers
 * and choice labels as values, in the language asked for.
 *
 * Pure: takes the Form and an async iterable of responses; imports nothing
 * of the rest of Baseline, so that exports run wherever the answers come
 * from (the store, a file, a test).
 */
import { OTHER_CHOICE, otherFieldName, textIn, type Answers, type Choice, type Form, type Question } from "./form.ts";

/** A response as the exports read it: the store's StoredResponse fits. */
export interface ExportResponse {
  readonly answers: Answers;
  /** YYYY-MM-DD. */
  readonly submittedOn?: string;
  /** The response's id; a running number when absent. */
  readonly id?: string;
}

/** Responses once, or a function that reads them afresh (exports that need two passes take only this). */
export type ResponseSource = AsyncIterable<ExportResponse> | (() => AsyncIterable<ExportResponse>);

export function responsesOf(source: ResponseSource): AsyncIterable<ExportResponse> {
  return typeof source === "function" ? source() : source;
}

export type Column =
  | { readonly kind: "question"; readonly name: string; readonly question: Question }
  | { readonly kind: "option"; readonly name: string; readonly question: Question; readonly choice: Choice }
  | { readonly kind: "other"; readonly name: string; readonly question: Question }
  | { readonly kind: "id"; readonly name: "_id" }
  | { readonly kind: "submitted"; readonly name: "_submitted_on" };

export interface ExportOptions {
  /** Label headers and choice labels instead of names (Kobo's "labels" export). */
  labels?: boolean;
  /** The language of labels: one the form names (e.g. "Français (fr)"); default the form's default language. */
  language?: string;
}

/** Types with numbers for answers: written as numbers in XLSX and SPSS. */
export const NUMERIC_TYPES: ReadonlySet<string> = new Set(["integer", "decimal", "range"]);

export function exportColumns(form: Form): Column[] {
  const columns: Column[] = [];
  // The XLSForm reader adds NAME_other as a text question of its own, as
  // pyxform does; a form built otherwise gets the column here.
  const names = new Set(form.questions.map((question) => question.name));
  for (const question of form.questions) {
    if (question.type === "note") continue;
    columns.push({ kind: "question", name: question.name, question });
    if (question.type === "select_multiple") {
      for (const choice of question.choices ?? []) columns.push({ kind: "option", name: `${question.name}/${choice.name}`, question, choice });
    }
    if (question.orOther && !names.has(otherFieldName(question))) columns.push({ kind: "other", name: otherFieldName(question), question });
  }
  columns.push({ kind: "id", name: "_id" }, { kind: "submitted", name: "_submitted_on" });
  return columns;
}

/** An answer as text, "" when absent (own properties only: a question may be named like Object's members). */
export function answerOf(answers: Answers, name: string): string {
  const value: unknown = Object.hasOwn(answers, name) ? answers[name] : undefined;
  return typeof value === "string" ? value : "";
}

/** The selected choice names of a select_multiple or rank answer. */
export function selectedNames(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(" ").filter((name) => name !== "");
}

export function questionLabel(form: Form, question: Question, language: string): string {
  return textIn(question.label, language, form).trim() || question.name;
}

export function choiceLabel(form: Form, choice: Choice, language: string): string {
  return textIn(choice.label, language, form).trim() || choice.name;
}

/** The header of a column, as a name or as a label. */
export function columnHeader(form: Form, column: Column, options: ExportOptions = {}): string {
  if (!options.labels) return column.name;
  const language = options.language ?? form.defaultLanguage;
  switch (column.kind) {
    case "question":
      return questionLabel(form, column.question, language);
    case "option":
      return `${questionLabel(form, column.question, language)}/${choiceLabel(form, column.choice, language)}`;
    case "other":
      return `${questionLabel(form, column.question, language)}/${otherLabel(form, column.question, language)}`;
    case "id":
    case "submitted":
      return column.name;
  }
}

/** The label of the or_other choice, to name the text column after it. */
function otherLabel(form: Form, question: Question, language: string): string {
  const choice = question.choices?.find((candidate) => candidate.name === OTHER_CHOICE);
  return choice ? choiceLabel(form, choice, language) : OTHER_CHOICE;
}

/** A column's value for one response, as text: names (or labels), 1/0 per option, "" when unanswered. */
export function cellText(form: Form, column: Column, response: ExportResponse, index: number, options: ExportOptions = {}): string {
  switch (column.kind) {
    case "id":
      return response.id ?? String(index + 1);
    case "submitted":
      return response.submittedOn ?? "";
    case "other":
      return answerOf(response.answers, column.name);
    case "option": {
      const value = answerOf(response.answers, column.question.name);
      if (value === "") return "";
      return selectedNames(value).includes(column.choice.name) ? "1" : "0";
    }
    case "question": {
      const value = answerOf(response.answers, column.name);
      if (!options.labels || value === "" || column.question.choices === null) return value;
      const language = options.language ?? form.defaultLanguage;
      const labelOf = (name: string): string => {
        const choice = column.question.choices?.find((candidate) => candidate.name === name);
        return choice ? choiceLabel(form, choice, language) : name;
      };
      return column.question.type === "select_one" ? labelOf(value) : selectedNames(value).map(labelOf).join(" ");
    }
  }
}

/** The number in a numeric answer, or null (unanswered or not a number). */
export function numberOf(value: string): number | null {
  if (value.trim() === "") return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}
