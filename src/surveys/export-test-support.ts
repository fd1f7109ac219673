/**
 * A form and responses for the tests of results and exports: English and
 * French labels, a group, a select_one with or_other (and its NAME_other
 * text question, as the XLSForm reader adds it), a select_multiple, numbers,
 * free text, an acknowledge, a rank, a calculate, a note and a metadata
 * question. Built as a plain Form, independent of the XLSForm reader.
 */
import type { Choice, Form, Question, QuestionType } from "./form.ts";

export const EN = "English (en)";
export const FR = "Français (fr)";

function choice(name: string, en: string, fr: string): Choice {
  return { name, label: { [EN]: en, [FR]: fr }, extra: {} };
}

let row = 1;
function question(name: string, type: QuestionType, en: string, fr: string, more: Partial<Question> = {}): Question {
  row += 1;
  return {
    name,
    type,
    group: "",
    list: null,
    orOther: false,
    label: { [EN]: en, [FR]: fr },
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
    choices: null,
    row,
    ...more,
  };
}

export const REGIONS = [choice("europe", "Europe", "Europe"), choice("africa", "Africa", "Afrique"), choice("asia", "Asia", "Asie")];
export const BARRIERS = [choice("cost", "Cost", "Coût"), choice("skills", "Skills", "Compétences"), choice("rules", "Rules, \"unclear\"", "Règles floues")];
export const ROLES = [choice("buyer", "Buyer", "Acheteur"), choice("lawyer", "Lawyer", "Juriste"), choice("other", "Other", "Autre")];

export const TEST_FORM: Form = {
  id: "dm_survey",
  title: "Decision makers",
  version: "2026120701",
  defaultLanguage: EN,
  languages: [EN, FR],
  groups: [{ name: "about", path: "about", label: { [EN]: "About you", [FR]: "Vous" }, relevant: null, appearance: null, row: 2 }],
  questions: [
    question("start", "start", "", ""),
    question("intro", "note", "Welcome", "Bienvenue"),
    question("region", "select_one", "Your region", "Votre région", { group: "about", list: "regions", choices: REGIONS }),
    question("role", "select_one", "Your role", "Votre rôle", { group: "about", list: "roles", orOther: true, choices: ROLES }),
    question("role_other", "text", "Specify other.", "Précisez.", { group: "about" }),
    question("barriers", "select_multiple", "Barriers", "Obstacles", { list: "barriers", choices: BARRIERS }),
    question("years", "integer", "Years in post", "Années en poste"),
    question("budget", "decimal", "Budget (M€)", "Budget (M€)"),
    question("comment", "text", "Comment", "Commentaire"),
    question("consent", "acknowledge", "I agree", "J'accepte"),
    question("priority", "rank", "Priorities", "Priorités", { list: "barriers", choices: BARRIERS }),
    question("score", "calculate", "", "", { calculation: "${years} * 2" }),
  ],
};

export interface TestResponse {
  id: string;
  submittedOn: string;
  answers: Record<string, string>;
}

export const TEST_RESPONSES: TestResponse[] = [
  {
    id: "r1",
    submittedOn: "2026-12-01",
    answers: { start: "2026-12-01T10:00:00.000Z", region: "europe", role: "buyer", barriers: "cost rules", years: "12", budget: "1.5", comment: "He said \"hi\", then – «left»", consent: "OK", priority: "rules cost skills", score: "24" },
  },
  { id: "r2", submittedOn: "2026-12-02", answers: { region: "africa", role: "other", role_other: "Auditor", barriers: "skills", years: "3", budget: "-0.25", comment: "=HYPERLINK(\"http://x\")", consent: "OK", priority: "cost" } },
  { id: "r3", submittedOn: "2026-12-02", answers: { region: "europe", role: "lawyer", barriers: "", years: "", comment: "it's a 'quote' and a \"double\"\nsecond line" } },
];

export async function* asyncResponses(responses: readonly TestResponse[] = TEST_RESPONSES): AsyncGenerator<TestResponse> {
  for (const response of responses) {
    // As the store hands them: one at a time, across turns of the event loop.
    await Promise.resolve();
    yield response;
  }
}
