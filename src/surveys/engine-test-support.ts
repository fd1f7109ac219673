/**
 * Forms for the engine's tests, built as plain Form objects the way an
 * XLSForm's survey sheet reads: questions and begin/end group rows in
 * order, each taking the next row number, group paths worked out from
 * the nesting. Independent of the XLSForm reader on purpose.
 */
import type { Choice, Form, Group, Question, QuestionType } from "./form.ts";
import { OTHER_CHOICE, otherFieldName } from "./form.ts";

type QuestionSpec = { readonly kind: "question"; readonly name: string; readonly type: QuestionType; readonly more: Partial<Question> };
type BeginSpec = { readonly kind: "begin"; readonly name: string; readonly relevant: string | null };
type Row = QuestionSpec | BeginSpec | { readonly kind: "end" };

export function q(name: string, type: QuestionType, more: Partial<Question> = {}): QuestionSpec {
  return { kind: "question", name, type, more };
}

export function begin(name: string, relevant: string | null = null): BeginSpec {
  return { kind: "begin", name, relevant };
}

export function end(): Row {
  return { kind: "end" };
}

export function choices(...names: string[]): Choice[] {
  return names.map((name) => ({ name, label: { default: name.toUpperCase() }, extra: {} }));
}

/** Choices with extra columns, for choice_filter: [name, { region: "x" }]. */
export function choicesWith(...rows: [string, Record<string, string>][]): Choice[] {
  return rows.map(([name, extra]) => ({ name, label: { default: name }, extra }));
}

/** withOtherQuestion: add NAME_other text questions after or_other ones, as the reader does. */
export function buildForm(rows: readonly Row[], { withOtherQuestion = false } = {}): Form {
  const questions: Question[] = [];
  const groups: Group[] = [];
  const open: string[] = [];
  let row = 1;
  for (const item of rows) {
    row++;
    if (item.kind === "begin") {
      open.push(item.name);
      groups.push({ name: item.name, path: open.join("/"), label: { default: item.name }, relevant: item.relevant, appearance: null, row });
      continue;
    }
    if (item.kind === "end") {
      open.pop();
      continue;
    }
    const orOther = item.more.orOther ?? false;
    const list = item.more.choices ?? null;
    questions.push({
      name: item.name,
      type: item.type,
      group: open.join("/"),
      list: list ? `${item.name}_list` : null,
      orOther,
      label: { default: item.name },
      hint: {},
      required: false,
      requiredMessage: {},
      relevant: null,
      constraint: null,
      constraintMessage: {},
      calculation: null,
      choiceFilter: null,
      default: null,
      appearance: null,
      readOnly: false,
      parameters: {},
      row,
      ...item.more,
      choices: list && orOther ? [...list, { name: OTHER_CHOICE, label: { default: "Other" }, extra: {} }] : list,
    });
    // As the reader (and pyxform) does: the "specify other" text is a question of its own.
    if (orOther && withOtherQuestion) {
      questions.push({
        ...(questions.at(-1) as Question),
        name: otherFieldName({ name: item.name }),
        type: "text",
        list: null,
        orOther: false,
        label: { default: "Specify other." },
        required: false,
        relevant: `selected(\${${item.name}}, '${OTHER_CHOICE}')`,
        constraint: null,
        calculation: null,
        choiceFilter: null,
        default: null,
        choices: null,
      });
    }
  }
  return { id: "test", title: "Test", version: "1", defaultLanguage: "default", languages: ["default"], questions, groups };
}
