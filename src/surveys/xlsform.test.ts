/**
 * The XLSForm reader: varied forms (translations, nested groups, skip
 * logic, constraints, choice_filter, or_other, range, rank, metadata,
 * settings, pyxform's header aliases) read to what pyxform makes of them,
 * the same from .xlsx and .csv; and every kind of bad input refused with a
 * FormError naming its sheet, row and column.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import ExcelJS from "exceljs";
import JSZip from "jszip";
import { formToJson, type Form, type FormJson } from "./form.ts";
import { FormError, formErrorLine, MAX_FORM_BYTES, readXlsForm } from "./xlsform.ts";
import { checkZip } from "./xlsform-zip.ts";

type Cell = string | number | boolean | Date | null | { formula: string; result?: string };
type Sheets = Record<string, Cell[][]>;

/** An .xlsx with the given sheets, as Excel would save it. */
async function xlsx(sheets: Sheets): Promise<Uint8Array> {
  const workbook = new ExcelJS.Workbook();
  for (const [name, rows] of Object.entries(sheets)) {
    const sheet = workbook.addWorksheet(name);
    for (const row of rows) sheet.addRow(row);
  }
  return new Uint8Array(await workbook.xlsx.writeBuffer());
}

/** The same sheets in pyxform's CSV layout. */
function csv(sheets: Sheets): Uint8Array {
  const quote = (cell: Cell): string => {
    const text = cell === null ? "" : cell instanceof Date ? cell.toISOString().slice(0, 10) : typeof cell === "object" ? `=${cell.formula}` : String(cell);
    return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = Object.entries(sheets).flatMap(([name, rows]) => [name, ...rows.map((row) => ["", ...row].map(quote).join(","))]);
  return new TextEncoder().encode(`${lines.join("\n")}\n`);
}

async function formError(promise: Promise<unknown>): Promise<FormError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof FormError, `expected a FormError, got ${String(error)}`);
    return error;
  }
  return assert.fail("expected the form to be refused");
}

async function refused(sheets: Sheets, expected: { sheet: string; row: number | null; column: string | null; message: RegExp }): Promise<FormError> {
  for (const [bytes, name] of [
    [await xlsx(sheets), "form.xlsx"],
    [csv(sheets), "form.csv"],
  ] as const) {
    const error = await formError(readXlsForm(bytes, name));
    assert.equal(error.sheet, expected.sheet, `${name}: ${error.message}`);
    assert.equal(error.row, expected.row, `${name}: ${error.message}`);
    assert.equal(error.column, expected.column, `${name}: ${error.message}`);
    assert.match(error.message, expected.message);
  }
  return formError(readXlsForm(csv(sheets), "form.csv"));
}

/** Reads the sheets as .xlsx and as .csv, checks both agree, returns the form. */
async function read(sheets: Sheets, name = "form"): Promise<Form> {
  const fromXlsx = await readXlsForm(await xlsx(sheets), `${name}.xlsx`);
  const fromCsv = await readXlsForm(csv(sheets), `${name}.csv`);
  assert.deepEqual(fromCsv, fromXlsx, "the .csv and .xlsx readings differ");
  return fromXlsx;
}

const EN = "English (en)";
const FR = "Français (fr)";

describe("forms pyxform reads", () => {
  test("the household fixture (.csv): languages, nested groups, skip logic, constraints, choice_filter, or_other, metadata, settings", async () => {
    const form = await readXlsForm(readFileSync(new URL("fixtures/household.csv", import.meta.url)), "household.csv");
    const json = formToJson(form);
    const label = (en: string, fr: string): Record<string, string> => ({ [EN]: en, [FR]: fr });
    const question = (fields: Partial<FormJson["questions"][number]> & { name: string; type: string }): FormJson["questions"][number] => ({
      group: "",
      list: null,
      label: {},
      required: false,
      relevant: null,
      constraint: null,
      choices: null,
      ...fields,
    });
    assert.deepEqual(json, {
      id: "household",
      title: "Household",
      version: "2026120701",
      default_language: EN,
      languages: [EN, FR],
      questions: [
        question({ name: "start", type: "start" }),
        question({ name: "consent", type: "acknowledge", label: label("I agree to take part", "J'accepte de participer"), required: true }),
        question({ name: "age", type: "integer", group: "about", label: label("Your age", "Votre âge"), required: true, constraint: ". >= 18 and . <= 120" }),
        question({
          name: "country",
          type: "select_one",
          group: "about",
          list: "countries",
          label: label("Country", "Pays"),
          required: true,
          choices: [
            { name: "nl", label: label("Netherlands", "Pays-Bas") },
            { name: "fr", label: label("France", "France") },
          ],
        }),
        question({
          name: "city",
          type: "select_one",
          group: "about",
          list: "cities",
          label: label("City", "Ville"),
          choices: [
            { name: "ams", label: label("Amsterdam", "Amsterdam") },
            { name: "par", label: label("Paris", "Paris") },
          ],
        }),
        question({
          name: "tools",
          type: "select_multiple",
          group: "about/work",
          list: "tools",
          label: label("Tools you use", "Outils utilisés"),
          choices: [
            { name: "hammer", label: label("Hammer", "Marteau") },
            { name: "saw", label: label("Saw", "Scie") },
          ],
        }),
        question({
          name: "likes",
          type: "select_one",
          group: "about/work",
          list: "yes_no",
          label: label("Do you like them?", "Les aimez-vous ?"),
          choices: [
            { name: "yes", label: label("Yes", "Oui") },
            { name: "no", label: label("No", "Non") },
            { name: "other", label: label("Other", "Other") },
          ],
        }),
        question({ name: "likes_other", type: "text", group: "about/work", label: { [EN]: "Specify other." }, relevant: "selected(${likes}, 'other')" }),
        question({ name: "double_age", type: "calculate" }),
        question({ name: "comments", type: "text", label: label("Comments", "Commentaires"), relevant: "string-length(${comments}) < 0 or true()" }),
        question({ name: "score", type: "range", label: label("Score", "Note") }),
      ],
    });
    assert.deepEqual(
      form.groups.map((group) => [group.path, group.relevant, group.row]),
      [
        ["about", "${consent} = 'OK'", 4],
        ["about/work", "${age} > 20", 8],
      ],
    );
    const byName = new Map(form.questions.map((each) => [each.name, each]));
    assert.equal(byName.get("city")?.choiceFilter, "country = ${country}");
    assert.deepEqual(byName.get("city")?.choices?.map((choice) => choice.extra), [{ country: "nl" }, { country: "fr" }]);
    assert.equal(byName.get("double_age")?.calculation, "${age} * 2");
    assert.deepEqual(byName.get("age")?.hint, { [EN]: "In years" });
    assert.deepEqual(byName.get("age")?.constraintMessage, { [EN]: "Between 18 and 120" });
    assert.equal(byName.get("likes")?.orOther, true);
    assert.equal(byName.get("likes_other")?.row, byName.get("likes")?.row);
    assert.deepEqual(byName.get("score")?.parameters, { start: "1", end: "10", step: "1" }, "pyxform's range defaults");
    assert.equal(byName.get("age")?.row, 5, "rows as a spreadsheet numbers them, the header being row 1");
  });

  test("the training fixture (.csv): a plain label in the default language, rank, range parameters, regex constraint, or_other, read_only, defaults", async () => {
    const form = await readXlsForm(readFileSync(new URL("fixtures/training.csv", import.meta.url)), "training.csv");
    const expected = JSON.parse(readFileSync(new URL("fixtures/training.expected.json", import.meta.url), "utf8")) as FormJson;
    assert.deepEqual(formToJson(form), expected);
    const byName = new Map(form.questions.map((each) => [each.name, each]));
    assert.deepEqual(form.groups.map((group) => [group.path, group.appearance]), [["trainee", "field-list"], ["feedback", null]]);
    assert.deepEqual(byName.get("email_domain")?.hint, { [EN]: "e.g. example.org" });
    assert.deepEqual(byName.get("email_domain")?.requiredMessage, { [EN]: "Needed to group answers" });
    assert.equal(byName.get("course_date")?.default, "2026-01-15");
    assert.deepEqual(byName.get("satisfaction")?.parameters, { start: "0", end: "10", step: "2" });
    assert.equal(byName.get("topics_more")?.appearance, "minimal");
    assert.equal(byName.get("low_score")?.calculation, "if(${satisfaction} < 4, 'low', 'ok')");
    assert.equal(byName.get("locked")?.readOnly, true);
    assert.equal(byName.get("locked")?.default, "12");
    assert.equal(byName.get("improve")?.appearance, "multiline");
  });

  test("a plain label is the default language's: settings default_language, else \"default\"", async () => {
    const survey = [
      ["type", "name", "label", "label::Español (es)", "hint"],
      ["text", "q", "Question", "Pregunta", "A hint"],
    ];
    const withSetting = await read({ survey, settings: [["default_language"], [EN]] });
    assert.equal(withSetting.defaultLanguage, EN);
    assert.deepEqual(withSetting.languages, [EN, "Español (es)"]);
    assert.deepEqual(withSetting.questions[0]?.label, { [EN]: "Question", "Español (es)": "Pregunta" });
    assert.deepEqual(withSetting.questions[0].hint, { [EN]: "A hint" });
    const without = await read({ survey });
    assert.equal(without.defaultLanguage, "default");
    assert.deepEqual(without.languages, ["default", "Español (es)"]);
    assert.deepEqual(without.questions[0]?.label, { default: "Question", "Español (es)": "Pregunta" });
    assert.equal(without.id, "form", "the file's base name without settings");
    assert.equal(without.title, "form");
    assert.equal(without.version, "");
  });

  test("only translated columns: the first language is the default", async () => {
    const form = await read({ survey: [["type", "name", "label::Français (fr)", "label::English (en)"], ["note", "hello", "Bonjour", "Hello"]] });
    assert.equal(form.defaultLanguage, FR);
    assert.deepEqual(form.languages, [FR, EN]);
  });

  test("pyxform's header aliases, case and spaces; media and bind:: columns ignored; cells cleaned", async () => {
    const form = await read({
      survey: [
        [" Type ", "NAME", "Label::English (en)", "Hint::English (en)", "jr:constraintMsg::English (en)", "Required Message::English (en)", "Constraint", "Required", "media::image::English (en)", "bind::odk:foo", "Read Only", "Appearance", "Default", "comments"],
        ["Integer", "  years ", "Years   in post", "Whole years", "0 to 60", "Please answer", "\u201c.\u201d >= 0", "TRUE()", "picture.png", "x", "no", "numbers", "1", "a note for authors"],
      ],
      choices: [["List Name", "Name", "Label::English (en)"], ["unused", "a", "A"]],
    });
    const question = form.questions[0];
    assert.ok(question);
    assert.equal(question.name, "years");
    assert.equal(question.type, "integer");
    assert.deepEqual(question.label, { [EN]: "Years in post" }, "runs of spaces collapse as in pyxform");
    assert.deepEqual(question.hint, { [EN]: "Whole years" });
    assert.deepEqual(question.constraintMessage, { [EN]: "0 to 60" });
    assert.deepEqual(question.requiredMessage, { [EN]: "Please answer" });
    assert.equal(question.constraint, '"." >= 0', "smart quotes become plain ones");
    assert.equal(question.required, true);
    assert.equal(question.readOnly, false);
    assert.equal(question.appearance, "numbers");
    assert.equal(question.default, "1");
    assert.deepEqual(form.languages, [EN]);
  });

  test("type aliases, underscored group words, metadata types, rank, range parameters, numbers as names", async () => {
    const form = await read({
      survey: [
        ["type", "name", "label", "parameters", "calculation", "required"],
        ["today", "today", null, null, null, null],
        ["deviceid", "device", null, null, null, null],
        ["audit", "audit", null, null, null, null],
        ["begin_group", "outer", "Outer", null, null, null],
        ["begin group", "inner", "Inner", null, null, null],
        ["int", "count", "Count", null, null, 1],
        ["string", "remark", "Remark", null, null, 0],
        ["select one colours", "colour", "Colour", null, null, "false"],
        ["select_multiple colours", "colours", "Colours", null, null, "yes"],
        ["end_group", null, null, null, null, null],
        ["rank colours", "ranking", "Rank them", null, null, null],
        ["end group", null, null, null, null, null],
        ["range", "slider", "Slide", "start=0 end=100 step=5", null, null],
        ["trigger", "ok", "OK?", null, null, null],
        ["calculate", "twice", null, null, "${count} * 2", null],
        ["dateTime", "when", "When", null, null, null],
      ],
      choices: [
        ["list_name", "name", "label"],
        ["colours", 1, "Red"],
        ["colours", 2, "Blue"],
      ],
    });
    const json = formToJson(form);
    assert.deepEqual(
      json.questions.map((question) => [question.name, question.type, question.group, question.list, question.required]),
      [
        ["today", "today", "", null, false],
        ["device", "deviceid", "", null, false],
        ["audit", "audit", "", null, false],
        ["count", "integer", "outer/inner", null, true],
        ["remark", "text", "outer/inner", null, false],
        ["colour", "select_one", "outer/inner", "colours", false],
        ["colours", "select_multiple", "outer/inner", "colours", true],
        ["ranking", "rank", "outer", "colours", false],
        ["slider", "range", "", null, false],
        ["ok", "acknowledge", "", null, false],
        ["twice", "calculate", "", null, false],
        ["when", "datetime", "", null, false],
      ],
    );
    assert.deepEqual(json.questions[5]?.choices, [
      { name: "1", label: { default: "Red" } },
      { name: "2", label: { default: "Blue" } },
    ]);
    assert.deepEqual(form.questions.find((question) => question.name === "slider")?.parameters, { start: "0", end: "100", step: "5" });
    assert.deepEqual(
      form.groups.map((group) => [group.name, group.path]),
      [
        ["outer", "outer"],
        ["inner", "outer/inner"],
      ],
    );
  });

  test("select_multiple or_other: the Other choice in every language of the list, and the specify-other question", async () => {
    const form = await read({
      survey: [
        ["type", "name", "label::English (en)", "label::Français (fr)"],
        ["select_multiple barriers or_other", "barriers", "Barriers", "Obstacles"],
      ],
      choices: [
        ["list_name", "name", "label::English (en)", "label::Français (fr)"],
        ["barriers", "cost", "Cost", "Coût"],
      ],
    });
    assert.deepEqual(
      form.questions.map((question) => [question.name, question.type, question.orOther, question.relevant]),
      [
        ["barriers", "select_multiple", true, null],
        ["barriers_other", "text", false, "selected(${barriers}, 'other')"],
      ],
    );
    assert.deepEqual(form.questions[0]?.choices?.at(-1), { name: "other", label: { [EN]: "Other", [FR]: "Other" }, extra: {} });
  });

  test("or_other written as pyxform also takes it: 'or other' and 'or specify other'", async () => {
    const form = await read({
      survey: [
        ["type", "name", "label"],
        ["select_one yn or other", "a", "A"],
        ["select_multiple yn Or Specify Other", "b", "B"],
      ],
      choices: [
        ["list_name", "name", "label"],
        ["yn", "yes", "Yes"],
      ],
    });
    assert.deepEqual(
      form.questions.map((question) => [question.name, question.list, question.orOther]),
      [
        ["a", "yn", true],
        ["a_other", null, false],
        ["b", "yn", true],
        ["b_other", null, false],
      ],
    );
  });

  test("rows that are empty, or hold only columns the reader skips, are passed over", async () => {
    const form = await read({
      survey: [
        ["type", "name", "label", "notes"],
        ["text", "a", "A", null],
        [null, null, null, null],
        [null, null, null, "only a remark for the author"],
        ["text", "b", "B", null],
      ],
    });
    assert.deepEqual(
      form.questions.map((question) => [question.name, question.row]),
      [
        ["a", 2],
        ["b", 5],
      ],
    );
  });

  test("as pyxform: a row with no type, name or label is a comment, a disabled row is left out, a note needs no name", async () => {
    const form = await read({
      survey: [
        ["type", "name", "label", "hint", "disabled"],
        ["note", null, "Welcome", null, null],
        [null, null, null, "a remark for the author in the hint column", null],
        ["text", "old", "Asked no more", null, "yes"],
        ["text", "b", "B", null, "no"],
      ],
    });
    assert.deepEqual(
      form.questions.map((question) => [question.name, question.type, question.row]),
      [
        ["generated_note_name_2", "note", 2],
        ["b", "text", 5],
      ],
    );
  });

  test("a CSV saved with semicolons, a byte order mark and CRLF line ends", async () => {
    const text = "\ufeffsurvey;;;\r\n;type;name;label\r\n;text;q;\"Prénom, nom\"\r\n;note;n;Bonjour, ${q}\r\n";
    const form = await readXlsForm(new TextEncoder().encode(text), "semicolons.csv");
    assert.deepEqual(
      form.questions.map((question) => [question.name, question.label]),
      [
        ["q", { default: "Prénom, nom" }],
        ["n", { default: "Bonjour, ${q}" }],
      ],
    );
  });

  test("dates and booleans in cells read as text", async () => {
    const form = await readXlsForm(
      await xlsx({ survey: [["type", "name", "label", "default", "required"], ["date", "day", "Day", new Date(Date.UTC(2026, 0, 31)), true]] }),
      "dates.xlsx",
    );
    assert.equal(form.questions[0]?.default, "2026-01-31");
    assert.equal(form.questions[0].required, true);
  });

  test("a time typed into a cell (a time of day, no date) reads as HH:MM:SS, as pyxform reads it", async () => {
    const workbook = new ExcelJS.Workbook();
    const survey = workbook.addWorksheet("survey");
    survey.addRow(["type", "name", "label", "default"]);
    // Excel keeps a time as a fraction of a day; exceljs gives it as a Date on 1899-12-30.
    survey.addRow(["time", "opens", "Opens at", 0.5625]).getCell(4).numFmt = "hh:mm";
    const form = await readXlsForm(new Uint8Array(await workbook.xlsx.writeBuffer()), "times.xlsx");
    assert.equal(form.questions[0]?.default, "13:30:00");
  });

  test("a version typed as a number into a date-formatted cell: kept as the number, or refused when exceljs cannot hold it", async () => {
    const settingsWith = async (version: number): Promise<Uint8Array> => {
      const workbook = new ExcelJS.Workbook();
      workbook.addWorksheet("survey").addRows([
        ["type", "name", "label"],
        ["text", "a", "A"],
      ]);
      const settings = workbook.addWorksheet("settings");
      settings.addRow(["form_id", "version"]);
      settings.addRow(["f", version]).getCell(2).numFmt = "yyyy-mm-dd";
      return new Uint8Array(await workbook.xlsx.writeBuffer());
    };
    assert.equal((await readXlsForm(await settingsWith(20241207), "v.xlsx")).version, "20241207");
    const error = await formError(readXlsForm(await settingsWith(2024120701), "v.xlsx"));
    assert.equal(formErrorLine("v.xlsx", error), "v.xlsx: settings 2, version: the cell holds a number formatted as a date that no calendar reaches (a version such as 2024120701?): format the cell as a number or as text");
  });
});

describe("forms refused, with sheet, row and column", () => {
  const header = ["type", "name", "label", "relevant", "constraint", "calculation", "required", "choice_filter", "parameters"];
  const row = (type: string, name: string | null, fields: { relevant?: string; constraint?: string; calculation?: string; required?: string; choice_filter?: string; parameters?: string } = {}): Cell[] => [
    type,
    name,
    name === null ? null : `Label of ${name}`,
    fields.relevant ?? null,
    fields.constraint ?? null,
    fields.calculation ?? null,
    fields.required ?? null,
    fields.choice_filter ?? null,
    fields.parameters ?? null,
  ];
  const choices = [
    ["list_name", "name", "label"],
    ["yn", "yes", "Yes"],
    ["yn", "no", "No"],
  ];

  for (const type of ["geopoint", "image", "audio", "file", "barcode", "begin repeat", "select_one_from_file places.csv", "select_one_external places", "hidden", "rank yn or_other", "text or_other"]) {
    test(`type ${type}: unsupported`, async () => {
      const error = await refused({ survey: [header, row("text", "a"), row(type, "b")], choices }, { sheet: "survey", row: 3, column: "type", message: /unsupported/ });
      assert.ok(error.message.includes(type.split(" ")[0] ?? type), error.message);
    });
  }

  test("a duplicate name, a group's included", async () => {
    await refused({ survey: [header, row("text", "a"), row("integer", "a")] }, { sheet: "survey", row: 3, column: "name", message: /"a" is used twice \(also on row 2\)/ });
    await refused({ survey: [header, row("begin group", "g"), row("text", "g"), row("end group", null)] }, { sheet: "survey", row: 3, column: "name", message: /used twice/ });
    await refused({ survey: [header, row("begin group", "g"), row("text", "a"), row("end group", null), row("begin group", "h"), row("text", "a"), row("end group", null)] }, { sheet: "survey", row: 6, column: "name", message: /used twice/ });
  });

  test("siblings whose names differ only in case (pyxform)", async () => {
    await refused({ survey: [header, row("text", "Age"), row("text", "age")] }, { sheet: "survey", row: 3, column: "name", message: /only in case/ });
  });

  test("an or_other question whose NAME_other is taken", async () => {
    await refused({ survey: [header, row("select_one yn or_other", "q"), row("text", "q_other")], choices }, { sheet: "survey", row: 3, column: "name", message: /used twice/ });
  });

  test("a name that is not an XML name, a missing name, a missing type", async () => {
    await refused({ survey: [header, row("text", "1st")] }, { sheet: "survey", row: 2, column: "name", message: /not a valid name/ });
    await refused({ survey: [header, row("text", "has space")] }, { sheet: "survey", row: 2, column: "name", message: /not a valid name/ });
    await refused({ survey: [header, row("text", "__proto__")] }, { sheet: "survey", row: 2, column: "name", message: /reserves/ });
    await refused({ survey: [header, row("text", null).map((cell, index) => (index === 2 ? "A label" : cell))] }, { sheet: "survey", row: 2, column: "name", message: /has no name/ });
    await refused({ survey: [header, ["", "orphan", "Label"]] }, { sheet: "survey", row: 2, column: "type", message: /no type/ });
  });

  test("a select without a list, or with a list the choices sheet lacks", async () => {
    await refused({ survey: [header, row("select_one", "q")], choices }, { sheet: "survey", row: 2, column: "type", message: /names no choices list.*unsupported/ });
    await refused({ survey: [header, row("select_one colours", "q")], choices }, { sheet: "survey", row: 2, column: "type", message: /no choices list named "colours"/ });
    await refused({ survey: [header, row("select_multiple yn", "q")] }, { sheet: "survey", row: 2, column: "type", message: /no choices list named "yn"/ });
  });

  test("choices: duplicate names in a list, a choice without name, spaces in a select_multiple's choice", async () => {
    await refused({ survey: [header, row("select_one yn", "q")], choices: [...choices, ["yn", "yes", "Yes again"]] }, { sheet: "choices", row: 4, column: "name", message: /"yes" twice \(also on row 2\)/ });
    await refused({ survey: [header, row("select_one yn", "q")], choices: [...choices, ["yn", null, "Maybe"]] }, { sheet: "choices", row: 4, column: "name", message: /has no name/ });
    await refused({ survey: [header, row("select_one 1to5", "q")], choices: [...choices, ["1to5", "1", "One"]] }, { sheet: "choices", row: 4, column: "list_name", message: /not a valid list name/ });
    await refused({ survey: [header, row("select_multiple yn", "q")], choices: [...choices, ["yn", "not sure", "Not sure"]] }, { sheet: "choices", row: 4, column: "name", message: /space/ });
  });

  test("an unclosed group, and an end group without its begin", async () => {
    await refused({ survey: [header, row("begin group", "g"), row("text", "a")] }, { sheet: "survey", row: 2, column: "type", message: /begin group "g" has no end group/ });
    await refused({ survey: [header, row("text", "a"), row("end group", null)] }, { sheet: "survey", row: 3, column: "type", message: /end group without a begin group/ });
  });

  test("expressions that do not parse, name unknown questions, or name a group", async () => {
    await refused({ survey: [header, row("text", "a"), row("text", "b", { relevant: "${a} = = 'x'" })] }, { sheet: "survey", row: 3, column: "relevant", message: /does not parse/ });
    await refused({ survey: [header, row("integer", "a", { constraint: ". > (1" })] }, { sheet: "survey", row: 2, column: "constraint", message: /does not parse/ });
    await refused({ survey: [header, row("text", "a"), row("text", "b", { relevant: "${c} = 'x'" })] }, { sheet: "survey", row: 3, column: "relevant", message: /\$\{c\} refers to no question/ });
    await refused({ survey: [header, row("calculate", "a", { calculation: "${b} + 1" })] }, { sheet: "survey", row: 2, column: "calculation", message: /\$\{b\}/ });
    await refused({ survey: [header, row("begin group", "g", { relevant: "${nope} = 1" }), row("text", "a"), row("end group", null)] }, { sheet: "survey", row: 2, column: "relevant", message: /\$\{nope\}/ });
    await refused({ survey: [header, row("begin group", "g"), row("text", "a"), row("end group", null), row("text", "b", { relevant: "${g} = 1" })] }, { sheet: "survey", row: 5, column: "relevant", message: /is a group/ });
    await refused({ survey: [header, row("select_one yn", "a", { choice_filter: "name = ${zz}" })], choices }, { sheet: "survey", row: 2, column: "choice_filter", message: /\$\{zz\}/ });
    await refused({ survey: [header, row("text", "a"), row("text", "b", { relevant: "${a} = yes" })] }, { sheet: "survey", row: 3, column: "relevant", message: /"yes" without \$\{\} or quotes/ });
    await refused({ survey: [header, row("select_one yn", "a", { choice_filter: "colour = 'red'" })], choices }, { sheet: "survey", row: 2, column: "choice_filter", message: /"colour" is not a column of the choices sheet/ });
    await refused({ survey: [["type", "name", "label::English (en)"], ["note", "n", "Hello ${who}"]] }, { sheet: "survey", row: 2, column: "label::English (en)", message: /\$\{who\}/ });
    // A default that calls a function is computed (today()), so it must parse; other text is taken as it is.
    await refused({ survey: [["type", "name", "label", "default"], ["integer", "n", "N", "round(1 +)"]] }, { sheet: "survey", row: 2, column: "default", message: /does not parse/ });
    const form = await read({ survey: [["type", "name", "label", "default"], ["date", "d", "D", "today()"], ["text", "t", "T", "Other (say)"]] });
    assert.deepEqual(form.questions.map((question) => question.default), ["today()", "Other (say)"]);
  });

  test("a calculate without calculation, required as an expression, bad range parameters, choice_filter with or_other", async () => {
    await refused({ survey: [header, row("calculate", "a")] }, { sheet: "survey", row: 2, column: "calculation", message: /needs a calculation/ });
    await refused({ survey: [header, row("text", "a"), row("text", "b", { required: "${a} = 'x'" })] }, { sheet: "survey", row: 3, column: "required", message: /unsupported/ });
    await refused({ survey: [header, row("range", "r", { parameters: "start=0 end=10 step=0" })] }, { sheet: "survey", row: 2, column: "parameters", message: /step/ });
    await refused({ survey: [header, row("range", "r", { parameters: "start=a end=10" })] }, { sheet: "survey", row: 2, column: "parameters", message: /not a number/ });
    await refused({ survey: [header, row("range", "r", { parameters: "begin=1" })] }, { sheet: "survey", row: 2, column: "parameters", message: /start, end and step/ });
    await refused({ survey: [header, row("range", "r", { parameters: "start" })] }, { sheet: "survey", row: 2, column: "parameters", message: /key=value/ });
    await refused({ survey: [header, row("select_one yn or_other", "a", { choice_filter: "name != 'no'" })], choices }, { sheet: "survey", row: 2, column: "choice_filter", message: /unsupported/ });
  });

  test("sheets and columns: no survey sheet, no type column, a column given twice", async () => {
    await refused({ choices }, { sheet: "survey", row: null, column: null, message: /no survey sheet/ });
    await refused({ survey: [header] }, { sheet: "survey", row: null, column: null, message: /no questions/ });
    await refused({ survey: [header, row("begin group", "g"), row("end group", null)] }, { sheet: "survey", row: null, column: null, message: /no questions/ });
    await refused({ survey: [["name", "label"], ["a", "A"]] }, { sheet: "survey", row: 1, column: null, message: /no type column/ });
    await refused({ survey: [["type", "name", "label", "Label"], ["text", "a", "A", "B"]] }, { sheet: "survey", row: 1, column: "Label", message: /twice/ });
    await refused({ survey: [["type", "name", "label", "label::English (en)"], ["text", "a", "A", "B"]], settings: [["default_language"], [EN]] }, { sheet: "survey", row: 1, column: "label::English (en)", message: /twice/ });
  });

  test("several errors are all reported, the first in sheet order first", async () => {
    const error = await refused({ survey: [header, row("text", "a", { relevant: "${x}" }), row("geopoint", "b"), row("text", "a")] }, { sheet: "survey", row: 2, column: "relevant", message: /\$\{x\}/ });
    assert.deepEqual(
      [error, ...error.others].map((each) => formErrorLine("f.csv", each)),
      ["f.csv: survey 2, relevant: ${x} refers to no question of the form", 'f.csv: survey 3, type: type "geopoint" is unsupported', 'f.csv: survey 4, name: the name "a" is used twice (also on row 2)'],
    );
  });

  test("a formula cell, named by row and column header", async () => {
    const sheets: Sheets = { survey: [["type", "name", "label"], ["text", "a", { formula: 'CONCATENATE("Your ","name")', result: "Your name" }]] };
    const error = await formError(readXlsForm(await xlsx(sheets), "formula.xlsx"));
    assert.deepEqual([error.sheet, error.row, error.column], ["survey", 2, "label"]);
    assert.match(error.message, /formula/);
    assert.equal(formErrorLine("formula.xlsx", error).split("\n").length, 1);
  });

  test("a formula on a sheet the form does not use is left alone", async () => {
    const form = await readXlsForm(await xlsx({ survey: [["type", "name", "label"], ["text", "a", "A"]], notes: [["count", { formula: "1+1", result: "2" }]] }), "notes.xlsx");
    assert.equal(form.questions.length, 1);
  });
});

describe("files refused", () => {
  test(".xls is refused asking for .xlsx", async () => {
    const error = await formError(readXlsForm(new Uint8Array([0xd0, 0xcf, 0x11, 0xe0]), "old.xls"));
    assert.match(error.message, /save the form as \.xlsx/);
    assert.equal(formErrorLine("old.xls", error), "old.xls: legacy .xls workbooks are not read: save the form as .xlsx (Excel Workbook) and try again");
  });

  test("an OLE file (an .xls renamed, or a password-protected workbook) named .xlsx", async () => {
    const bytes = new Uint8Array(512);
    bytes.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
    assert.match((await formError(readXlsForm(bytes, "x.xlsx"))).message, /legacy \.xls or a password-protected/);
  });

  test("bytes that are not a zip, named .xlsx; a zip that is not a workbook", async () => {
    assert.match((await formError(readXlsForm(new TextEncoder().encode("type,name\ntext,a\n"), "form.xlsx"))).message, /not an \.xlsx file/);
    const zip = new JSZip();
    zip.file("hello.txt", "hello");
    const error = await formError(readXlsForm(await zip.generateAsync({ type: "uint8array" }), "form.xlsx"));
    assert.equal(error.sheet, "");
    assert.match(error.message, /no worksheets/);
  });

  test("an oversize file", async () => {
    const error = await formError(readXlsForm(new Uint8Array(MAX_FORM_BYTES + 1), "big.csv"));
    assert.match(error.message, /over the 5\.0 MB limit/);
  });

  test("other extensions", async () => {
    assert.match((await formError(readXlsForm(new Uint8Array(4), "form.ods"))).message, /\.xlsx or \.csv file, not \.ods/);
  });

  test("a CSV that is not UTF-8, or does not start with a sheet name", async () => {
    assert.match((await formError(readXlsForm(new Uint8Array([0x73, 0x75, 0xff, 0xfe]), "latin.csv"))).message, /not UTF-8/);
    const error = await formError(readXlsForm(new TextEncoder().encode(",type,name\n,text,a\n"), "headless.csv"));
    assert.equal(error.row, 1);
    assert.match(error.message, /start with a sheet name/);
  });

  test("a zip bomb: one part that inflates a thousand times its size", async () => {
    const zip = new JSZip();
    zip.file("[Content_Types].xml", "<Types/>");
    zip.file("xl/worksheets/sheet1.xml", new Uint8Array(4 * 1024 * 1024));
    const bytes = await zip.generateAsync({ type: "uint8array", compression: "DEFLATE" });
    assert.ok(bytes.byteLength < 64 * 1024);
    const error = await formError(readXlsForm(bytes, "bomb.xlsx"));
    assert.match(error.message, /times its size.*zip bomb/);
  });

  test("a zip bomb: a directory announcing more than the total limit", async () => {
    const zip = new JSZip();
    for (let index = 0; index < 3; index++) zip.file(`part${index}.xml`, new Uint8Array(64 * 1024));
    const bytes = await zip.generateAsync({ type: "uint8array", compression: "DEFLATE" });
    const error = await formError(checkZip(bytes, { maxEntries: 100, maxUncompressedBytes: 100 * 1024, maxXmlBytes: 1e9, maxRatio: 1e9, ratioFloorBytes: 1e9 }));
    assert.match(error.message, /more than 100 KB.*zip bomb/);
    const xml = await formError(checkZip(bytes, { maxEntries: 100, maxUncompressedBytes: 1e9, maxXmlBytes: 100 * 1024, maxRatio: 1e9, ratioFloorBytes: 1e9 }));
    assert.match(xml.message, /sheets unpack to more than 100 KB/);
    const pictures = new JSZip();
    for (let index = 0; index < 3; index++) pictures.file(`xl/media/image${index}.png`, new Uint8Array(64 * 1024));
    await checkZip(await pictures.generateAsync({ type: "uint8array", compression: "DEFLATE" }), { maxEntries: 100, maxUncompressedBytes: 1e9, maxXmlBytes: 100 * 1024, maxRatio: 1e9, ratioFloorBytes: 1e9 });
    const entries = await formError(checkZip(bytes, { maxEntries: 2, maxUncompressedBytes: 1e9, maxXmlBytes: 1e9, maxRatio: 1e9, ratioFloorBytes: 1e9 }));
    assert.match(entries.message, /3 entries \(limit 2\)/);
  });

  test("a zip bomb: a directory that lies about an entry's size", async () => {
    const zip = new JSZip();
    zip.file("xl/worksheets/sheet1.xml", new Uint8Array(2 * 1024 * 1024));
    const bytes = await zip.generateAsync({ type: "uint8array", compression: "DEFLATE" });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Announce 1,000 bytes in the local header (offset 22) and the central directory entry (offset 24).
    for (let offset = 0; offset + 4 <= bytes.byteLength; offset++) {
      const signature = view.getUint32(offset, true);
      if (signature === 0x04034b50 && view.getUint16(offset + 8, true) === 8) view.setUint32(offset + 22, 1000, true);
      if (signature === 0x02014b50 && view.getUint16(offset + 10, true) === 8) view.setUint32(offset + 24, 1000, true);
    }
    const error = await formError(readXlsForm(bytes, "liar.xlsx"));
    assert.match(error.message, /more bytes than the zip directory announces.*zip bomb/);
  });
});
