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

/**
 * Offset of the first character that makes `text` invalid JSON (text.length
 * when the input ends too early). Iterative, with the open arrays and
 * objects on a stack of its own: a recursive checker had to stop at some
 * depth and then reported the error there, at the wrong column, for any
 * document nested deeper (finding 17 of issue 15).
 */
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
  /** "}" or "]" for each open object or array. */
  const open: string[] = [];
  /** Reads a member's key and colon when inside an object. */
  const key = (): void => {
    skipSpace();
    string();
    skipSpace();
    if (text[at] !== ":") fail();
    at++;
  };
  try {
    for (;;) {
      // A value starts here.
      skipSpace();
      const character = text[at];
      if (character === "{" || character === "[") {
        at++;
        skipSpace();
        const close = character === "{" ? "}" : "]";
        if (text[at] === close) {
          at++;
        } else {
          open.push(close);
          if (close === "}") key();
          continue;
        }
      } else if (character === '"') string();
      else expect(/true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y);
      // After a value: a comma continues the innermost container, its closing bracket ends it.
      for (;;) {
        const close = open.at(-1);
        if (close === undefined) {
          skipSpace();
          return at < text.length ? at : text.length;
        }
        skipSpace();
        if (text[at] === ",") {
          at++;
          if (close === "}") key();
          break;
        }
        if (text[at] !== close) fail();
        at++;
        open.pop();
      }
    }
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
