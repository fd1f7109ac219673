/**
 * A bounded similarity of two web pages for the IPv4/IPv6 same-content test.
 * internet.nl uses difflib's ratio (quadratic in the worst case); this is
 * the same 2·matches/total ratio over word and punctuation tokens counted as
 * multisets (order ignored), linear in the page size, with the tokens of
 * each page capped. Pages that differ only in a nonce or a timestamp stay
 * near 1; a different page or an error page falls far below 0.9. As
 * internet.nl, it first drops what differs on every load by design: nonce
 * attributes and ASP.NET's __VIEWSTATE field.
 */
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";

export const MAX_TOKENS = 200_000;
/** Decoded bytes at most (a small compressed body can inflate enormously). */
const MAX_DECODED = 4 * 1024 * 1024;

export function tokens(text: string): string[] {
  const found: string[] = [];
  const pattern = /[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu;
  for (let match = pattern.exec(text); match !== null && found.length < MAX_TOKENS; match = pattern.exec(text)) found.push(match[0]);
  return found;
}

/** The page without per-load noise: nonce="..." attributes and __VIEWSTATE inputs. */
export function withoutNoise(html: string): string {
  return html
    .replace(/\snonce\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, "")
    .replace(/<input\b[^>]*\bname\s*=\s*["']?__VIEWSTATE["']?[^>]*>/gi, "");
}

/** 2·|A∩B| / (|A|+|B|) over token multisets; 1 for two empty pages. */
export function similarity(a: string, b: string): number {
  const left = tokens(withoutNoise(a));
  const right = tokens(withoutNoise(b));
  if (left.length + right.length === 0) return 1;
  const counts = new Map<string, number>();
  for (const token of left) counts.set(token, (counts.get(token) ?? 0) + 1);
  let matches = 0;
  for (const token of right) {
    const count = counts.get(token) ?? 0;
    if (count > 0) {
      matches++;
      counts.set(token, count - 1);
    }
  }
  return (2 * matches) / (left.length + right.length);
}

/** The body as text, decoded from gzip, deflate or br when the server compressed it anyway (bounded). */
export function bodyText(body: Buffer, contentEncoding: string | undefined): string {
  const coding = (contentEncoding ?? "").trim().toLowerCase();
  try {
    if (coding === "gzip" || coding === "x-gzip") return gunzipSync(body, { maxOutputLength: MAX_DECODED }).toString("utf8");
    if (coding === "deflate") return inflateSync(body, { maxOutputLength: MAX_DECODED }).toString("utf8");
    if (coding === "br") return brotliDecompressSync(body, { maxOutputLength: MAX_DECODED }).toString("utf8");
  } catch {
    // Truncated or too large to decode: compare the bytes as they came.
  }
  return body.toString("utf8");
}
