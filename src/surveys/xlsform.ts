/**
 * XLSForm in, Form out (form.ts): reads an .xlsx or pyxform-layout .csv
 * and checks everything that can be checked without answers, so that a
 * Form that comes out of here is safe for the engine, the store, the
 * exports and the web pages to use without checking again.
 *
 * It reads the form as pyxform, the reference implementation, does: the
 * same sheets, headers and aliases, languages (`label::Français (fr)`, a
 * plain `label` belonging to settings default_language or "default"),
 * `or_other` (an "other" choice labelled "Other" in each language of the
 * list, and right after the question a text question `NAME_other`,
 * "Specify other.", relevant when "other" is selected), names that are
 * XML names unique in the form. What Baseline cannot run (repeats,
 * geopoint, media, choices from files, required or read_only given as an
 * expression, defaults that refer to other questions, allow_choice_duplicates) is refused with
 * the word "unsupported" rather than half done.
 *
 * Stricter than pyxform on purpose in two places, both where a form would
 * otherwise run wrongly without a word: names are unique in the whole form
 * (answers are keyed by name; pyxform asks it of siblings, and of names a
 * ${} uses), and a bare name outside choice_filter (`${a} = yes`, quotes
 * forgotten, always false) is refused.
 *
 * Every problem found is a FormError naming the sheet, row and column;
 * the reader goes on after one, and throws the first in sheet order with
 * the others attached (FormError.others), so an author can fix several at
 * once.
 */
import { basename, extname } from "node:path";
import { bareNames, ExpressionError, isComputedDefault, parseExpression, referencedNames, type Expression } from "./expression.ts";
import { OTHER_CHOICE, otherFieldName, type Choice, type Form, type Group, type Question, type QuestionType, type Translated } from "./form.ts";
import { readCsvSheets } from "./xlsform-csv.ts";
import { FormError, formatBytes, formSheetName, MAX_FORM_BYTES, oneLineText, type FormSheetName, type Sheet, type SheetRow } from "./xlsform-common.ts";
import { cleanText, columnOf, NAME_PATTERN, parseParameters, parseType, parseYesNo, type Column } from "./xlsform-syntax.ts";
import { readXlsxSheets } from "./xlsform-xlsx.ts";

export { FormError, formErrorLine, MAX_FORM_BYTES } from "./xlsform-common.ts";

/** Reads an XLSForm (.xlsx or .csv, by the file name's extension); throws FormError. */
export async function readXlsForm(bytes: Uint8Array, fileName: string): Promise<Form> {
  if (bytes.byteLength > MAX_FORM_BYTES) throw oversize(bytes.byteLength);
  const extension = extname(fileName).toLowerCase();
  let sheets: Sheet[];
  if (extension === ".xls") {
    throw new FormError("", null, null, "legacy .xls workbooks are not read: save the form as .xlsx (Excel Workbook) and try again");
  } else if (extension === ".xlsx") {
    sheets = await readXlsxSheets(bytes);
  } else if (extension === ".csv") {
    sheets = readCsvSheets(bytes);
  } else {
    throw new FormError("", null, null, `an XLSForm is an .xlsx or .csv file, not ${extension === "" ? "a file without extension" : extension}`);
  }
  return formFromSheets(sheets, basename(fileName, extname(fileName)));
}

/** The error for a file over MAX_FORM_BYTES (callers that know the size before reading use it too). */
export function oversize(bytes: number): FormError {
  return new FormError("", null, null, `the file is ${formatBytes(bytes)}, over the ${formatBytes(MAX_FORM_BYTES)} limit for a form`);
}

const SHEET_ORDER: Readonly<Record<string, number>> = { "": 0, settings: 1, survey: 2, choices: 3 };

/** A table: a sheet's header parsed into columns, and its data rows. */
interface Table {
  readonly sheet: FormSheetName;
  readonly headerRow: number;
  readonly columns: readonly Column[];
  readonly rows: readonly SheetRow[];
}

interface ChoiceList {
  readonly choices: Choice[];
  readonly row: number;
  /** Rows of the choices, by name, for messages about a choice. */
  readonly rows: Map<string, number>;
}

/** Builds and checks the Form; exported for tests that start from sheets. */
export function formFromSheets(sheets: readonly Sheet[], fallbackId: string): Form {
  return new FormReader(sheets, fallbackId).read();
}

class FormReader {
  private readonly errors: FormError[] = [];
  private readonly tables: Partial<Record<FormSheetName, Table>> = {};
  private defaultLanguage = "default";
  private readonly fallbackId: string;

  constructor(sheets: readonly Sheet[], fallbackId: string) {
    this.fallbackId = fallbackId;
    for (const sheet of sheets) {
      const name = formSheetName(sheet.name);
      if (name === null) continue;
      if (this.tables[name]) throw new FormError(name, null, null, `the workbook has two ${name} sheets (sheet names ignore case)`);
      const [header, ...rows] = sheet.rows;
      this.tables[name] = header ? { sheet: name, headerRow: header.number, columns: this.columns(name, header), rows } : { sheet: name, headerRow: 1, columns: [], rows: [] };
    }
  }

  private fail(sheet: string, row: number | null, column: string | null, message: string): void {
    this.errors.push(new FormError(sheet, row, column, message));
  }

  read(): Form {
    const survey = this.tables.survey;
    if (!survey) throw new FormError("survey", null, null, "the form has no survey sheet");
    for (const key of ["type", "name"]) {
      if (!survey.columns.some((column) => column.key === key)) throw new FormError("survey", survey.headerRow, null, `the survey sheet has no ${key} column`);
    }
    const settings = this.settings();
    this.defaultLanguage = settings.default_language || (this.hasPlainText() ? "default" : (this.namedLanguages()[0] ?? "default"));
    this.checkLanguageColumns();
    const lists = this.choiceLists();
    const { questions, groups } = this.survey(lists);
    this.checkNames(questions, groups);
    this.checkExpressions(questions, groups);
    this.throwErrors();
    const id = settings.form_id || this.fallbackId;
    return {
      id,
      title: settings.form_title || id,
      version: settings.version ?? "",
      defaultLanguage: this.defaultLanguage,
      languages: [this.defaultLanguage, ...this.namedLanguages().filter((language) => language !== this.defaultLanguage)],
      questions,
      groups,
    };
  }

  private throwErrors(): void {
    if (this.errors.length === 0) return;
    const lines = new Set<string>();
    const sorted = this.errors
      .filter((error) => {
        const line = `${error.sheet}\u0000${error.row}\u0000${error.column}\u0000${error.message}`;
        return lines.has(line) ? false : (lines.add(line), true);
      })
      .map((error, index) => ({ error, index }))
      .sort((a, b) => (SHEET_ORDER[a.error.sheet] ?? 9) - (SHEET_ORDER[b.error.sheet] ?? 9) || (a.error.row ?? 0) - (b.error.row ?? 0) || a.index - b.index)
      .map(({ error }) => error);
    const [first, ...others] = sorted;
    if (!first) return;
    first.others = others;
    throw first;
  }

  /** The header's columns; a column given twice (after aliases) is an error. */
  private columns(sheet: FormSheetName, header: SheetRow): Column[] {
    const columns: Column[] = [];
    const seen = new Map<string, string>();
    header.cells.forEach((text, index) => {
      const column = columnOf(sheet, text, index);
      if (column === null) return;
      const key = `${column.key}\u0000${column.language ?? ""}`;
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        this.fail(sheet, header.number, column.header, `the column is given twice (also as "${earlier}")`);
        return;
      }
      seen.set(key, column.header);
      columns.push(column);
    });
    return columns;
  }

  /** Every translatable column's language after `::`, in column order (survey first, then choices). */
  private namedLanguages(): string[] {
    const languages: string[] = [];
    for (const table of [this.tables.survey, this.tables.choices]) {
      for (const column of table?.columns ?? []) {
        if (column.translatable && column.language !== null && !languages.includes(column.language)) languages.push(column.language);
      }
    }
    return languages;
  }

  private hasPlainText(): boolean {
    return [this.tables.survey, this.tables.choices].some((table) => table?.columns.some((column) => column.translatable && column.language === null));
  }

  /** A plain `label` and `label::L` where L is the default language are the same column. */
  private checkLanguageColumns(): void {
    for (const table of [this.tables.survey, this.tables.choices]) {
      for (const column of table?.columns ?? []) {
        if (column.translatable && column.language === this.defaultLanguage) {
          const plain = table?.columns.find((other) => other.key === column.key && other.language === null);
          if (plain && table) this.fail(table.sheet, table.headerRow, column.header, `the column is given twice: "${plain.header}" is already in the default language (${this.defaultLanguage})`);
        }
      }
    }
  }

  private cell(table: Table, row: SheetRow, key: string): string {
    const column = table.columns.find((candidate) => candidate.key === key && !candidate.translatable);
    return column ? cleanText(row.cells[column.index] ?? "") : "";
  }

  private header(table: Table, key: string): string {
    return table.columns.find((column) => column.key === key)?.header ?? key;
  }

  private translated(table: Table, row: SheetRow, key: string): Translated {
    const text: Record<string, string> = {};
    for (const column of table.columns) {
      if (column.key !== key || !column.translatable) continue;
      const value = cleanText(row.cells[column.index] ?? "");
      if (value !== "") text[column.language ?? this.defaultLanguage] = value;
    }
    return text;
  }

  private settings(): Partial<Record<"form_title" | "form_id" | "version" | "default_language", string>> {
    const table = this.tables.settings;
    const row = table?.rows[0];
    if (!table || !row) return {};
    const value = (key: string): string | undefined => this.cell(table, row, key) || undefined;
    return {
      ...(value("form_title") !== undefined ? { form_title: value("form_title") } : {}),
      ...(value("form_id") !== undefined ? { form_id: value("form_id") } : {}),
      ...(value("version") !== undefined ? { version: value("version") } : {}),
      ...(value("default_language") !== undefined ? { default_language: value("default_language") } : {}),
    };
  }

  private choiceLists(): Map<string, ChoiceList> {
    const lists = new Map<string, ChoiceList>();
    const table = this.tables.choices;
    if (!table || table.rows.length === 0) return lists;
    for (const key of ["list_name", "name"]) {
      if (!table.columns.some((column) => column.key === key)) {
        this.fail("choices", table.headerRow, null, `the choices sheet has no ${key} column`);
        return lists;
      }
    }
    const extras = table.columns.filter((column) => column.extra);
    for (const row of table.rows) {
      const listName = this.cell(table, row, "list_name");
      const name = this.cell(table, row, "name");
      const label = this.translated(table, row, "label");
      if (listName === "" && name === "" && Object.keys(label).length === 0) continue;
      if (listName === "") {
        this.fail("choices", row.number, this.header(table, "list_name"), "the choice has no list_name");
        continue;
      }
      if (name === "") {
        this.fail("choices", row.number, this.header(table, "name"), `a choice of list "${listName}" has no name`);
        continue;
      }
      let list = lists.get(listName);
      if (!list && !NAME_PATTERN.test(listName)) {
        this.fail("choices", row.number, this.header(table, "list_name"), `"${listName}" is not a valid list name: use letters, digits, _, - and ., starting with a letter or _`);
      }
      if (!list) {
        list = { choices: [], row: row.number, rows: new Map() };
        lists.set(listName, list);
      }
      const earlier = list.rows.get(name);
      if (earlier !== undefined) {
        this.fail("choices", row.number, this.header(table, "name"), `list "${listName}" has the choice "${name}" twice (also on row ${earlier}); choice names are unique in a list (allow_choice_duplicates is unsupported)`);
        continue;
      }
      list.rows.set(name, row.number);
      const extra: Record<string, string> = {};
      for (const column of extras) extra[column.key] = cleanText(row.cells[column.index] ?? "");
      list.choices.push({ name, label, extra });
    }
    return lists;
  }

  private survey(lists: Map<string, ChoiceList>): { questions: Question[]; groups: Group[] } {
    const table = this.tables.survey as Table;
    const questions: Question[] = [];
    const groups: Group[] = [];
    const stack: Group[] = [];
    const typeHeader = this.header(table, "type");
    const nameHeader = this.header(table, "name");
    const languagesOf = (list: ChoiceList): string[] => {
      const languages = new Set(list.choices.flatMap((choice) => Object.keys(choice.label)));
      return languages.size > 0 ? [...languages] : [this.defaultLanguage];
    };

    for (const row of table.rows) {
      const text = (key: string): string => this.cell(table, row, key);
      const type = text("type");
      let name = text("name");
      const used = table.columns.some((column) => cleanText(row.cells[column.index] ?? "") !== "");
      if (!used) continue;
      // As pyxform: a row marked disabled (an old column some forms still have) is left out.
      if (parseYesNo(text("disabled")) === true) continue;
      if (type === "") {
        // As pyxform: a row with neither type, name nor label is a comment, passed over.
        if (name === "" && Object.keys(this.translated(table, row, "label")).length === 0) continue;
        this.fail("survey", row.number, typeHeader, `the row has no type${name ? ` (name "${name}")` : ""}`);
        continue;
      }
      const parsed = parseType(type);
      // As pyxform: a note needs no name; it gets one made from its row.
      if (name === "" && parsed.kind === "question" && parsed.type === "note") name = `generated_note_name_${row.number}`;
      if (parsed.kind === "unsupported") {
        this.fail("survey", row.number, typeHeader, parsed.reason);
        continue;
      }
      if (parsed.kind === "end_group") {
        if (stack.pop() === undefined) this.fail("survey", row.number, typeHeader, "end group without a begin group before it");
        continue;
      }
      if (name === "") {
        this.fail("survey", row.number, nameHeader, `the ${parsed.kind === "begin_group" ? "group" : parsed.type} has no name`);
        if (parsed.kind === "begin_group") stack.push({ name: "", path: "", label: {}, relevant: null, appearance: null, row: row.number });
        continue;
      }
      if (!NAME_PATTERN.test(name)) {
        this.fail("survey", row.number, nameHeader, `"${name}" is not a valid name: use letters, digits, _, - and ., starting with a letter or _`);
      } else if (name === "__proto__") {
        // A valid XML name, but JavaScript objects (and the form parsers of the web pages) treat that key as the object's prototype.
        this.fail("survey", row.number, nameHeader, `"__proto__" is a name Baseline reserves: please rename the question`);
      }
      const path = [...stack.map((group) => group.name), name].join("/");
      const relevant = text("relevant") || null;
      const appearance = text("appearance") || null;
      if (parsed.kind === "begin_group") {
        const group: Group = { name, path, label: this.translated(table, row, "label"), relevant, appearance, row: row.number };
        groups.push(group);
        stack.push(group);
        continue;
      }

      const required = parseYesNo(text("required"));
      if (required === null) {
        this.fail("survey", row.number, this.header(table, "required"), `required "${text("required")}" is unsupported: write yes or no (expressions are not run there)`);
      }
      const readOnly = parseYesNo(text("read_only"));
      if (readOnly === null) {
        this.fail("survey", row.number, this.header(table, "read_only"), `read_only "${text("read_only")}" is unsupported: write yes or no`);
      }
      const parameters = parseParameters(text("parameters"));
      if (parameters === null) this.fail("survey", row.number, this.header(table, "parameters"), `parameters "${text("parameters")}" are not key=value pairs`);
      const rangeParameters = parsed.type === "range" && parameters !== null ? this.rangeParameters(row.number, this.header(table, "parameters"), parameters) : parameters;
      const calculation = text("calculation") || null;
      if (parsed.type === "calculate" && calculation === null) this.fail("survey", row.number, this.header(table, "calculation"), "a calculate needs a calculation");
      const choiceFilter = text("choice_filter") || null;
      const defaultValue = text("default") || null;
      if (defaultValue?.includes("${")) this.fail("survey", row.number, this.header(table, "default"), "a default that refers to other questions (dynamic default) is unsupported");

      let choices: Choice[] | null = null;
      if (parsed.list !== null) {
        const list = lists.get(parsed.list);
        if (!list) {
          this.fail("survey", row.number, typeHeader, `no choices list named "${parsed.list}" on the choices sheet`);
        } else {
          choices = [...list.choices];
          if (parsed.type !== "select_one") {
            const spaced = list.choices.find((choice) => /\s/.test(choice.name));
            if (spaced) this.fail("choices", list.rows.get(spaced.name) ?? list.row, this.header(this.tables.choices as Table, "name"), `choice "${spaced.name}" of list "${parsed.list}" has a space in its name, which ${parsed.type} cannot store`);
          }
          if (parsed.orOther && choiceFilter !== null) this.fail("survey", row.number, this.header(table, "choice_filter"), "choice_filter with or_other is unsupported (pyxform refuses it too)");
          if (parsed.orOther && !choices.some((choice) => choice.name === OTHER_CHOICE)) {
            choices.push({ name: OTHER_CHOICE, label: Object.fromEntries(languagesOf(list).map((language) => [language, "Other"])), extra: {} });
          }
        }
      } else if (choiceFilter !== null) {
        this.fail("survey", row.number, this.header(table, "choice_filter"), `choice_filter on a ${parsed.type}, which has no choices`);
      }

      const question: Question = {
        name,
        type: parsed.type,
        group: stack.map((group) => group.name).join("/"),
        list: parsed.list,
        orOther: parsed.orOther,
        label: this.translated(table, row, "label"),
        hint: this.translated(table, row, "hint"),
        required: required ?? false,
        requiredMessage: this.translated(table, row, "required_message"),
        relevant,
        constraint: text("constraint") || null,
        constraintMessage: this.translated(table, row, "constraint_message"),
        calculation,
        choiceFilter,
        default: defaultValue,
        appearance,
        readOnly: readOnly ?? false,
        parameters: rangeParameters ?? {},
        choices,
        row: row.number,
      };
      questions.push(question);
      if (parsed.orOther) questions.push(specifyOther(question, this.defaultLanguage));
    }
    for (const group of stack) {
      if (group.name !== "") this.fail("survey", group.row, typeHeader, `begin group "${group.name}" has no end group`);
    }
    if (questions.length === 0 && this.errors.length === 0) this.fail("survey", null, null, "the survey sheet has no questions");
    return { questions, groups };
  }

  /** start, end and step as numbers, step above 0; pyxform's defaults (1, 10, 1) filled in. */
  private rangeParameters(row: number, column: string, parameters: Record<string, string>): Record<string, string> {
    const unknown = Object.keys(parameters).filter((key) => !["start", "end", "step"].includes(key));
    if (unknown.length > 0) this.fail("survey", row, column, `range takes start, end and step, not ${unknown.join(", ")}`);
    const filled = { start: parameters.start ?? "1", end: parameters.end ?? "10", step: parameters.step ?? "1" };
    for (const [key, value] of Object.entries(filled)) {
      if (!/^-?(\d+\.?\d*|\.\d+)$/.test(value)) this.fail("survey", row, column, `range ${key} "${value}" is not a number`);
    }
    const [start, end, step] = [Number(filled.start), Number(filled.end), Number(filled.step)];
    if (step <= 0) this.fail("survey", row, column, `range step ${filled.step} must be above 0`);
    else if (start === end) this.fail("survey", row, column, `range start and end are both ${filled.start}`);
    else if (Number.isFinite(start) && Number.isFinite(end) && Math.abs(end - start) / step > 10_000) this.fail("survey", row, column, "range has more than 10,000 steps");
    return filled;
  }

  /**
   * Names are unique in the whole form, questions and groups together:
   * answers are keyed by name, and pyxform refuses a ${name} that could
   * mean two elements. Siblings also differ in more than case (pyxform).
   */
  private checkNames(questions: readonly Question[], groups: readonly Group[]): void {
    const seen = new Map<string, number>();
    const siblings = new Map<string, { name: string; row: number }>();
    const elements = [
      ...groups.map((group) => ({ name: group.name, row: group.row, parent: group.path.split("/").slice(0, -1).join("/"), generated: false })),
      ...questions.map((question, index) => ({ name: question.name, row: question.row, parent: question.group, generated: index > 0 && questions[index - 1]?.orOther === true && question.name === otherFieldName(questions[index - 1] as Question) })),
    ].sort((a, b) => a.row - b.row);
    for (const element of elements) {
      const what = element.generated ? `the or_other text question "${element.name}"` : `the name "${element.name}"`;
      const earlier = seen.get(element.name);
      if (earlier !== undefined) {
        this.fail("survey", element.row, this.header(this.tables.survey as Table, "name"), `${what} is used twice (also on row ${earlier})`);
        continue;
      }
      seen.set(element.name, element.row);
      const key = `${element.parent}\u0000${element.name.toLowerCase()}`;
      const sibling = siblings.get(key);
      if (sibling) {
        this.fail("survey", element.row, this.header(this.tables.survey as Table, "name"), `${what} differs only in case from "${sibling.name}" on row ${sibling.row} in the same group`);
        continue;
      }
      siblings.set(key, { name: element.name, row: element.row });
    }
  }

  /** Every expression parses, and every ${name} in an expression, label or hint is a question of the form. */
  private checkExpressions(questions: readonly Question[], groups: readonly Group[]): void {
    const table = this.tables.survey as Table;
    const names = new Set(questions.map((question) => question.name));
    const groupNames = new Set(groups.map((group) => group.name));
    const unknown = (name: string): string | null =>
      names.has(name) ? null : groupNames.has(name) ? `\${${name}} is a group; only questions can be referred to` : `\${${name}} refers to no question of the form`;
    const check = (row: number, key: string, text: string | null, choices: readonly Choice[] | null = null): void => {
      if (text === null) return;
      const column = this.header(table, key);
      let expression: Expression;
      try {
        expression = parseExpression(text);
      } catch (error) {
        if (error instanceof ExpressionError) {
          this.fail("survey", row, column, `"${oneLineText(text)}" does not parse (at character ${error.position + 1}): ${error.message}`);
          return;
        }
        throw error;
      }
      for (const name of referencedNames(expression)) {
        const problem = unknown(name);
        if (problem !== null) this.fail("survey", row, column, problem);
      }
      // A bare name means a choice's column in a choice_filter and nothing anywhere else, where it is
      // almost always forgotten quotes (`${a} = yes`), which would be silently false.
      const columns = new Set(["name", ...(choices ?? []).flatMap((choice) => Object.keys(choice.extra))]);
      for (const name of bareNames(expression)) {
        if (key !== "choice_filter") {
          this.fail("survey", row, column, `"${name}" without \${} or quotes means nothing here: write '${name}' for the text, or \${${name}} for a question`);
        } else if (!columns.has(name)) {
          this.fail("survey", row, column, `"${name}" is not a column of the choices sheet (a choice_filter may use name and the list's other columns)`);
        }
      }
    };
    const checkText = (row: number, key: string, text: Translated): void => {
      for (const [language, value] of Object.entries(text)) {
        for (const match of value.matchAll(/\$\{([^}]*)\}/g)) {
          const problem = unknown(match[1] ?? "");
          const column = table.columns.find((candidate) => candidate.key === key && (candidate.language ?? this.defaultLanguage) === language);
          if (problem !== null) this.fail("survey", row, column?.header ?? key, problem);
        }
      }
    };
    for (const group of groups) {
      check(group.row, "relevant", group.relevant);
      checkText(group.row, "label", group.label);
    }
    for (const [index, question] of questions.entries()) {
      // The generated NAME_other question's relevant is Baseline's own text, checked with its parent's row.
      const generated = index > 0 && questions[index - 1]?.orOther === true && question.row === questions[index - 1]?.row;
      if (generated) continue;
      check(question.row, "relevant", question.relevant);
      check(question.row, "constraint", question.constraint);
      check(question.row, "calculation", question.calculation);
      check(question.row, "choice_filter", question.choiceFilter, question.choices);
      // today() and other calls are computed when answering starts (engine.ts): they must parse.
      if (question.default !== null && isComputedDefault(question.default)) check(question.row, "default", question.default);
      checkText(question.row, "label", question.label);
      checkText(question.row, "hint", question.hint);
    }
  }
}

/** The text question pyxform adds after a `select_one LIST or_other`: "Specify other.", shown when "other" is chosen. */
function specifyOther(question: Question, defaultLanguage: string): Question {
  return {
    name: otherFieldName(question),
    type: "text" satisfies QuestionType,
    group: question.group,
    list: null,
    orOther: false,
    label: { [defaultLanguage]: "Specify other." },
    hint: {},
    required: false,
    requiredMessage: {},
    relevant: `selected(\${${question.name}}, '${OTHER_CHOICE}')`,
    constraint: null,
    constraintMessage: {},
    calculation: null,
    choiceFilter: null,
    default: null,
    appearance: null,
    readOnly: false,
    parameters: {},
    choices: null,
    row: question.row,
  };
}
