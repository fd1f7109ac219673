/**
 * The expression language: precedence as XPath 1.0, its conversions, each
 * function, errors with positions, and hostile input (deep nesting, long
 * text, bad or exponential regexes) refused at parse time.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Answers, Choice } from "./form.ts";
import { hasNestedRepetition } from "./expression-functions.ts";
import {
  bareNames,
  evaluate,
  ExpressionError,
  parseExpression,
  referencedNames,
  toBoolean,
  toNumber,
  toText,
  type EvaluationContext,
  type Value,
} from "./expression.ts";

const NOW = new Date("2026-03-04T10:20:30.000Z");

function run(text: string, answers: Answers = {}, extra: Partial<EvaluationContext> = {}): Value {
  return evaluate(parseExpression(text), { answers, now: NOW, ...extra });
}

function errorOf(text: string): ExpressionError {
  try {
    parseExpression(text);
  } catch (error) {
    assert.ok(error instanceof ExpressionError, `expected an ExpressionError, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${JSON.stringify(text)} to be refused`);
}

describe("parsing and precedence", () => {
  test("multiplicative binds tighter than additive, and left to right", () => {
    assert.equal(run("1 + 2 * 3"), 7);
    assert.equal(run("(1 + 2) * 3"), 9);
    assert.equal(run("10 - 4 - 3"), 3);
    assert.equal(run("20 div 2 div 5"), 2);
    assert.equal(run("7 mod 3 * 2"), 2);
    assert.equal(run("-2 * 3"), -6);
    assert.equal(run("- -4"), 4);
    assert.equal(run("2 - -1"), 3);
  });

  test("or < and < equality < relational < additive", () => {
    assert.equal(run("1 = 1 or 1 = 2 and 1 = 2"), true); // or(true, and(false,false))
    assert.equal(run("(1 = 1 or 1 = 2) and 1 = 2"), false);
    assert.equal(run("1 < 2 = 2 < 3"), true); // (1<2) = (2<3)
    assert.equal(run("1 + 1 > 1"), true);
    assert.equal(run("3 > 2 > 1"), false); // (3>2)=true → 1 > 1
  });

  test("and/or/div/mod are names where an operand stands, operators elsewhere", () => {
    const choice: Choice = { name: "x", label: {}, extra: { and: "A", div: "D" } };
    assert.equal(run("and = 'A' and div = 'D'", {}, { choice }), true);
  });

  test("names may contain '-' and '.', as in XPath", () => {
    assert.equal(run("${first-name.x} = 'Ann'", { "first-name.x": "Ann" }), true);
    assert.equal(run("${a}-1", { a: "5" }), 4);
  });

  test("strings in either quote, with the other quote inside", () => {
    assert.equal(run(`"it's"`), "it's");
    assert.equal(run(`'say "hi"'`), 'say "hi"');
  });

  test("referencedNames lists each ${name} once, in order", () => {
    assert.deepEqual(referencedNames(parseExpression("${b} > 1 and selected(${a}, 'x') or ${b} = if(${c}, 1, 2)")), ["b", "a", "c"]);
    assert.deepEqual(referencedNames(parseExpression(". > 3")), []);
  });

  test("bareNames lists the names without ${}, which only a choice_filter gives a meaning", () => {
    assert.deepEqual(bareNames(parseExpression("region = ${r} and starts-with(name, 'a') or region = 'x'")), ["region", "name"]);
    assert.deepEqual(bareNames(parseExpression("${a} = 'yes'")), []);
  });
});

describe("XPath 1.0 conversions", () => {
  test("toNumber, toBoolean, toText", () => {
    assert.ok(Number.isNaN(toNumber("")));
    assert.ok(Number.isNaN(toNumber("abc")));
    assert.ok(Number.isNaN(toNumber("1e3")));
    assert.equal(toNumber(" 42 "), 42);
    assert.equal(toNumber("-.5"), -0.5);
    assert.equal(toNumber(true), 1);
    assert.equal(toBoolean(""), false);
    assert.equal(toBoolean("0"), true); // a non-empty string
    assert.equal(toBoolean(0), false);
    assert.equal(toBoolean(Number.NaN), false);
    assert.equal(toText(3), "3");
    assert.equal(toText(-0), "0");
    assert.equal(toText(0.5), "0.5");
    assert.equal(toText(1e21), "1000000000000000000000");
    assert.equal(toText(Number.NaN), "NaN");
    assert.equal(toText(false), "false");
  });

  test("comparing with a number converts the other side; '' is NaN and NaN compares false", () => {
    assert.equal(run("${age} > 18", { age: "20" }), true);
    assert.equal(run("${age} > 18", { age: "9" }), false); // numeric, not "9" > "18" as text
    assert.equal(run("${age} > 18", {}), false);
    assert.equal(run("${age} <= 18", {}), false);
    assert.equal(run("${age} = 18", { age: "18.0" }), true);
    assert.equal(run("${age} != 18", {}), true);
  });

  test("= between two strings compares text", () => {
    assert.equal(run("${a} = ${b}", { a: "5", b: "5.0" }), false);
    assert.equal(run("${a} = 'yes'", { a: "yes" }), true);
    assert.equal(run("${name} != ''", { name: "x" }), true);
    assert.equal(run("${name} != ''", {}), false);
  });

  test("relational between two strings is numeric, except dates and times compare as text", () => {
    assert.equal(run("${a} < ${b}", { a: "9", b: "10" }), true);
    assert.equal(run("${d} < '2026-03-10'", { d: "2026-02-28" }), true);
    assert.equal(run("${d} <= today()", { d: "2026-03-05" }), false);
    assert.equal(run("${t} > '09:30'", { t: "10:00" }), true);
    assert.equal(run("'abc' < 'abd'"), false); // plain text: NaN < NaN
  });

  test("a date in arithmetic or against a number is days since 1970-01-01, as JavaRosa and Enketo", () => {
    assert.equal(toNumber("1970-01-02"), 1);
    assert.equal(toNumber("1970-01-01T12:00:00Z"), 0.5);
    assert.equal(toNumber("1970-01-01T18:00:00+06:00"), 0.5);
    assert.ok(Number.isNaN(toNumber("2026-02-30")));
    assert.equal(run("today() - ${d}", { d: "2026-02-25" }), 7);
    assert.equal(run("int((today() - ${birth}) div 365.25)", { birth: "1990-03-05" }), 35);
    // A constraint "within the last 30 days" can be met, and refuses what it should.
    assert.equal(run(". >= today() - 30", {}, { current: "2026-02-20" }), true);
    assert.equal(run(". >= today() - 30", {}, { current: "2025-12-01" }), false);
    assert.equal(run("date(${d} + 7)", { d: "2026-02-25" }), "2026-03-04");
  });

  test("a boolean on either side of = makes it boolean", () => {
    assert.equal(run("${x} = true()", { x: "anything" }), true);
    assert.equal(run("${x} = true()", {}), false);
  });

  test("arithmetic on empty answers is NaN, which is false", () => {
    assert.ok(Number.isNaN(run("${a} + 1")));
    assert.equal(toBoolean(run("${a} + 1")), false);
    assert.equal(run("1 div 0"), Infinity);
    assert.equal(run("-7 mod 3"), -1); // truncating, as XPath
  });

  test("`.` is the current value; bare names read the choice", () => {
    assert.equal(run(". >= 0 and . <= 120", {}, { current: "130" }), false);
    assert.equal(run(". >= 0 and . <= 120", {}, { current: "40" }), true);
    const choice: Choice = { name: "paris", label: { default: "Paris" }, extra: { region: "idf" } };
    assert.equal(run("region = ${r}", { r: "idf" }, { choice }), true);
    assert.equal(run("name = 'paris'", {}, { choice }), true);
    assert.equal(run("missing = ''", {}, { choice }), true);
    assert.equal(run("constructor = ''", {}, { choice }), true); // no prototype lookups
    assert.equal(run("${constructor} = ''", {}), true);
  });
});

describe("functions", () => {
  test("not, true, false, boolean, string, number, boolean-from-string", () => {
    assert.equal(run("not(${a})", {}), true);
    assert.equal(run("not(true())"), false);
    assert.equal(run("false()"), false);
    assert.equal(run("boolean('x')"), true);
    assert.equal(run("string(1 + 1)"), "2");
    assert.equal(run("number('3.5') * 2"), 7);
    assert.equal(run("boolean-from-string('1')"), true);
    assert.equal(run("boolean-from-string('yes')"), false);
  });

  test("selected and count-selected on space-separated answers", () => {
    const answers = { m: "red  blue green" };
    assert.equal(run("selected(${m}, 'blue')", answers), true);
    assert.equal(run("selected(${m}, 'bl')", answers), false);
    assert.equal(run("selected(${m}, 'x')", {}), false);
    assert.equal(run("count-selected(${m})", answers), 3);
    assert.equal(run("count-selected(${m})", {}), 0);
  });

  test("string-length counts characters, and of `.` without an argument", () => {
    assert.equal(run("string-length('héllo')"), 5);
    assert.equal(run("string-length('😀')"), 1);
    assert.equal(run("string-length()", {}, { current: "abcd" }), 4);
    assert.equal(run("string-length(${x})", {}), 0);
  });

  test("regex finds the pattern anywhere, anchors as written", () => {
    assert.equal(run("regex(., '^[0-9]{4}$')", {}, { current: "2024" }), true);
    assert.equal(run("regex(., '^[0-9]{4}$')", {}, { current: "20245" }), false);
    assert.equal(run("regex('abc123', '[0-9]')"), true);
    assert.equal(run("regex(., '^\\d{3}\\-\\d{4}$')", {}, { current: "555-1234" }), true); // Java-style \- still works
    assert.equal(run("regex('é', '^\\p{L}$')"), true); // the u flag
    assert.equal(run("regex('a', ${p})", { p: "(" }), false); // a bad computed pattern does not match
    assert.equal(run("regex('aaaa', ${p})", { p: "(a+)+$" }), false); // nor a dangerous one
  });

  test("if evaluates only the branch it takes", () => {
    assert.equal(run("if(${a} > 1, 'big', 'small')", { a: "3" }), "big");
    assert.equal(run("if(${a} > 1, 'big', 'small')", {}), "small");
  });

  test("today and now from the given moment (UTC)", () => {
    assert.equal(run("today()"), "2026-03-04");
    assert.equal(run("now()"), "2026-03-04T10:20:30.000Z");
  });

  test("text functions", () => {
    assert.equal(run("concat('a', 1, true())"), "a1true");
    assert.equal(run("contains('procurement', 'cure')"), true);
    assert.equal(run("starts-with('procurement', 'pro')"), true);
    assert.equal(run("ends-with('procurement', 'pro')"), false);
    assert.equal(run("substr('procurement', 3)"), "curement");
    assert.equal(run("substr('procurement', 0, 3)"), "pro");
    assert.equal(run("substr('abc', 5)"), "");
    assert.equal(run("coalesce(${a}, ${b}, 'z')", { b: "B" }), "B");
  });

  test("ODK's extra text and date functions", () => {
    assert.equal(run("normalize-space('  a \n b  ')"), "a b");
    assert.equal(run("substring-before('a-b-c', '-')"), "a");
    assert.equal(run("substring-after('a-b-c', '-')"), "b-c");
    assert.equal(run("substring-after('abc', 'x')"), "");
    assert.equal(run("join(', ', 'a', ${b}, 'c')", { b: "B" }), "a, B, c");
    assert.equal(run("date('2026-01-31')"), "2026-01-31");
    assert.equal(run("date(0)"), "1970-01-01");
    assert.equal(run("date(365)"), "1971-01-01");
    assert.equal(run("date('soon')"), "");
    assert.equal(run("${d} < date('2000-01-01')", { d: "1999-12-31" }), true);
  });

  test("once keeps the value already there, else computes it", () => {
    assert.equal(run("once(today())", {}, { current: "" }), "2026-03-04");
    assert.equal(run("once(today())", {}, { current: "2025-01-01" }), "2025-01-01");
  });

  test("number functions", () => {
    assert.equal(run("int(-3.7)"), -3);
    assert.equal(run("round(2.5)"), 3);
    assert.equal(run("round(-2.5)"), -3);
    assert.equal(run("round(3.14159, 2)"), 3.14);
    assert.equal(run("floor(-1.5)"), -2);
    assert.equal(run("ceiling(1.2)"), 2);
    assert.equal(run("abs(-4)"), 4);
    assert.equal(run("pow(2, 10)"), 1024);
    assert.equal(run("min(3, ${a}, 2)", { a: "1" }), 1);
    assert.equal(run("max(3, 7, 2)"), 7);
    assert.ok(Number.isNaN(run("max(3, ${a})")));
  });
});

describe("errors, with positions", () => {
  const cases: [string, number, RegExp][] = [
    ["foo(1)", 0, /unknown function foo\(\)/],
    ["1 + bar()", 4, /unknown function bar\(\)/],
    ["${a} >", 6, /ends too early/],
    ["(1 + 2", 6, /expected '\)'/],
    ["1 2", 2, /unexpected number 2/],
    ["'abc", 0, /unterminated string/],
    ["${a", 0, /unterminated/],
    ["${} = 1", 0, /not a valid field name/],
    ["$a", 0, /\$\{name\}/],
    ["1 # 2", 2, /unexpected character '#'/],
    ["/data/a = 1", 0, /not supported/],
    ["../a", 0, /not supported/],
    ["not(1, 2)", 0, /not\(\) takes 1 argument, not 2/],
    ["selected(${a})", 0, /takes 2 arguments/],
    ["if(1, 2)", 0, /takes 3 arguments/],
    ["regex(., '(')", 9, /not a valid regular expression/],
    ["regex(., '(a+)+$')", 9, /exponential/],
    ["", 0, /empty/],
  ];
  for (const [text, position, message] of cases) {
    test(`${JSON.stringify(text)} → ${String(message)} at ${position}`, () => {
      const error = errorOf(text);
      assert.match(error.message, message);
      assert.equal(error.position, position);
    });
  }
});

describe("hostile input", () => {
  test("nesting deeper than 100 levels is refused, not a stack overflow", () => {
    const deep = "(".repeat(150) + "1" + ")".repeat(150);
    assert.match(errorOf(deep).message, /nested more than 100/);
    assert.match(errorOf("-".repeat(500) + "1").message, /nested more than 100/);
    assert.equal(run("(".repeat(90) + "1" + ")".repeat(90)), 1);
  });

  test("longer than 2,000 characters is refused", () => {
    assert.match(errorOf("1" + " + 1".repeat(600)).message, /longer than 2000/);
    assert.equal(run("1" + "+1".repeat(900)), 901); // a long flat chain is fine
  });

  test("a regex pattern over 500 characters is refused", () => {
    assert.match(errorOf(`regex(., '${"a".repeat(501)}')`).message, /longer than 500/);
  });

  test("nested repetition detection", () => {
    assert.equal(hasNestedRepetition("(a+)+"), true);
    assert.equal(hasNestedRepetition("(?:\\w*\\s)*x"), true);
    assert.equal(hasNestedRepetition("((ab)*c)+"), true);
    assert.equal(hasNestedRepetition("(a+){2,}"), true);
    assert.equal(hasNestedRepetition("(a+)?"), false);
    assert.equal(hasNestedRepetition("^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$"), false);
    assert.equal(hasNestedRepetition("(ab)+[(+)]*"), false);
    assert.equal(hasNestedRepetition("(\\d{3})+"), false);
    assert.equal(hasNestedRepetition("\\(a+\\)+"), false);
  });

  test("a slow regex that the static check lets through stops at the time limit and does not match", () => {
    for (const [pattern, text] of [
      ["^(a|a)*$", `${"a".repeat(40)}!`], // exponential: alternatives that overlap
      ["^\\d*\\d*\\d*\\d*$", `${"1".repeat(10_000)}x`], // polynomial: n^4
    ]) {
      const started = performance.now();
      assert.equal(run(`regex(., '${pattern}')`, {}, { current: text }), false, pattern);
      assert.ok(performance.now() - started < 1000, `${pattern} took ${Math.round(performance.now() - started)} ms`);
    }
    assert.equal(run("regex(., '^(a|a)*$')", {}, { current: "aaaa" }), true);
  });

  test("huge answers evaluate without trouble", () => {
    const big = "x".repeat(10_000);
    assert.equal(run("string-length(${t}) = 10000 and regex(${t}, '^x+$')", { t: big }), true);
  });
});
