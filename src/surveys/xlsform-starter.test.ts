/**
 * The starter survey (data/surveys/procurement-policies.xlsx): the
 * committed workbook reads as its source (scripts/build-starter-survey.ts)
 * builds it, and says what issue 12 §5 asks of it: three languages,
 * consent first, region as UN M49 codes and sector for the observatory,
 * skip logic, a constraint, or_other, comply-or-explain with "why not".
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { buildStarterSurvey, CHOICES, STARTER_SURVEY_PATH } from "../../scripts/build-starter-survey.ts";
import { formToJson, METADATA_TYPES } from "./form.ts";
import { readXlsForm } from "./xlsform.ts";

const LANGUAGES = ["English (en)", "Français (fr)", "Español (es)"];

describe("the starter survey", async () => {
  const committed = await readXlsForm(readFileSync(STARTER_SURVEY_PATH), "procurement-policies.xlsx");

  test("the committed .xlsx reads as its source builds it (run scripts/build-starter-survey.ts after editing the source)", async () => {
    const rebuilt = await readXlsForm(await buildStarterSurvey(), "procurement-policies.xlsx");
    assert.deepEqual(committed, rebuilt);
    assert.deepEqual(
      new Set(committed.questions.flatMap((question) => (question.list ? [question.list] : []))),
      new Set(CHOICES.map(([list]) => list)),
"every list of the source is used",
    );
  });

  test("settings, languages, size", () => {
    assert.equal(committed.id, "procurement_policies");
    assert.match(committed.version, /^\d{10}$/);
    assert.equal(committed.defaultLanguage, "English (en)");
    assert.deepEqual(committed.languages, LANGUAGES);
    const metadata: readonly string[] = METADATA_TYPES;
    const asked = committed.questions.filter((question) => !metadata.includes(question.type) && question.type !== "note" && question.type !== "calculate");
    assert.ok(asked.length >= 15 && asked.length <= 20, `${asked.length} questions asked`);
    assert.ok(committed.groups.length >= 4 && committed.groups.length <= 5, `${committed.groups.length} groups`);
  });

  test("every label, hint and choice in the three languages (but pyxform's own Other / Specify other.)", () => {
    for (const question of committed.questions) {
      if (question.name.endsWith("_other") || (METADATA_TYPES as readonly string[]).includes(question.type)) continue;
      assert.deepEqual(Object.keys(question.label), LANGUAGES, question.name);
      if (Object.keys(question.hint).length > 0) assert.deepEqual(Object.keys(question.hint), LANGUAGES, question.name);
      for (const choice of question.choices ?? []) {
        if (choice.name !== "other") assert.deepEqual(Object.keys(choice.label), LANGUAGES, `${question.name}/${choice.name}`);
      }
    }
    for (const group of committed.groups) assert.deepEqual(Object.keys(group.label), LANGUAGES, group.name);
  });

  test("consent is asked first and required; every group waits for it", () => {
    const first = committed.questions.find((question) => question.type !== "note" && !(METADATA_TYPES as readonly string[]).includes(question.type));
    assert.equal(first?.name, "consent");
    assert.equal(first.required, true);
    assert.equal(first.group, "");
    for (const group of committed.groups) assert.equal(group.relevant, "${consent} = 'yes'", group.name);
  });

  test("region and sector as the observatory names them; the research questions of §5", () => {
    const json = formToJson(committed);
    const byName = new Map(json.questions.map((question) => [question.name, question]));
    assert.deepEqual(
      byName.get("region")?.choices?.map((choice) => choice.name),
      ["002", "019", "142", "150", "009", "001"],
      "UN M49 macro-regions, codes kept as text",
    );
    assert.equal(byName.get("sector")?.type, "select_one");
    assert.equal(byName.get("experience")?.constraint, ". >= 0 and . <= 60");
    assert.equal(byName.get("barriers")?.type, "select_multiple");
    assert.equal(byName.get("barriers")?.choices?.at(-1)?.name, "other");
    assert.equal(byName.get("barriers_other")?.relevant, "selected(${barriers}, 'other')");
    assert.equal(byName.get("adopt_list")?.type, "select_one");
    assert.match(byName.get("adopt_why_not")?.relevant ?? "", /\$\{adopt_list\} = 'no'/);
    assert.equal(byName.get("formats")?.type, "rank");
    assert.equal(byName.get("list_usefulness")?.type, "range");
    assert.equal(byName.get("comments")?.type, "text");
  });
});
