/**
 * The XLSForm expression language (the XPath 1.0 subset ODK forms use in
 * relevant, constraint, calculation and choice_filter): a tokeniser and a
 * precedence-climbing parser of our own, and an evaluator over answers.
 * Nothing is ever handed to eval or Function: a form is written by
 * whoever uploads it, and its expressions run on the server for every
 * respondent's page.
 *
 * Grammar: `${name}`, `.` (the value being checked, in a constraint),
 * bare names (a choice's name or extra column, in a choice_filter),
 * numbers, '...' and "..." strings, parentheses, unary minus,
 * `* div mod`, `+ -`, `< <= > >=`, `= !=`, `and`, `or` (binding in that
 * order, tightest first, as XPath 1.0), and calls of the functions in
 * expression-functions.ts. As in XPath, `and or div mod` are operators
 * only where an operator can stand, and a name may contain `-` and `.`.
 *
 * Limits, so that a hostile form cannot exhaust the server: an expression
 * is at most 2,000 characters and nests at most 100 levels (parentheses,
 * calls and unary minus together). Errors carry the 0-based character
 * position where the problem is, for the reader's message.
 */
import type { Answers, Choice } from "./form.ts";
import { callFunction, functionArity, regexProblem } from "./expression-functions.ts";
import { compare, equals, toBoolean, toNumber, type RelationalOperator, type Value } from "./expression-values.ts";

export { toBoolean, toNumber, toText, type Value } from "./expression-values.ts";

export const MAX_EXPRESSION_LENGTH = 2000;
export const MAX_EXPRESSION_DEPTH = 100;

export class ExpressionError extends Error {
  /** The 0-based character offset in the expression where the problem is. */
  readonly position: number;

  constructor(message: string, position: number) {
    super(message);
    this.name = "ExpressionError";
    this.position = position;
  }
}

type BinaryOperator = "or" | "and" | "=" | "!=" | RelationalOperator | "+" | "-" | "*" | "div" | "mod";

/** A parsed expression. Its shape is this module's business; use evaluate() and referencedNames(). */
export type Expression =
  | { readonly kind: "number"; readonly value: number; readonly position: number }
  | { readonly kind: "string"; readonly value: string; readonly position: number }
  | { readonly kind: "ref"; readonly name: string; readonly position: number }
  | { readonly kind: "current"; readonly position: number }
  | { readonly kind: "bare"; readonly name: string; readonly position: number }
  | { readonly kind: "negate"; readonly operand: Expression; readonly position: number }
  | { readonly kind: "binary"; readonly operator: BinaryOperator; readonly left: Expression; readonly right: Expression; readonly position: number }
  | { readonly kind: "call"; readonly name: string; readonly args: readonly Expression[]; readonly position: number };

export interface EvaluationContext {
  readonly answers: Answers;
  readonly now: Date;
  /** The value `.` stands for: the answer a constraint checks, a calculation's present value (for once()). */
  readonly current?: string;
  /** The choice a choice_filter is deciding about: bare names are its name or extra columns. */
  readonly choice?: Choice;
}

// ---------------------------------------------------------------- tokens

type Token =
  | { kind: "number"; value: number; position: number }
  | { kind: "string"; value: string; position: number }
  | { kind: "ref"; name: string; position: number }
  | { kind: "name"; name: string; position: number }
  | { kind: "punct"; text: string; position: number }
  | { kind: "end"; position: number };

/** An XML name as XLSForm allows for fields, optionally with a prefix (`jr:...`). */
const NAME = /[\p{L}_][\p{L}\p{N}_.-]*(?::[\p{L}_][\p{L}\p{N}_.-]*)?/uy;
const FIELD_NAME = /^[\p{L}_][\p{L}\p{N}_.-]*$/u;
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)/y;
const PUNCTUATION = ["!=", "<=", ">=", "(", ")", ",", "+", "-", "*", "=", "<", ">"];

function tokenise(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text.charAt(index);
    if (/\s/.test(char)) {
      index++;
      continue;
    }
    const start = index;
    if (char === "$") {
      if (text[index + 1] !== "{") throw new ExpressionError("'$' must start a ${name} reference", start);
      const close = text.indexOf("}", index + 2);
      if (close < 0) throw new ExpressionError("unterminated ${...} reference", start);
      const name = text.slice(index + 2, close).trim();
      if (!FIELD_NAME.test(name)) throw new ExpressionError(`\${${name}} is not a valid field name`, start);
      tokens.push({ kind: "ref", name, position: start });
      index = close + 1;
      continue;
    }
    if (char === "'" || char === '"') {
      const close = text.indexOf(char, index + 1);
      if (close < 0) throw new ExpressionError("unterminated string", start);
      tokens.push({ kind: "string", value: text.slice(index + 1, close), position: start });
      index = close + 1;
      continue;
    }
    NUMBER.lastIndex = index;
    const number = NUMBER.exec(text);
    if (number) {
      tokens.push({ kind: "number", value: Number(number[0]), position: start });
      index += number[0].length;
      continue;
    }
    if (char === ".") {
      if (text[index + 1] === ".") throw new ExpressionError("'..' (the parent) is not supported; use ${name}", start);
      tokens.push({ kind: "punct", text: ".", position: start });
      index++;
      continue;
    }
    NAME.lastIndex = index;
    const name = NAME.exec(text);
    if (name) {
      tokens.push({ kind: "name", name: name[0], position: start });
      index += name[0].length;
      continue;
    }
    const punctuation = PUNCTUATION.find((candidate) => text.startsWith(candidate, index));
    if (punctuation) {
      tokens.push({ kind: "punct", text: punctuation, position: start });
      index += punctuation.length;
      continue;
    }
    if (char === "/" || char === "|" || char === "[") {
      throw new ExpressionError(`'${char}' (XPath paths) is not supported; refer to fields as \${name}`, start);
    }
    throw new ExpressionError(`unexpected character '${char}'`, start);
  }
  tokens.push({ kind: "end", position: text.length });
  return tokens;
}

// ---------------------------------------------------------------- parser

/** How tightly each binary operator binds (XPath 1.0's order). */
const BINDING: ReadonlyMap<string, number> = new Map<BinaryOperator, number>([
  ["or", 1],
  ["and", 2],
  ["=", 3],
  ["!=", 3],
  ["<", 4],
  ["<=", 4],
  [">", 4],
  [">=", 4],
  ["+", 5],
  ["-", 5],
  ["*", 6],
  ["div", 6],
  ["mod", 6],
]);

const WORD_OPERATORS = new Set(["and", "or", "div", "mod"]);

class Parser {
  private index = 0;
  private depth = 0;
  private readonly tokens: readonly Token[];

  constructor(tokens: readonly Token[]) {
    this.tokens = tokens;
  }

  parse(): Expression {
    const expression = this.expression(0);
    const next = this.peek();
    if (next.kind !== "end") throw new ExpressionError(`unexpected ${describe(next)}`, next.position);
    return expression;
  }

  private peek(): Token {
    // The tokeniser always ends with an "end" token, so the last one is a safe fallback.
    return this.tokens[this.index] ?? (this.tokens[this.tokens.length - 1] as Token);
  }

  private next(): Token {
    const token = this.peek();
    if (this.index < this.tokens.length - 1) this.index++;
    return token;
  }

  /** The binary operator at this token, when one can stand here. */
  private infix(token: Token): BinaryOperator | null {
    if (token.kind === "punct" && BINDING.has(token.text)) return token.text as BinaryOperator;
    if (token.kind === "name" && WORD_OPERATORS.has(token.name)) return token.name as BinaryOperator;
    return null;
  }

  private expression(minimum: number): Expression {
    let left = this.unary();
    for (;;) {
      const token = this.peek();
      const operator = this.infix(token);
      if (operator === null) return left;
      const binding = BINDING.get(operator) ?? 0;
      if (binding <= minimum) return left;
      this.next();
      const right = this.expression(binding);
      left = { kind: "binary", operator, left, right, position: token.position };
    }
  }

  private unary(): Expression {
    if (++this.depth > MAX_EXPRESSION_DEPTH) {
      throw new ExpressionError(`expression nested more than ${MAX_EXPRESSION_DEPTH} levels deep`, this.peek().position);
    }
    try {
      const token = this.peek();
      if (token.kind === "punct" && token.text === "-") {
        this.next();
        return { kind: "negate", operand: this.unary(), position: token.position };
      }
      return this.primary();
    } finally {
      this.depth--;
    }
  }

  private primary(): Expression {
    const token = this.next();
    switch (token.kind) {
      case "number":
        return { kind: "number", value: token.value, position: token.position };
      case "string":
        return { kind: "string", value: token.value, position: token.position };
      case "ref":
        return { kind: "ref", name: token.name, position: token.position };
      case "name": {
        const after = this.peek();
        if (after.kind === "punct" && after.text === "(") return this.call(token.name, token.position);
        return { kind: "bare", name: token.name, position: token.position };
      }
      case "punct":
        if (token.text === ".") return { kind: "current", position: token.position };
        if (token.text === "(") {
          const inner = this.expression(0);
          this.expect(")", token.position);
          return inner;
        }
        throw new ExpressionError(`unexpected ${describe(token)}`, token.position);
      case "end":
        throw new ExpressionError("expression ends too early", token.position);
    }
  }

  private call(name: string, position: number): Expression {
    const arity = functionArity(name);
    if (!arity) throw new ExpressionError(`unknown function ${name}()`, position);
    this.next(); // "("
    const args: Expression[] = [];
    const close = this.peek();
    if (!(close.kind === "punct" && close.text === ")")) {
      for (;;) {
        args.push(this.expression(0));
        const separator = this.peek();
        if (separator.kind === "punct" && separator.text === ",") {
          this.next();
          continue;
        }
        break;
      }
    }
    this.expect(")", position);
    if (args.length < arity.min || args.length > arity.max) {
      const wanted = arity.min === arity.max ? `${arity.min}` : arity.max === Infinity ? `at least ${arity.min}` : `${arity.min} to ${arity.max}`;
      throw new ExpressionError(`${name}() takes ${wanted} argument${wanted === "1" ? "" : "s"}, not ${args.length}`, position);
    }
    if (name === "regex") {
      const pattern = args[1];
      if (pattern?.kind === "string") {
        const problem = regexProblem(pattern.value);
        if (problem) throw new ExpressionError(problem, pattern.position);
      }
    }
    return { kind: "call", name, args, position };
  }

  private expect(text: string, openedAt: number): void {
    const token = this.peek();
    if (token.kind === "punct" && token.text === text) {
      this.next();
      return;
    }
    throw new ExpressionError(`expected '${text}' (for the one opened at character ${openedAt + 1}) but found ${describe(token)}`, token.position);
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case "number":
      return `number ${token.value}`;
    case "string":
      return "a string";
    case "ref":
      return `\${${token.name}}`;
    case "name":
      return `'${token.name}'`;
    case "punct":
      return `'${token.text}'`;
    case "end":
      return "the end of the expression";
  }
}

/** Parses an expression; throws ExpressionError (with the position) when it is not one we can run. */
export function parseExpression(text: string): Expression {
  if (text.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(`expression longer than ${MAX_EXPRESSION_LENGTH} characters`, MAX_EXPRESSION_LENGTH);
  }
  if (text.trim() === "") throw new ExpressionError("empty expression", 0);
  return new Parser(tokenise(text)).parse();
}

/**
 * Whether a `default` cell is a call of one of our functions (`today()`,
 * `now()`), which pyxform takes for a value computed when the form opens
 * (a dynamic default) rather than for the literal text: ODK forms use
 * `today()` as the default of an interview's date.
 */
export function isComputedDefault(text: string): boolean {
  const match = /^([\p{L}_][\p{L}\p{N}_.:-]*)\(.*\)$/su.exec(text.trim());
  return match !== null && functionArity(match[1] ?? "") !== null;
}

/** The `${name}`s an expression uses, each once, in order of appearance. */
export function referencedNames(expression: Expression): string[] {
  return namesOf(expression, "ref");
}

/**
 * The bare names (no `${}`) an expression uses, each once. Only a
 * choice_filter gives them a meaning (the choice's columns); anywhere else
 * they are always empty, so a reader may refuse them there (`${a} = yes`,
 * quotes forgotten, would otherwise be silently false).
 */
export function bareNames(expression: Expression): string[] {
  return namesOf(expression, "bare");
}

function namesOf(expression: Expression, kind: "ref" | "bare"): string[] {
  const names = new Set<string>();
  const visit = (node: Expression): void => {
    switch (node.kind) {
      case "ref":
      case "bare":
        if (node.kind === kind) names.add(node.name);
        return;
      case "negate":
        visit(node.operand);
        return;
      case "binary":
        visit(node.left);
        visit(node.right);
        return;
      case "call":
        node.args.forEach(visit);
        return;
      default:
        return;
    }
  };
  visit(expression);
  return [...names];
}

// ---------------------------------------------------------------- evaluation

export function evaluate(expression: Expression, context: EvaluationContext): Value {
  switch (expression.kind) {
    case "number":
    case "string":
      return expression.value;
    case "ref":
      return Object.hasOwn(context.answers, expression.name) ? (context.answers[expression.name] ?? "") : "";
    case "current":
      return context.current ?? "";
    case "bare":
      return bareName(expression.name, context.choice);
    case "negate":
      return -toNumber(evaluate(expression.operand, context));
    case "binary":
      return binary(expression.operator, expression.left, expression.right, context);
    case "call": {
      if (expression.name === "if") {
        const [condition, then, otherwise] = expression.args;
        if (!condition || !then || !otherwise) return "";
        return evaluate(toBoolean(evaluate(condition, context)) ? then : otherwise, context);
      }
      if (expression.name === "once") {
        // ODK's once(x): the value already there (a calculation's current one), else x.
        const current = context.current ?? "";
        const [argument] = expression.args;
        return current !== "" || !argument ? current : evaluate(argument, context);
      }
      const args = expression.args.map((argument) => evaluate(argument, context));
      return callFunction(expression.name, args, { now: context.now, current: context.current ?? "" });
    }
  }
}

function bareName(name: string, choice: Choice | undefined): string {
  if (!choice) return "";
  if (name === "name") return choice.name;
  return Object.hasOwn(choice.extra, name) ? (choice.extra[name] ?? "") : "";
}

function binary(operator: BinaryOperator, leftNode: Expression, rightNode: Expression, context: EvaluationContext): Value {
  // and/or decide on the left side alone when they can, as XPath says.
  if (operator === "or") return toBoolean(evaluate(leftNode, context)) || toBoolean(evaluate(rightNode, context));
  if (operator === "and") return toBoolean(evaluate(leftNode, context)) && toBoolean(evaluate(rightNode, context));
  const left = evaluate(leftNode, context);
  const right = evaluate(rightNode, context);
  switch (operator) {
    case "=":
      return equals(left, right);
    case "!=":
      return !equals(left, right);
    case "<":
    case "<=":
    case ">":
    case ">=":
      return compare(operator, left, right);
    case "+":
      return toNumber(left) + toNumber(right);
    case "-":
      return toNumber(left) - toNumber(right);
    case "*":
      return toNumber(left) * toNumber(right);
    case "div":
      return toNumber(left) / toNumber(right);
    case "mod":
      return toNumber(left) % toNumber(right);
  }
}
