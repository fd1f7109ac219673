/**
 * Where JSON breaks, as a line and column a person can go to. V8's
 * JSON.parse names the position for some errors ("... at position 18 (line 3
 * column 7)") but not for others ("Unexpected token ']', ... is not valid
 * JSON", "Unexpected end of JSON input"), so a failed parse is scanned again
 * with a small JSON syntax checker (RFC 8259) that stops at the first byte
 * that cannot continue a valid document.
 */

export interface JsonErrorLocation {
  line: number;
  column: number;
  /** V8's description, without the copy of the input some messages quote. */
  reason: string;
}

/** Deeper nesting than this is reported as an error rather than risking the call stack. */
const MAX_DEPTH = 512;

export function locateJsonError(text: string, error: unknown): JsonErrorLocation {
  const message = error instanceof Error ? error.message : String(error);
  const reason = message
    .replace(/, (?:\.\.\.)?"[\s\S]*" is not valid JSON$/, "")
    .replace(/ in JSON at position \d+(?: \(line \d+ column \d+\))?$/, "")
    .replace(/\s+/g, " ")
    .trim();
  const reported = /at position (\d+)/.exec(message)?.[1];
  const offset = reported !== undefined ? Number(reported) : firstErrorOffset(text);
  return { ...lineAndColumn(text, offset), reason };
}

/** 1-based line and column of a UTF-16 offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let index = text.indexOf("\n"); index !== -1 && index < offset; index = text.indexOf("\n", index + 1)) {
    line++;
    lineStart = index + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** Offset of the first character that makes `text` invalid JSON (text.length when the input ends too early). */
export function firstErrorOffset(text: string): number {
  let at = 0;
  const fail = (): never => {
    throw new SyntaxAt(at);
  };
  const skipSpace = (): void => {
    while (at < text.length && (text[at] === " " || text[at] === "\t" || text[at] === "\n" || text[at] === "\r")) at++;
  };
  const expect = (pattern: RegExp): void => {
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (!match) fail();
    at = pattern.lastIndex;
  };
  const string = (): void => {
    if (text[at] !== '"') fail();
    at++;
    for (;;) {
      if (at >= text.length) fail();
      const character = text.charCodeAt(at);
      if (character === 0x22) {
        at++;
        return;
      }
      if (character < 0x20) fail();
      if (character === 0x5c) {
        at++;
        expect(/["\\/bfnrt]|u[0-9a-fA-F]{4}/y);
      } else at++;
    }
  };
  const value = (depth: number): void => {
    if (depth > MAX_DEPTH) fail();
    skipSpace();
    const character = text[at];
    if (character === "{") {
      at++;
      skipSpace();
      if (text[at] === "}") {
        at++;
        return;
      }
      for (;;) {
        skipSpace();
        string();
        skipSpace();
        if (text[at] !== ":") fail();
        at++;
        value(depth + 1);
        skipSpace();
        if (text[at] === ",") at++;
        else if (text[at] === "}") {
          at++;
          return;
        } else fail();
      }
    }
    if (character === "[") {
      at++;
      skipSpace();
      if (text[at] === "]") {
        at++;
        return;
      }
      for (;;) {
        value(depth + 1);
        skipSpace();
        if (text[at] === ",") at++;
        else if (text[at] === "]") {
          at++;
          return;
        } else fail();
      }
    }
    if (character === '"') string();
    else expect(/true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y);
  };
  try {
    value(0);
    skipSpace();
    return at < text.length ? at : text.length;
  } catch (error) {
    if (error instanceof SyntaxAt) return Math.min(error.offset, text.length);
    throw error;
  }
}

class SyntaxAt extends Error {
  readonly offset: number;
  constructor(offset: number) {
    super(`invalid JSON at offset ${offset}`);
    this.offset = offset;
  }
}
