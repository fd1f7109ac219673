/**
 * The answer engine on plain Form objects: pages, relevance through nested
 * groups, choice filters, each type's parsing (good and bad values),
 * required and constraint messages, or_other, rank, range, calculations
 * that chain, and a respondent who goes back, changes an answer that makes
 * a later page irrelevant, and submits: that page's answers are not kept.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  applyPage,
  choicesFor,
  finalAnswers,
  initialAnswers,
  isGroupRelevant,
  isRelevant,
  pagesOf,
  relevantPages,
  validateAll,
  type FieldError,
  type Page,
  type Posted,
} from "./engine.ts";
import { begin, buildForm, choices, choicesWith, end, q } from "./engine-test-support.ts";
import type { Answers, Form, Question } from "./form.ts";

const NOW = new Date("2026-03-04T10:20:30.000Z");

function questionOf(form: Form, name: string): Question {
  const question = form.questions.find((candidate) => candidate.name === name);
  assert.ok(question, `no question ${name}`);
  return question;
}

function pageOf(form: Form, id: string): Page {
  const page = pagesOf(form).find((candidate) => candidate.id === id);
  assert.ok(page, `no page ${id}`);
  return page;
}

/** Posts one page of a single-page form (all questions top level). */
function post(form: Form, posted: Posted, answers: Answers = {}): { answers: Answers; errors: FieldError[] } {
  const [page] = pagesOf(form);
  assert.ok(page);
  return applyPage(form, page, posted, answers, NOW);
}

describe("pages", () => {
  const form = buildForm([
    q("intro", "note"),
    q("a", "text"),
    q("c1", "calculate", { calculation: "1" }),
    q("b", "text"),
    begin("g1"),
    q("g1a", "text"),
    begin("inner"),
    q("g1b", "integer"),
    end(),
    q("g1c", "calculate", { calculation: "2" }),
    end(),
    q("start", "start"),
    q("c", "text"),
    begin("empty"),
    end(),
    q("d", "text"),
    begin("onlycalc"),
    q("c2", "calculate", { calculation: "3" }),
    end(),
  ]);

  test("a run of top-level questions is one page; each top-level group one page; calculate and metadata are not shown", () => {
    const pages = pagesOf(form);
    assert.deepEqual(
      pages.map((page) => [page.index, page.id, page.group?.path ?? null, page.questions.map((question) => question.name)]),
      [
        [0, "_page1", null, ["intro", "a", "b"]],
        [1, "g1", "g1", ["g1a", "g1b"]],
        [2, "_page3", null, ["c"]],
        [3, "_page4", null, ["d"]],
      ],
    );
  });
});

describe("relevance", () => {
  const form = buildForm([
    q("consent", "select_one", { choices: choices("yes", "no") }),
    begin("outer", "${consent} = 'yes'"),
    q("role", "text"),
    begin("inner", "${age} >= 18"),
    q("age", "integer"),
    q("employer", "text", { relevant: "${role} != ''" }),
    end(),
    end(),
  ]);
  const employer = questionOf(form, "employer");

  test("a question is relevant only when it and every enclosing group are", () => {
    assert.equal(isRelevant(form, employer, { consent: "yes", role: "buyer", age: "30" }, NOW), true);
    assert.equal(isRelevant(form, employer, { consent: "no", role: "buyer", age: "30" }, NOW), false); // outer
    assert.equal(isRelevant(form, employer, { consent: "yes", role: "buyer", age: "12" }, NOW), false); // inner
    assert.equal(isRelevant(form, employer, { consent: "yes", age: "30" }, NOW), false); // its own
    const inner = form.groups.find((group) => group.path === "outer/inner");
    assert.ok(inner);
    assert.equal(isGroupRelevant(form, inner, { consent: "no", age: "30" }, NOW), false);
    assert.equal(isGroupRelevant(form, inner, { consent: "yes", age: "30" }, NOW), true);
  });

  test("relevantPages leaves out pages with no relevant question", () => {
    assert.deepEqual(relevantPages(form, { consent: "no" }, NOW).map((page) => page.id), ["_page1"]);
    assert.deepEqual(relevantPages(form, { consent: "yes" }, NOW).map((page) => page.id), ["_page1", "outer"]);
  });
});

describe("choice_filter", () => {
  const form = buildForm([
    q("country", "select_one", { choices: choicesWith(["fr", {}], ["es", {}]) }),
    q("city", "select_one", {
      choices: choicesWith(["paris", { country: "fr" }], ["lyon", { country: "fr" }], ["madrid", { country: "es" }]),
      choiceFilter: "country = ${country}",
      orOther: true,
    }),
  ]);

  test("filters on the choices' extra columns, keeping or_other's 'other'", () => {
    const city = questionOf(form, "city");
    assert.deepEqual(choicesFor(form, city, { country: "fr" }, NOW).map((choice) => choice.name), ["paris", "lyon", "other"]);
    assert.deepEqual(choicesFor(form, city, { country: "es" }, NOW).map((choice) => choice.name), ["madrid", "other"]);
  });

  test("a value the filter does not allow is a choice error, also when the filter's answer is posted with it", () => {
    assert.deepEqual(post(form, { country: "es", city: "paris" }).errors, [{ name: "city", code: "choice", message: null }]);
    const ok = post(form, { country: "es", city: "madrid" });
    assert.deepEqual(ok.errors, []);
    assert.equal(ok.answers.city, "madrid");
  });

  test("validateAll catches a stored answer the filter no longer allows", () => {
    assert.deepEqual(validateAll(form, { country: "es", city: "paris" }, NOW), [{ name: "city", code: "choice", message: null }]);
  });
});

describe("parsing each type", () => {
  const form = buildForm([
    q("text", "text"),
    q("integer", "integer"),
    q("decimal", "decimal"),
    q("date", "date"),
    q("time", "time"),
    q("datetime", "datetime"),
    q("one", "select_one", { choices: choices("a", "b", "c") }),
    q("many", "select_multiple", { choices: choices("a", "b", "c") }),
    q("rank", "rank", { choices: choices("a", "b", "c") }),
    q("ack", "acknowledge"),
    q("range", "range"),
    q("steps", "range", { parameters: { start: "0", end: "1", step: "0.25" } }),
    q("note", "note"),
  ]);

  const good: [string, string | string[], string][] = [
    ["text", "  hello \r\nworld ", "  hello \nworld "],
    ["integer", " 042 ", "42"],
    ["integer", "-2147483648", "-2147483648"],
    ["integer", "-0", "0"],
    ["decimal", "3.25", "3.25"],
    ["decimal", "-.5", "-.5"],
    ["date", "2024-02-29", "2024-02-29"],
    ["time", "09:30", "09:30"],
    ["time", "23:59:59", "23:59:59"],
    ["datetime", "2026-03-04T10:20", "2026-03-04T10:20"],
    ["one", "b", "b"],
    ["many", ["c", "a"], "a c"],
    ["many", ["a", "a"], "a"],
    ["rank", ["c", "a", "b"], "c a b"],
    ["rank", ["b"], "b"],
    ["ack", "OK", "OK"],
    ["range", "10", "10"],
    ["steps", "0.75", "0.75"],
  ];
  for (const [name, value, stored] of good) {
    test(`${name} ${JSON.stringify(value)} is stored as ${JSON.stringify(stored)}`, () => {
      const result = post(form, { [name]: value });
      assert.deepEqual(result.errors, []);
      assert.equal(result.answers[name], stored);
    });
  }

  const bad: [string, string | string[], FieldError["code"]][] = [
    ["text", "x".repeat(10_001), "type"],
    ["integer", "1.5", "type"],
    ["integer", "12abc", "type"],
    ["integer", "2147483648", "range"],
    ["decimal", "1,5", "type"],
    ["decimal", "1e5", "type"],
    ["decimal", "Infinity", "type"],
    ["date", "2023-02-29", "type"],
    ["date", "2024-13-01", "type"],
    ["date", "04/03/2026", "type"],
    ["time", "24:00", "type"],
    ["time", "9:30", "type"],
    ["datetime", "2026-03-04 10:20", "type"],
    ["datetime", "2026-02-30T10:20", "type"],
    ["one", "z", "choice"],
    ["many", ["a", "z"], "choice"],
    ["rank", ["a", "a"], "choice"],
    ["rank", ["a", "q"], "choice"],
    ["ack", "yes", "type"],
    ["range", "11", "range"],
    ["range", "0", "range"],
    ["range", "2.5", "range"],
    ["range", "abc", "type"],
    ["steps", "0.3", "range"],
  ];
  for (const [name, value, code] of bad) {
    test(`${name} ${JSON.stringify(value).slice(0, 30)} is a ${code} error and not stored`, () => {
      const result = post(form, { [name]: value }, { [name]: "previous" });
      assert.deepEqual(result.errors, [{ name, code, message: null }]);
      assert.equal(Object.hasOwn(result.answers, name), false);
    });
  }

  test("an empty field removes the answer; a note and unknown fields are ignored", () => {
    const result = post(form, { text: "   ", many: [], note: "hacked", nosuch: "x" }, { text: "old", many: "a", integer: "3" });
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.answers, {}); // integer was on the page and not posted: removed too
  });

  test("NUL characters are dropped", () => {
    assert.equal(post(form, { text: "a\u0000b" }).answers.text, "ab");
  });
});

describe("required, constraint, messages", () => {
  const form = buildForm([
    q("age", "integer", { required: true, requiredMessage: { default: "Please give your age" }, constraint: ". >= 18 and . <= 120", constraintMessage: { default: "18 to 120" } }),
    q("email", "text", { constraint: "regex(., '^[^@ ]+@[^@ ]+$')" }),
    q("name", "text", { required: true }),
    q("skipped", "text", { required: true, relevant: "${age} > 65" }),
    q("shown", "note", { required: true }),
  ]);

  test("required with and without the form's message", () => {
    const { errors } = post(form, {});
    assert.deepEqual(errors, [
      { name: "age", code: "required", message: { default: "Please give your age" } },
      { name: "name", code: "required", message: null },
    ]);
  });

  test("constraint with `.` as the value, and its message; an empty answer does not have to meet it", () => {
    const { errors } = post(form, { age: "12", email: "not an email", name: "Ann" });
    assert.deepEqual(errors, [
      { name: "age", code: "constraint", message: { default: "18 to 120" } },
      { name: "email", code: "constraint", message: null },
    ]);
    assert.deepEqual(post(form, { age: "40", name: "Ann", email: "a@b" }).errors, []);
  });

  test("a non-relevant required question is not checked, and its old answer is cleared", () => {
    const result = post(form, { age: "40", name: "Ann" }, { skipped: "stale" });
    assert.deepEqual(result.errors, []);
    assert.equal(Object.hasOwn(result.answers, "skipped"), false);
    assert.deepEqual(post(form, { age: "70", name: "Ann" }).errors, [{ name: "skipped", code: "required", message: null }]);
  });

  test("questions made relevant by an answer on the same page are checked at once", () => {
    assert.deepEqual(post(form, { age: "70", name: "Ann", skipped: "here" }).errors, []);
  });
});

for (const withOtherQuestion of [false, true]) {
  describe(`or_other${withOtherQuestion ? ", with NAME_other as its own question (as the reader makes it)" : ""}`, () => {
    const form = buildForm(
      [
        q("sector", "select_one", { choices: choices("health", "energy"), orOther: true }),
        q("barriers", "select_multiple", { choices: choices("cost", "skills"), orOther: true }),
      ],
      { withOtherQuestion },
    );

    test("choosing 'other' requires the text, which is then kept", () => {
      assert.deepEqual(post(form, { sector: "other" }).errors, [{ name: "sector", code: "other", message: null }]);
      assert.deepEqual(post(form, { sector: "other", sector_other: "  " }).errors, [{ name: "sector", code: "other", message: null }]);
      const result = post(form, { sector: "other", sector_other: "Water", barriers: ["skills", "other"], barriers_other: "Time" });
      assert.deepEqual(result.errors, []);
      assert.deepEqual(result.answers, { sector: "other", sector_other: "Water", barriers: "skills other", barriers_other: "Time" });
      assert.deepEqual(validateAll(form, result.answers, NOW), []);
    });

    test("an over-long text is one error", () => {
      const errors = post(form, { sector: "other", sector_other: "x".repeat(10_001) }).errors;
      assert.equal(errors.length, 1);
      assert.equal(errors[0]?.code, "type");
    });

    test("without 'other' the text is dropped", () => {
      const result = post(form, { sector: "energy", sector_other: "Water" }, { sector_other: "old" });
      assert.deepEqual(result.answers, { sector: "energy" });
    });

    test("finalAnswers keeps the text only while 'other' is chosen", () => {
      const meta = { start: "s", end: "2026-03-04T10:00:00Z", deviceid: "d" };
      assert.deepEqual(finalAnswers(form, { sector: "health", sector_other: "stale" }, NOW, meta), { sector: "health" });
      assert.deepEqual(finalAnswers(form, { sector: "other", sector_other: "Water" }, NOW, meta), { sector: "other", sector_other: "Water" });
    });
  });
}

describe("calculations", () => {
  const form = buildForm([
    q("price", "decimal"),
    q("quantity", "integer"),
    q("total", "calculate", { calculation: "${net} * 1.2" }), // uses a later calculation
    q("net", "calculate", { calculation: "${price} * ${quantity}" }),
    q("label", "calculate", { calculation: "if(${total} > 100, 'large', 'small')" }),
    q("bonus", "calculate", { calculation: "${total} div 10", relevant: "${label} = 'large'" }),
    q("check", "integer", { constraint: ". <= ${total}" }),
  ]);

  test("recomputed after a page, chaining, also on later ones; NaN stores nothing", () => {
    const result = post(form, { price: "50", quantity: "2", check: "100" });
    assert.deepEqual(result.errors, []);
    assert.equal(result.answers.net, "100");
    assert.equal(result.answers.total, "120");
    assert.equal(result.answers.label, "large");
    assert.equal(result.answers.bonus, "12");
    const small = post(form, { price: "5", quantity: "2" }, result.answers);
    assert.equal(small.answers.label, "small");
    assert.equal(Object.hasOwn(small.answers, "bonus"), false); // no longer relevant
    const empty = post(form, {});
    assert.equal(Object.hasOwn(empty.answers, "total"), false);
    assert.equal(empty.answers.label, "small");
  });

  test("once() keeps a calculation's first value across pages", () => {
    const stamped = buildForm([q("a", "text"), q("first", "calculate", { calculation: "once(now())" })]);
    const first = post(stamped, { a: "x" });
    assert.equal(first.answers.first, NOW.toISOString());
    const later = applyPage(stamped, pagesOf(stamped)[0] as Page, { a: "y" }, first.answers, new Date("2026-03-05T00:00:00Z"));
    assert.equal(later.answers.first, NOW.toISOString());
  });

  test("a cycle of calculations that never settles stops", () => {
    const cycle = buildForm([
      q("a", "calculate", { calculation: "if(${b} = '', 1, '')" }),
      q("b", "calculate", { calculation: "if(${a} = '', 1, '')" }),
      q("x", "text"),
    ]);
    const result = post(cycle, { x: "y" });
    assert.deepEqual(result.errors, []);
    assert.equal(result.answers.x, "y");
  });

  test("a constraint may use a calculation", () => {
    assert.deepEqual(post(form, { price: "1", quantity: "1", check: "5" }).errors, [{ name: "check", code: "constraint", message: null }]);
  });
});

describe("defaults", () => {
  test("initialAnswers stores the default column's values as typed values, and calculations", () => {
    const form = buildForm([
      q("count", "integer", { default: "05" }),
      q("lang", "select_one", { choices: choices("en", "fr"), default: "fr" }),
      q("bad", "date", { default: "yesterday" }),
      q("when", "calculate", { calculation: "today()" }),
    ]);
    assert.deepEqual(initialAnswers(form, NOW), { count: "5", lang: "fr", when: "2026-03-04" });
  });

  test("a default that calls a function (today(), pyxform's dynamic default) is computed; other text is the value itself", () => {
    const form = buildForm([
      q("interviewed", "date", { default: "today()" }),
      q("week_ago", "date", { default: "date(today() - 7)" }),
      q("note_text", "text", { default: "Other (please say)" }),
    ]);
    assert.deepEqual(initialAnswers(form, NOW), { interviewed: "2026-03-04", week_ago: "2026-02-25", note_text: "Other (please say)" });
  });
});

describe("going back", () => {
  const form = buildForm([
    begin("about"),
    q("buys", "select_one", { choices: choices("yes", "no"), required: true }),
    end(),
    begin("buying", "${buys} = 'yes'"),
    q("budget", "integer", { required: true }),
    q("tools", "select_multiple", { choices: choices("a", "b") }),
    end(),
    begin("closing"),
    q("comment", "text"),
    q("ok", "acknowledge", { required: true }),
    end(),
    q("start", "start"),
    q("end", "end"),
    q("today", "today"),
    q("deviceid", "deviceid"),
    q("phonenumber", "phonenumber"),
  ]);
  const meta = { start: "2026-03-04T09:00:00.000Z", end: "2026-03-04T23:59:00.000-02:00", deviceid: "baseline" };

  test("validateAll fails cleanly on a skipped page, and passes after going back and making it irrelevant; finalAnswers drops its answers", () => {
    let answers = initialAnswers(form, NOW);
    answers = applyPage(form, pageOf(form, "about"), { buys: "yes" }, answers, NOW).answers;
    const buying = applyPage(form, pageOf(form, "buying"), { budget: "1000", tools: ["b"] }, answers, NOW);
    assert.deepEqual(buying.errors, []);
    answers = buying.answers;
    answers = applyPage(form, pageOf(form, "closing"), { comment: "fine" }, answers, NOW).answers;
    assert.deepEqual(validateAll(form, answers, NOW), [{ name: "ok", code: "required", message: null }]);
    answers = applyPage(form, pageOf(form, "closing"), { comment: "fine", ok: "OK" }, answers, NOW).answers;
    assert.deepEqual(validateAll(form, answers, NOW), []);

    // Back to the first page: not a buyer after all.
    answers = applyPage(form, pageOf(form, "about"), { buys: "no" }, answers, NOW).answers;
    assert.equal(answers.budget, "1000"); // another page's answer stays until the end...
    assert.deepEqual(relevantPages(form, answers, NOW).map((page) => page.id), ["about", "closing"]);
    assert.deepEqual(validateAll(form, answers, NOW), []);
    const final = finalAnswers(form, answers, NOW, meta);
    assert.deepEqual(final, {
      buys: "no",
      comment: "fine",
      ok: "OK",
      start: meta.start,
      end: meta.end,
      today: "2026-03-05", // the date of `end` in UTC
      deviceid: "baseline",
    });
  });

  test("validateAll re-checks stored values: a required answer removed, a bad stored value", () => {
    const answers = { buys: "yes", budget: "lots", ok: "OK" };
    assert.deepEqual(validateAll(form, answers, NOW), [{ name: "budget", code: "type", message: null }]);
    assert.deepEqual(validateAll(form, { buys: "yes" }, NOW), [
      { name: "budget", code: "required", message: null },
      { name: "ok", code: "required", message: null },
    ]);
  });

  test("finalAnswers keeps only the form's questions and well-typed values", () => {
    const final = finalAnswers(form, { buys: "yes", budget: "lots", tools: "b", ok: "OK", intruder: "x", __proto__x: "y" }, NOW, meta);
    assert.equal(Object.hasOwn(final, "budget"), false);
    assert.equal(Object.hasOwn(final, "intruder"), false);
    assert.equal(final.tools, "b");
    assert.equal(Object.hasOwn(final, "phonenumber"), false);
  });
});

describe("relevance that depends on a cleared answer", () => {
  test("clearing one answer can clear another, on the same page", () => {
    const form = buildForm([
      q("a", "select_one", { choices: choices("yes", "no") }),
      q("b", "text", { relevant: "${a} = 'yes'" }),
      q("c", "text", { relevant: "${b} != ''" }),
    ]);
    const result = post(form, { a: "no", b: "kept?", c: "kept?" });
    assert.deepEqual(result.answers, { a: "no" });
  });
});

describe("names that are also Object.prototype's", () => {
  test("__proto__ and constructor are answers like any other", () => {
    const form = buildForm([q("__proto__", "text"), q("constructor", "integer", { relevant: "${__proto__} != ''", required: true })]);
    const posted = JSON.parse('{"__proto__": "proto text", "constructor": "7"}') as Posted;
    const result = post(form, posted);
    assert.deepEqual(result.errors, []);
    assert.equal(Object.hasOwn(result.answers, "__proto__"), true);
    assert.equal(result.answers.constructor, "7");
    assert.deepEqual(post(form, {}).errors, []); // constructor not relevant: no "required"
    const final = finalAnswers(form, result.answers, NOW, { start: "", end: "", deviceid: "" });
    assert.equal(JSON.stringify(final), '{"__proto__":"proto text","constructor":"7"}');
  });
});
