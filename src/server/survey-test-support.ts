/**
 * Test support (not part of the server): a small XLSForm workbook in two
 * languages written with exceljs, as a researcher would save it from a
 * spreadsheet: groups (one page each), skip logic on a group, a constraint
 * with its message, a select_multiple with or_other, a region question of
 * M49 codes, a note and an acknowledge. The route tests and the Chromium
 * test answer it.
 *
 * @example
 *   const bytes = await twoLanguageForm();
 *   const form = await readXlsForm(bytes, "procurement-test.xlsx");
 */
import ExcelJS from "exceljs";

/** A row of cells; `{ formula }` writes a formula cell (which the reader refuses). */
type Row = (string | number | null | { formula: string })[];

/** Writes an XLSForm (survey, choices and settings sheets) from rows, the first of each being the header. */
export async function xlsForm(sheets: { survey: Row[]; choices?: Row[]; settings?: Row[] }): Promise<Uint8Array> {
  const workbook = new ExcelJS.Workbook();
  for (const [name, rows] of Object.entries(sheets) as [string, Row[] | undefined][]) {
    if (!rows) continue;
    const sheet = workbook.addWorksheet(name);
    for (const row of rows) sheet.addRow(row.map((cell) => cell ?? ""));
  }
  return new Uint8Array(await workbook.xlsx.writeBuffer());
}

const EN = "English (en)";
const FR = "Français (fr)";

/**
 * The test form: page 1 "About you" (region, team size 1 to 1000, buys IT?),
 * page 2 "Barriers" only when buying IT (barriers with "other", a comment),
 * page 3 "Last" (a note, an acknowledgement).
 */
export function twoLanguageForm(): Promise<Uint8Array> {
  return xlsForm({
    survey: [
      ["type", "name", `label::${EN}`, `label::${FR}`, `hint::${EN}`, `hint::${FR}`, "required", "relevant", "constraint", `constraint_message::${EN}`, `constraint_message::${FR}`],
      ["begin_group", "about", "About you", "À propos de vous", null, null, null, null, null, null, null],
      ["select_one regions", "region", "Where do you work?", "Où travaillez-vous ?", null, null, "yes", null, null, null, null],
      ["integer", "staff", "How many people work in your team?", "Combien de personnes travaillent dans votre équipe ?", "Count yourself too.", "Comptez-vous aussi.", "yes", null, ". >= 1 and . <= 1000", "Give a number from 1 to 1000.", "Donnez un nombre de 1 à 1000."],
      ["select_one yesno", "buys_it", "Do you buy IT services?", "Achetez-vous des services informatiques ?", null, null, "yes", null, null, null, null],
      ["end_group", null, null, null, null, null, null, null, null, null, null],
      ["begin_group", "barriers_page", "Barriers", "Obstacles", null, null, null, "${buys_it} = 'yes'", null, null, null],
      ["select_multiple barriers or_other", "barriers", "What holds you back?", "Qu'est-ce qui vous freine ?", "Tick all that apply.", "Cochez tout ce qui s'applique.", "yes", null, null, null, null],
      ["text", "comment", "Anything else?", "Autre chose ?", null, null, null, null, null, null, null],
      ["end_group", null, null, null, null, null, null, null, null, null, null],
      ["begin_group", "last", "Last", "Fin", null, null, null, null, null, null, null],
      ["note", "bye", "Thank you for your time.", "Merci de votre temps.", null, null, null, null, null, null, null],
      ["acknowledge", "confirm", "I confirm my answers.", "Je confirme mes réponses.", null, null, "yes", null, null, null, null],
      ["end_group", null, null, null, null, null, null, null, null, null, null],
    ],
    choices: [
      ["list_name", "name", `label::${EN}`, `label::${FR}`],
      ["regions", "150", "Europe", "Europe"],
      ["regions", "002", "Africa", "Afrique"],
      ["regions", "019", "Americas", "Amériques"],
      ["yesno", "yes", "Yes", "Oui"],
      ["yesno", "no", "No", "Non"],
      ["barriers", "cost", "Cost", "Coût"],
      ["barriers", "skills", "Skills", "Compétences"],
      ["barriers", "rules", "Rules", "Règles"],
    ],
    settings: [
      ["form_title", "form_id", "version", "default_language"],
      ["Procurement test", "procurement_test", "1", EN],
    ],
  });
}
