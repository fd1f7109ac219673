/**
 * Route origin validation data given on the command line: validated ROA
 * payloads (`--rpki-vrps`, rpki-client or Routinator JSON) and the origin AS
 * of announced prefixes (`--bgp-origins`). Without both, the RPKI checks are
 * not_tested.
 *
 * `--rpki-vrps FILE`: the JSON both rpki-client (`-j`, `rpki-client.json`)
 * and Routinator (`vrps --format json` / `jsonext`) write:
 *   {"metadata": {...}, "roas": [{"prefix": "192.0.2.0/24", "maxLength": 24, "asn": 64496, "ta": "ripe"}]}
 * `asn` is a number (rpki-client) or "AS64496" (Routinator); other members
 * (metadata, expires, source, aspas, routerKeys, ...) are ignored.
 *
 * `--bgp-origins FILE`, either
 *   - text, one route a line: `PREFIX ASN` ("192.0.2.0/24 64496" or
 *     "192.0.2.0/24 AS64496"), separated by spaces or tabs; blank lines and
 *     lines starting with "#" or "%" are skipped. The order `ASN PREFIX
 *     [PEERS]` of RIPE's RISwhois dumps (riswhoisdump.IPv4/IPv6) is read too:
 *     the field with "/" is the prefix. An origin that is an AS_SET
 *     ("{64496,64497}") is left out: RFC 6811 cannot match it to any ROA.
 *   - or JSON, an array: [{"prefix": "192.0.2.0/24", "asn": 64496}, ...]
 *     (asn a number or "AS64496").
 *
 * Every problem is a CheckInputError naming the file, the line (or entry)
 * and what is wrong; files over 256 MiB or with more than 5,000,000 entries
 * are refused.
 */
import { readFileSync, statSync } from "node:fs";
import { canonicalPrefixText, parsePrefix } from "./rpki/prefix.ts";
import { CheckInputError } from "./errors.ts";

/** One validated ROA payload (RFC 6811 §2). */
export interface Vrp {
  prefix: string;
  maxLength: number;
  asn: number;
  /** Trust anchor, when the file names it (evidence only). */
  ta?: string;
}

/** One announced prefix and the AS that originates it. */
export interface BgpOrigin {
  prefix: string;
  asn: number;
}

export interface RoutingData {
  vrps: Vrp[];
  origins: BgpOrigin[];
  /** Where they came from, for evidence. */
  sources: { vrps: string; origins: string };
}

export const MAX_ROUTING_FILE_BYTES = 256 * 1024 * 1024;
export const MAX_ROUTING_ENTRIES = 5_000_000;
const MAX_ASN = 0xffff_ffff;

/** The VRPs of an rpki-client or Routinator JSON export. */
export function loadVrps(path: string): Vrp[] {
  const document = parseJson(path, readBounded(path));
  const roas = typeof document === "object" && document !== null && !Array.isArray(document) ? (document as Record<string, unknown>).roas : undefined;
  if (!Array.isArray(roas)) throw new CheckInputError(`${path}: not a VRP export: expected a JSON object with a "roas" array (rpki-client -j or Routinator --format json)`);
  if (roas.length > MAX_ROUTING_ENTRIES) throw new CheckInputError(`${path}: ${roas.length} ROAs, more than ${MAX_ROUTING_ENTRIES}`);
  const vrps: Vrp[] = new Array<Vrp>(roas.length);
  for (let index = 0; index < roas.length; index++) {
    const where = `${path}: roas[${index}]`;
    const entry: unknown = roas[index];
    if (typeof entry !== "object" || entry === null) throw new CheckInputError(`${where}: not an object`);
    const { prefix, maxLength, asn, ta } = entry as Record<string, unknown>;
    if (typeof prefix !== "string") throw new CheckInputError(`${where}: "prefix" is missing or not a string`);
    const parsed = parsePrefix(prefix);
    if (typeof parsed === "string") throw new CheckInputError(`${where}: ${parsed}`);
    const max = parsed.family === 4 ? 32 : 128;
    if (typeof maxLength !== "number" || !Number.isInteger(maxLength) || maxLength < parsed.length || maxLength > max) {
      throw new CheckInputError(`${where}: "maxLength" ${JSON.stringify(maxLength)} must be a whole number from ${parsed.length} to ${max} for ${prefix}`);
    }
    const vrp: Vrp = { prefix: canonicalPrefixText(prefix, parsed), maxLength, asn: parseAsn(asn, where) };
    if (typeof ta === "string") vrp.ta = ta.slice(0, 64);
    vrps[index] = vrp;
  }
  return vrps;
}

/** The announced routes of a `PREFIX ASN` text file or a JSON array (see the module comment). */
export function loadBgpOrigins(path: string): BgpOrigin[] {
  const text = readBounded(path);
  return text.trimStart().startsWith("[") ? originsFromJson(path, text) : originsFromText(path, text);
}

function originsFromJson(path: string, text: string): BgpOrigin[] {
  const document = parseJson(path, text);
  if (!Array.isArray(document)) throw new CheckInputError(`${path}: expected a JSON array of {"prefix", "asn"}`);
  if (document.length > MAX_ROUTING_ENTRIES) throw new CheckInputError(`${path}: ${document.length} routes, more than ${MAX_ROUTING_ENTRIES}`);
  return document.map((entry: unknown, index) => {
    const where = `${path}: entry ${index}`;
    if (typeof entry !== "object" || entry === null) throw new CheckInputError(`${where}: not an object`);
    const { prefix, asn } = entry as Record<string, unknown>;
    if (typeof prefix !== "string") throw new CheckInputError(`${where}: "prefix" is missing or not a string`);
    const parsed = parsePrefix(prefix);
    if (typeof parsed === "string") throw new CheckInputError(`${where}: ${parsed}`);
    return { prefix: canonicalPrefixText(prefix, parsed), asn: parseAsn(asn, where) };
  });
}

function originsFromText(path: string, text: string): BgpOrigin[] {
  const origins: BgpOrigin[] = [];
  let lineNumber = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    lineNumber++;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === "" || line.startsWith("#") || line.startsWith("%")) continue;
    const where = `${path}: line ${lineNumber}`;
    const fields = line.split(/\s+/);
    const prefixIndex = fields.findIndex((field) => field.includes("/"));
    if (prefixIndex < 0 || fields.length < 2) throw new CheckInputError(`${where}: expected "PREFIX ASN", got "${clip(line)}"`);
    const asnField = prefixIndex === 0 ? fields[1] : fields[0];
    if (prefixIndex > 1 || fields.length > 3 || (prefixIndex === 0 && fields.length > 2)) throw new CheckInputError(`${where}: expected "PREFIX ASN", got "${clip(line)}"`);
    if (asnField?.startsWith("{")) continue;
    const parsed = parsePrefix(fields[prefixIndex] ?? "");
    if (typeof parsed === "string") throw new CheckInputError(`${where}: ${parsed}`);
    const prefixText = fields[prefixIndex] ?? "";
    origins.push({ prefix: canonicalPrefixText(prefixText, parsed), asn: parseAsn(asnField, where) });
    if (origins.length > MAX_ROUTING_ENTRIES) throw new CheckInputError(`${path}: more than ${MAX_ROUTING_ENTRIES} routes`);
  }
  return origins;
}

/** 64496, "64496" or "AS64496" (any case); 0 to 4294967295 (RFC 6793). */
function parseAsn(value: unknown, where: string): number {
  const text = typeof value === "number" ? String(value) : typeof value === "string" ? value.replace(/^as/i, "") : "";
  const asn = Number(text);
  if (!/^\d{1,10}$/.test(text) || asn > MAX_ASN) throw new CheckInputError(`${where}: AS number ${value === undefined ? "missing" : clip(JSON.stringify(value))} is not 0-${MAX_ASN} (64496 or "AS64496")`);
  return asn;
}

function readBounded(path: string): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (error) {
    throw new CheckInputError(`${path}: cannot read it (${error instanceof Error && "code" in error ? String(error.code) : String(error)})`);
  }
  if (size > MAX_ROUTING_FILE_BYTES) throw new CheckInputError(`${path}: ${size} bytes, more than ${MAX_ROUTING_FILE_BYTES} (256 MiB)`);
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new CheckInputError(`${path}: cannot read it (${error instanceof Error && "code" in error ? String(error.code) : String(error)})`);
  }
}

function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    // V8's message names the position (and line and column): keep it, on one line.
    throw new CheckInputError(`${path}: not valid JSON (${(error instanceof Error ? error.message : String(error)).split("\n")[0] ?? ""})`);
  }
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}
