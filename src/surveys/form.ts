/**
 * The survey model every part of `src/surveys/` shares: a form as read from
 * an XLSForm (xlsform.ts builds it), and answers as XForms keeps them.
 *
 * Answers are strings, as in an XForms instance: a select_multiple holds its
 * choice names separated by single spaces, a rank its choice names in order
 * separated by spaces, a date `YYYY-MM-DD`, a time `HH:MM:SS.sss+00:00` or
 * `HH:MM`, a datetime ISO 8601; an unanswered question is absent (or "").
 * The expression language (expression.ts) converts between string, number
 * and boolean as XPath 1.0 does, which is what makes `${age} > 18` and
 * `${name} != ''` behave as in ODK Collect and Enketo.
 *
 * Texts that a form translates are `Translated`: language → text, keyed by
 * the language exactly as the sheet names it after `::` ("English (en)"),
 * or by the settings' default_language (else "default") for a column
 * without `::`, as pyxform does.
 */

/** Language (as the form names it, e.g. "Français (fr)") → text. */
export type Translated = Readonly<Record<string, string>>;

/** Types a question can have and Baseline can run. */
export const INPUT_TYPES = [
  "text",
  "integer",
  "decimal",
  "date",
  "time",
  "datetime",
  "select_one",
  "select_multiple",
  "note",
  "calculate",
  "acknowledge",
  "range",
  "rank",
] as const;

/**
 * Metadata types: accepted, never shown, recorded by the server (start and
 * end as the session's first and last moment, today as the date of the
 * end, deviceid as a constant naming the server; the others stay empty,
 * since an anonymous survey must not record who or where).
 */
export const METADATA_TYPES = [
  "start",
  "end",
  "today",
  "deviceid",
  "subscriberid",
  "simserial",
  "phonenumber",
  "username",
  "email",
  "audit",
] as const;

export type InputType = (typeof INPUT_TYPES)[number];
export type MetadataType = (typeof METADATA_TYPES)[number];
export type QuestionType = InputType | MetadataType;

export interface Choice {
  /** The value stored in answers and exports. */
  readonly name: string;
  readonly label: Translated;
  /**
   * Other columns of the choices sheet (e.g. `region` for a cascading
   * select), which a choice_filter refers to as bare names.
   */
  readonly extra: Readonly<Record<string, string>>;
}

export interface Question {
  readonly name: string;
  readonly type: QuestionType;
  /** Names of the enclosing groups joined by "/", "" at top level. */
  readonly group: string;
  /** The choices list of a select_one, select_multiple or rank; else null. */
  readonly list: string | null;
  /** `select_one list or_other`: an extra "other" choice with a text field `${name}_other`. */
  readonly orOther: boolean;
  readonly label: Translated;
  readonly hint: Translated;
  readonly required: boolean;
  readonly requiredMessage: Translated;
  /** Expressions as written in the sheet, or null. */
  readonly relevant: string | null;
  readonly constraint: string | null;
  readonly constraintMessage: Translated;
  readonly calculation: string | null;
  readonly choiceFilter: string | null;
  readonly default: string | null;
  readonly appearance: string | null;
  readonly readOnly: boolean;
  /** The `parameters` column parsed (range: start, end, step). */
  readonly parameters: Readonly<Record<string, string>>;
  /** The list's choices (with the "other" choice appended for or_other); null for other types. */
  readonly choices: readonly Choice[] | null;
  /** The survey sheet's row (1-based, the header being row 1), for messages. */
  readonly row: number;
}

export interface Group {
  readonly name: string;
  /** Its own path: enclosing names and its name joined by "/". */
  readonly path: string;
  readonly label: Translated;
  readonly relevant: string | null;
  readonly appearance: string | null;
  readonly row: number;
}

export interface Form {
  /** settings form_id, else the file's base name. */
  readonly id: string;
  /** settings form_title, else the id. */
  readonly title: string;
  /** settings version, else "". */
  readonly version: string;
  /** settings default_language, else the first language, else "default". */
  readonly defaultLanguage: string;
  /** Every language some column names, the default one first. */
  readonly languages: readonly string[];
  /** Every survey-sheet row that is not a group boundary, in sheet order. */
  readonly questions: readonly Question[];
  /** Every group, in sheet order (outer before inner). */
  readonly groups: readonly Group[];
}

/** Question name → value as XForms stores it (see the module comment). */
export type Answers = Readonly<Record<string, string>>;

/** The name of the "other" choice added by or_other, as pyxform names it. */
export const OTHER_CHOICE = "other";

/** The text field that holds an or_other question's free answer. */
export function otherFieldName(question: Pick<Question, "name">): string {
  return `${question.name}_other`;
}

/**
 * A text in the language asked for, else in the form's default language,
 * else the first one it has, else "" (a question without a label in any
 * language is shown by its name by the caller).
 */
export function textIn(text: Translated, language: string, form: Pick<Form, "defaultLanguage">): string {
  return text[language] ?? text[form.defaultLanguage] ?? Object.values(text)[0] ?? "";
}

/** The two-letter (or longer) code in a language name such as "Français (fr)", or null. */
export function languageCode(language: string): string | null {
  return /\(([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)\)\s*$/.exec(language)?.[1]?.toLowerCase() ?? null;
}

/** The JSON that `baseline survey validate --json` prints (interfaces.md §5). */
export interface FormJson {
  id: string;
  title: string;
  version: string;
  default_language: string;
  languages: string[];
  questions: {
    name: string;
    type: string;
    group: string;
    list: string | null;
    label: Record<string, string>;
    required: boolean;
    relevant: string | null;
    constraint: string | null;
    choices: { name: string; label: Record<string, string> }[] | null;
  }[];
}

export function formToJson(form: Form): FormJson {
  return {
    id: form.id,
    title: form.title,
    version: form.version,
    default_language: form.defaultLanguage,
    languages: [...form.languages],
    questions: form.questions.map((question) => ({
      name: question.name,
      type: question.type,
      group: question.group,
      list: question.list,
      label: { ...question.label },
      required: question.required,
      relevant: question.relevant,
      constraint: question.constraint,
      choices: question.choices?.map((choice) => ({ name: choice.name, label: { ...choice.label } })) ?? null,
    })),
  };
}
