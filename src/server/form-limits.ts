/**
 * Reads a request body within limits on its bytes and on its number of form
 * fields, both checked as the bytes arrive: a body is refused at the first
 * byte or field past its limit, before anything is parsed. Without the field
 * limit a body of 950k empty fields (2 MB) kept the event loop busy for
 * about 3 s in the form parser; the byte limit alone is not enough for
 * signed-in forms, which may carry a 10 MiB upload.
 *
 * Hand-written because Hono's bodyLimit counts bytes only, and trusts a
 * Content-Length header without counting (fine for bytes: Node's HTTP parser
 * holds the body to it); no library counts fields before parsing.
 *
 * Fields are counted by their separators: "&" in a urlencoded body, the
 * boundary line in a multipart one. A body of another type has no fields.
 *
 * @example
 *   const read = await readLimitedBody(c.req.raw, { maxBytes: 16 * 1024, maxFields: 200 });
 *   if ("refused" in read) throw new HTTPException(413);
 *   c.req.raw = read.request; // the same request, its body now in memory
 */

import { MIMEType } from "node:util";

export interface BodyLimits {
  maxBytes: number;
  maxFields: number;
}

/**
 * "form": a form body whose fields cannot be counted the way the parser will
 * read them (its Content-Type is ambiguous, or its multipart delimiter is not
 * where the parser would look): refused rather than let through uncounted.
 */
export type LimitedBody = { request: Request } | { refused: "bytes" | "fields" | "form" };

const FORM_TYPES = new Set(["application/x-www-form-urlencoded", "multipart/form-data"]);
/** RFC 2046 caps a boundary at 70 characters; browsers send about 40. */
const MAX_BOUNDARY_LENGTH = 70;
/**
 * Bytes a multipart body may hold before its first delimiter (RFC 2046's
 * preamble, which undici skips). Browsers send none; past this, a body whose
 * delimiter has not appeared is refused, so one whose delimiter differs from
 * the parser's cannot slip through with no field counted.
 */
const MAX_PREAMBLE_BYTES = 1024;

/**
 * How the form parser will read a Content-Type: which kind of form, and the
 * multipart boundary; or "ambiguous" where two readings could differ.
 *
 * Hono calls the form parser when the text before the first ";" names a
 * form type; the parser (undici's Request.formData) then applies the Fetch
 * rules: the header is split on commas outside quotes and the LAST media
 * type wins, which is parsed with WHATWG MIME rules (the FIRST of repeated
 * parameters wins, quoted values unescaped). node:util's MIMEType implements
 * those same WHATWG rules, so it gives the boundary undici will use. A
 * comma outside quotes or a second "boundary" parameter is refused instead
 * of guessed at: other parsers (a proxy, a later Hono) may pick the other.
 * (`x="boundary=zz"; boundary=BB` made the old first-substring regex count
 * "--zz" while undici parsed 211k fields on "--BB": review M3.)
 */
export function formType(contentType: string): { kind: "none" } | { kind: "urlencoded" } | { kind: "multipart"; boundary: string } | { kind: "ambiguous" } {
  const honoType = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  const hasForm = FORM_TYPES.has(honoType) || /(?:application\/x-www-form-urlencoded|multipart\/form-data)/i.test(contentType);
  if (!hasForm) return { kind: "none" };
  if (hasUnquotedComma(contentType)) return { kind: "ambiguous" };
  let parsed: MIMEType;
  try {
    parsed = new MIMEType(contentType);
  } catch {
    return FORM_TYPES.has(honoType) ? { kind: "ambiguous" } : { kind: "none" };
  }
  const essence = parsed.essence;
  // Hono and undici must agree that this is a form, and which kind.
  if (essence !== honoType) return FORM_TYPES.has(essence) || FORM_TYPES.has(honoType) ? { kind: "ambiguous" } : { kind: "none" };
  if (essence === "application/x-www-form-urlencoded") return { kind: "urlencoded" };
  if (essence !== "multipart/form-data") return { kind: "none" };
  const boundary = parsed.params.get("boundary");
  if (boundaryParameterCount(contentType) !== 1 || !boundary || boundary.length > MAX_BOUNDARY_LENGTH) return { kind: "ambiguous" };
  return { kind: "multipart", boundary };
}

/**
 * A comma outside double quotes, found the way Fetch's "get, decode, and
 * split" finds one: a quote opens a quoted string anywhere, and a backslash
 * in it escapes the next character.
 */
function hasUnquotedComma(value: string): boolean {
  for (let at = 0; at < value.length; at++) {
    const char = value[at];
    if (char === ",") return true;
    if (char !== '"') continue;
    for (at++; at < value.length && value[at] !== '"'; at++) if (value[at] === "\\") at++;
  }
  return false;
}

/**
 * How many parameters are named "boundary", split the way WHATWG MIME
 * parsing splits them (";" ends a parameter unless inside a quoted value).
 * Names are compared trimmed and case-folded, so "boundary =x", which the
 * WHATWG parser skips as invalid but another parser may not, counts too.
 */
function boundaryParameterCount(contentType: string): number {
  let count = 0;
  let at = contentType.indexOf(";");
  while (at !== -1 && at < contentType.length) {
    at++; // past the ";"
    let end = at;
    while (end < contentType.length && contentType[end] !== ";" && contentType[end] !== "=") end++;
    if (contentType.slice(at, end).trim().toLowerCase() === "boundary") count++;
    at = end;
    if (contentType[at] !== "=") continue;
    at++;
    if (contentType[at] === '"') for (at++; at < contentType.length && contentType[at] !== '"'; at++) if (contentType[at] === "\\") at++;
    at = contentType.indexOf(";", at);
  }
  return count;
}

/**
 * Counts field separators across chunks (a multipart boundary may be split
 * between two). `undelimited` is true while a multipart body that has data
 * has shown no delimiter past its preamble allowance, or at its end.
 */
interface FieldCounter {
  add(chunk: Uint8Array): number;
  undelimited(ended: boolean): boolean;
}

function fieldCounter(type: ReturnType<typeof formType>): FieldCounter {
  let count = 0;
  if (type.kind === "urlencoded") {
    count = 1;
    return {
      add(chunk) {
        for (const byte of chunk) if (byte === 0x26) count++;
        return count;
      },
      undelimited: () => false,
    };
  }
  if (type.kind !== "multipart") return { add: () => 0, undelimited: () => false };
  const delimiter = Buffer.from(`--${type.boundary}`);
  let tail = Buffer.alloc(0);
  let seen = 0;
  return {
    add(chunk) {
      const window = Buffer.concat([tail, chunk]);
      for (let at = window.indexOf(delimiter); at !== -1; at = window.indexOf(delimiter, at + delimiter.length)) count++;
      seen += chunk.length;
      // Keep what could be the start of a delimiter cut off at the chunk's end, but never a whole one (counted already).
      tail = window.subarray(Math.max(0, window.length - (delimiter.length - 1)));
      // The closing delimiter ends the last part without starting one.
      return count - 1;
    },
    undelimited: (ended) => count === 0 && seen > 0 && (ended || seen > MAX_PREAMBLE_BYTES + delimiter.length),
  };
}

/**
 * The request's body, read into memory if it is within `limits`, as a
 * request that can be read again; or which limit it broke. A declared
 * Content-Length past the byte limit is refused without reading, and so is
 * a form whose Content-Type could be read two ways.
 */
export async function readLimitedBody(request: Request, limits: BodyLimits): Promise<LimitedBody> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limits.maxBytes) return { refused: "bytes" };
  if (!request.body) return { request };
  const type = formType(request.headers.get("content-type") ?? "");
  if (type.kind === "ambiguous") return { refused: "form" };
  const counter = fieldCounter(type);
  const reader: ReadableStreamDefaultReader<Uint8Array> = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    const refused = size > limits.maxBytes ? "bytes" : counter.add(value) > limits.maxFields ? "fields" : counter.undelimited(false) ? "form" : undefined;
    if (refused) {
      await reader.cancel().catch(() => undefined);
      return { refused };
    }
    chunks.push(value);
  }
  if (counter.undelimited(true)) return { refused: "form" };
  return { request: new Request(request, { body: Buffer.concat(chunks) }) };
}
