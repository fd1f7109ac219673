/**
 * DNS messages on the wire (RFC 1035 §4) and the canonical forms that DNSSEC
 * signs (RFC 4034 §6). Everything the engine reads from the network passes
 * through `parseMessage`, so it is strict and bounded: it either returns a
 * `Message` or throws `MalformedMessageError`, in time linear in the packet.
 *
 * Who does what:
 * - dns-packet (through its public `encode`/`decode` of a one-record packet)
 *   carries the RDATA that holds no domain names: A, AAAA, TXT, CAA, TLSA, DS.
 * - The framing (header, sections, RDLENGTH), domain names and the RDATA that
 *   embeds names or that DNSSEC reasons about (NS ... SOA, MX, SRV, RRSIG,
 *   DNSKEY, NSEC, NSEC3, NSEC3PARAM, OPT) are read and written here, because
 *   dns-packet 5.6 cannot be trusted with them for a validator:
 *   - its name decoder turns each label into UTF-8 text and joins the labels
 *     with dots, so a label holding "." or non-UTF-8 octets (Cloudflare's
 *     "\000" NSEC next names, binary labels) comes back as a different name
 *     with a different label count; canonical ordering and signatures need
 *     the exact octets (RFC 4034 §6.1, §6.2; RFC 4343 §2.1). Its pointer check
 *     (strictly backwards) does stop loops, but a chain of pointers to
 *     pointers is walked without a hop limit; ours stops at MAX_POINTER_HOPS.
 *   - its record decoders do not stop at RDLENGTH (an A record with two
 *     octets of RDATA reads the next record), its type bitmap decoder
 *     accepts windows out of order, and it has no NSEC3PARAM.
 *
 * Names are presentation strings (types.ts): labels joined by ".", with a
 * trailing dot; "." and "\" inside a label are written "\." and "\\", octets
 * outside printable ASCII as "\DDD" (decimal, RFC 1035 §5.1). So every wire
 * name has exactly one spelling per case, and `canonicalName` makes the case
 * one too.
 */
import { randomInt } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";
import dnsPacket from "dns-packet";
import type { Message, Question, ResourceRecord } from "./types.ts";

/** Anything in a received packet that breaks the wire format. */
export class MalformedMessageError extends Error {
  override name = "MalformedMessageError";
}

/** A domain name in presentation form that cannot be a DNS name (bad escape, label over 63 octets, name over 255). */
export class InvalidNameError extends Error {
  override name = "InvalidNameError";
}

// ---------------------------------------------------------------------------
// RDATA shapes (dns-packet's, with Uint8Array for octet fields)

export interface MxData { preference: number; exchange: string }
export interface SoaData { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
export interface SrvData { priority: number; weight: number; port: number; target: string }
export interface CaaData { flags: number; tag: string; value: string; issuerCritical: boolean }
export interface TlsaData { usage: number; selector: number; matchingType: number; certificate: Uint8Array }
export interface DsData { keyTag: number; algorithm: number; digestType: number; digest: Uint8Array }
/** `protocol` is kept (dns-packet drops it): a key whose protocol is not 3 must not validate anything (RFC 4034 §2.1.2). */
export interface DnskeyData { flags: number; protocol: number; algorithm: number; key: Uint8Array }
export interface RrsigData {
  typeCovered: string;
  algorithm: number;
  labels: number;
  originalTTL: number;
  expiration: number;
  inception: number;
  keyTag: number;
  signersName: string;
  signature: Uint8Array;
}
export interface NsecData { nextDomain: string; rrtypes: string[] }
export interface Nsec3Data { algorithm: number; flags: number; iterations: number; salt: Uint8Array; nextDomain: Uint8Array; rrtypes: string[] }
export interface Nsec3ParamData { algorithm: number; flags: number; iterations: number; salt: Uint8Array }
export interface EdnsOption { code: number; data: Uint8Array }

// ---------------------------------------------------------------------------
// Limits (RFC 1035 §2.3.4, §4.1.4)

const HEADER_OCTETS = 12;
const MAX_LABEL_OCTETS = 63;
const MAX_NAME_OCTETS = 255;
/** A name has at most 127 labels, so an honest encoder never needs more pointers than that. */
const MAX_POINTER_HOPS = 127;
const MAX_MESSAGE_OCTETS = 65535;
/** The smallest question (root name, type, class) and the smallest RR (root name, type, class, TTL, RDLENGTH). */
const MIN_QUESTION_OCTETS = 5;
const MIN_RECORD_OCTETS = 11;
/** RFC 8914 / DNS flag day 2020: a payload size that avoids IP fragmentation. */
const DEFAULT_UDP_PAYLOAD = 1232;

// ---------------------------------------------------------------------------
// Type, class, opcode and rcode mnemonics (IANA "Domain Name System (DNS) Parameters")

const TYPE_CODES: Readonly<Record<string, number>> = {
  A: 1, NS: 2, MD: 3, MF: 4, CNAME: 5, SOA: 6, MB: 7, MG: 8, MR: 9, NULL: 10, WKS: 11, PTR: 12, HINFO: 13, MINFO: 14,
  MX: 15, TXT: 16, RP: 17, AFSDB: 18, X25: 19, ISDN: 20, RT: 21, NSAP: 22, "NSAP-PTR": 23, SIG: 24, KEY: 25, PX: 26,
  GPOS: 27, AAAA: 28, LOC: 29, NXT: 30, SRV: 33, NAPTR: 35, KX: 36, CERT: 37, A6: 38, DNAME: 39, OPT: 41, APL: 42,
  DS: 43, SSHFP: 44, IPSECKEY: 45, RRSIG: 46, NSEC: 47, DNSKEY: 48, DHCID: 49, NSEC3: 50, NSEC3PARAM: 51, TLSA: 52,
  SMIMEA: 53, HIP: 55, CDS: 59, CDNSKEY: 60, OPENPGPKEY: 61, CSYNC: 62, ZONEMD: 63, SVCB: 64, HTTPS: 65, SPF: 99,
  TKEY: 249, TSIG: 250, IXFR: 251, AXFR: 252, ANY: 255, URI: 256, CAA: 257, DLV: 32769,
};
const TYPE_NAMES = new Map(Object.entries(TYPE_CODES).map(([name, code]) => [code, name]));

const CLASS_CODES: Readonly<Record<string, number>> = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 };
const CLASS_NAMES = new Map(Object.entries(CLASS_CODES).map(([name, code]) => [code, name]));

const OPCODE_CODES: Readonly<Record<string, number>> = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5, DSO: 6 };
const OPCODE_NAMES = new Map(Object.entries(OPCODE_CODES).map(([name, code]) => [code, name]));

const RCODE_CODES: Readonly<Record<string, number>> = {
  NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, YXDOMAIN: 6, YXRRSET: 7, NXRRSET: 8,
  NOTAUTH: 9, NOTZONE: 10, DSOTYPENI: 11, BADVERS: 16, BADKEY: 17, BADTIME: 18, BADMODE: 19, BADNAME: 20, BADALG: 21,
  BADTRUNC: 22, BADCOOKIE: 23,
};
const RCODE_NAMES = new Map(Object.entries(RCODE_CODES).map(([name, code]) => [code, name]));

/** "A" → 1, "TYPE65534" → 65534 (RFC 3597 §5). Throws TypeError for an unknown mnemonic. */
export function typeCode(type: string): number {
  return mnemonicCode(type, TYPE_CODES, "TYPE", "record type");
}

/** 1 → "A", 65534 → "TYPE65534". */
export function typeName(code: number): string {
  return TYPE_NAMES.get(code) ?? `TYPE${code}`;
}

/** "IN" → 1, "CLASS3" → 3 (RFC 3597 §5). */
export function classCode(klass: string): number {
  return mnemonicCode(klass, CLASS_CODES, "CLASS", "class");
}

export function className(code: number): string {
  return CLASS_NAMES.get(code) ?? `CLASS${code}`;
}

function mnemonicCode(text: string, table: Readonly<Record<string, number>>, generic: string, what: string): number {
  const upper = text.toUpperCase();
  const known = table[upper];
  if (known !== undefined) return known;
  const match = new RegExp(`^${generic}(\\d{1,5})$`).exec(upper);
  const code = match ? Number(match[1]) : Number.NaN;
  if (!(code >= 0 && code <= 0xffff)) throw new TypeError(`unknown DNS ${what} "${text}"`);
  return code;
}

// ---------------------------------------------------------------------------
// Names

/** A name as its labels' octets, leftmost first; the root is []. */
type Labels = Uint8Array[];

const BACKSLASH = 0x5c;
const DOT = 0x2e;
const ASTERISK = 0x2a;

/** Presentation form to labels (RFC 1035 §5.1 escapes). "" and "." are the root; a missing trailing dot is allowed. */
function parseName(name: string): Labels {
  if (name === "." || name === "") return [];
  const labels: Labels = [];
  const input = Buffer.from(name, "utf8");
  let label: number[] = [];
  let total = 1; // the root label's length octet
  const finishLabel = (): void => {
    if (label.length === 0) throw new InvalidNameError(`invalid domain name "${name}": empty label`);
    if (label.length > MAX_LABEL_OCTETS) throw new InvalidNameError(`invalid domain name "${name}": label longer than ${MAX_LABEL_OCTETS} octets`);
    total += label.length + 1;
    if (total > MAX_NAME_OCTETS) throw new InvalidNameError(`invalid domain name "${name}": longer than ${MAX_NAME_OCTETS} octets`);
    labels.push(Uint8Array.from(label));
    label = [];
  };
  for (let index = 0; index < input.length; index++) {
    const octet = input[index] as number;
    if (octet === DOT) {
      finishLabel();
    } else if (octet === BACKSLASH) {
      const next = input[index + 1];
      if (next === undefined) throw new InvalidNameError(`invalid domain name "${name}": ends in a backslash`);
      if (next >= 0x30 && next <= 0x39) {
        const digits = input.subarray(index + 1, index + 4).toString("latin1");
        if (!/^\d{3}$/.test(digits) || Number(digits) > 255) throw new InvalidNameError(`invalid domain name "${name}": bad escape \\${digits}`);
        label.push(Number(digits));
        index += 3;
      } else {
        label.push(next);
        index += 1;
      }
    } else {
      label.push(octet);
    }
    if (label.length > MAX_LABEL_OCTETS) throw new InvalidNameError(`invalid domain name "${name}": label longer than ${MAX_LABEL_OCTETS} octets`);
  }
  // A trailing dot leaves an empty last label: the name was already absolute.
  if (label.length > 0) finishLabel();
  return labels;
}

function formatName(labels: Labels): string {
  if (labels.length === 0) return ".";
  let text = "";
  for (const label of labels) {
    for (const octet of label) {
      if (octet === DOT || octet === BACKSLASH) text += `\\${String.fromCharCode(octet)}`;
      else if (octet > 0x20 && octet < 0x7f) text += String.fromCharCode(octet);
      else text += `\\${String(octet).padStart(3, "0")}`;
    }
    text += ".";
  }
  return text;
}

/** RFC 4034 §6.2: only US-ASCII upper-case letters change. */
function lowercaseLabel(label: Uint8Array): Uint8Array {
  return label.map((octet) => (octet >= 0x41 && octet <= 0x5a ? octet + 0x20 : octet));
}

function canonicalLabels(name: string): Labels {
  return parseName(name).map(lowercaseLabel);
}

function labelsToWire(labels: Labels): Uint8Array {
  const wire = new Uint8Array(labels.reduce((sum, label) => sum + label.length + 1, 1));
  let offset = 0;
  for (const label of labels) {
    wire[offset] = label.length;
    wire.set(label, offset + 1);
    offset += label.length + 1;
  }
  return wire;
}

/**
 * Names already in canonical form, remembered: the validator compares the
 * same few zone and owner names thousands of times per second, and parsing
 * each time was a tenth of the resolver's CPU time. Bounded; cleared when full.
 */
const canonicalNames = new Map<string, string>();
const MAX_REMEMBERED_NAMES = 50_000;

/** Lower-case (ASCII only), trailing dot, one spelling per name: "WWW.Example.org" → "www.example.org.". */
export function canonicalName(name: string): string {
  const known = canonicalNames.get(name);
  if (known !== undefined) return known;
  const canonical = formatName(canonicalLabels(name));
  if (canonicalNames.size >= MAX_REMEMBERED_NAMES) canonicalNames.clear();
  canonicalNames.set(name, canonical);
  return canonical;
}

/** The uncompressed wire form of `name`, lower-cased unless asked not to (RFC 4034 §6.2). */
export function nameToWire(name: string, lowercase = true): Uint8Array {
  return labelsToWire(lowercase ? canonicalLabels(name) : parseName(name));
}

/**
 * Canonical DNS name order (RFC 4034 §6.1): compare labels from the right,
 * each as lower-cased octet strings, and a name sorts before its
 * descendants. Negative when `a` sorts first, 0 when equal, positive after.
 */
export function compareCanonicalNames(a: string, b: string): number {
  const left = canonicalLabels(a);
  const right = canonicalLabels(b);
  for (let index = 1; index <= Math.min(left.length, right.length); index++) {
    const order = compareOctets(left[left.length - index] as Uint8Array, right[right.length - index] as Uint8Array);
    if (order !== 0) return order;
  }
  return left.length - right.length;
}

/** Octet-string order, a shorter string first when it is a prefix of the longer (RFC 4034 §6.1, §6.3). */
function compareOctets(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** Labels of `name`, without the root and without a leading "*" (RFC 4034 §3.1.3): what an RRSIG's Labels field counts. */
export function labelCount(name: string): number {
  const labels = parseName(name);
  const first = labels[0];
  const wildcard = first !== undefined && first.length === 1 && first[0] === ASTERISK;
  return wildcard ? labels.length - 1 : labels.length;
}

/** Is `child` at or below `parent` (case-insensitive)? Every name is a subdomain of ".". */
export function isSubdomain(child: string, parent: string): boolean {
  const childLabels = canonicalLabels(child);
  const parentLabels = canonicalLabels(parent);
  const skip = childLabels.length - parentLabels.length;
  if (skip < 0) return false;
  return parentLabels.every((label, index) => compareOctets(label, childLabels[skip + index] as Uint8Array) === 0);
}

/** The name one label up ("www.example." → "example."); the root has none and throws RangeError. */
export function parentName(name: string): string {
  const labels = parseName(name);
  if (labels.length === 0) throw new RangeError("the root name has no parent");
  return formatName(labels.slice(1));
}

// ---------------------------------------------------------------------------
// Type bitmaps (RFC 4034 §4.1.2, RFC 5155 §3.2.1)

/** Does an NSEC/NSEC3 type list (mnemonics, as parsed) include `type`? "TYPE1" and "a" match "A". */
export function typeBitmapIncludes(rrtypes: readonly string[], type: string): boolean {
  const wanted = typeCode(type);
  return rrtypes.some((listed) => typeCode(listed) === wanted);
}

function readTypeBitmap(reader: WireReader, end: number): string[] {
  const types: string[] = [];
  let previousWindow = -1;
  while (reader.offset < end) {
    const window = reader.u8();
    const length = reader.u8();
    if (window <= previousWindow) throw new MalformedMessageError(`type bitmap window ${window} follows window ${previousWindow}`);
    if (length < 1 || length > 32) throw new MalformedMessageError(`type bitmap window ${window} has length ${length} (1-32 allowed)`);
    const bits = reader.take(length);
    if (bits[length - 1] === 0) throw new MalformedMessageError(`type bitmap window ${window} ends in a zero octet`);
    bits.forEach((octet, index) => {
      for (let bit = 0; bit < 8; bit++) {
        if (octet & (0x80 >> bit)) types.push(typeName(window * 256 + index * 8 + bit));
      }
    });
    previousWindow = window;
  }
  return types;
}

function writeTypeBitmap(writer: WireWriter, rrtypes: readonly string[]): void {
  const codes = [...new Set(rrtypes.map(typeCode))].sort((a, b) => a - b);
  for (let start = 0; start < codes.length; ) {
    const window = (codes[start] as number) >> 8;
    let stop = start;
    while (stop < codes.length && (codes[stop] as number) >> 8 === window) stop++;
    const inWindow = codes.slice(start, stop).map((code) => code & 0xff);
    const bits = new Uint8Array(((inWindow.at(-1) as number) >> 3) + 1);
    for (const low of inWindow) bits[low >> 3] = (bits[low >> 3] as number) | (0x80 >> (low & 7));
    writer.u8(window);
    writer.u8(bits.length);
    writer.bytes(bits);
    start = stop;
  }
}

// ---------------------------------------------------------------------------
// Reading and writing octets

class WireReader {
  readonly #bytes: Uint8Array;
  offset: number;
  /** Sequential reads stop here (the end of the current RDATA, or of the message). */
  limit: number;
  /** Compression pointers below this are refused: nothing in a header is a name. Infinity forbids compression. */
  readonly #lowestPointer: number;

  constructor(bytes: Uint8Array, options: { allowCompression: boolean }) {
    this.#bytes = bytes;
    this.offset = 0;
    this.limit = bytes.length;
    this.#lowestPointer = options.allowCompression ? HEADER_OCTETS : Number.POSITIVE_INFINITY;
  }

  get length(): number {
    return this.#bytes.length;
  }

  #need(count: number, what: string): void {
    if (this.offset + count > this.limit) throw new MalformedMessageError(`${what} at offset ${this.offset} runs past the end of the data`);
  }

  u8(what = "octet"): number {
    this.#need(1, what);
    return this.#bytes[this.offset++] as number;
  }

  u16(what = "16-bit field"): number {
    this.#need(2, what);
    const value = ((this.#bytes[this.offset] as number) << 8) | (this.#bytes[this.offset + 1] as number);
    this.offset += 2;
    return value;
  }

  u32(what = "32-bit field"): number {
    const high = this.u16(what);
    return high * 0x10000 + this.u16(what);
  }

  /** A copy, so that records kept in a cache do not pin the whole packet. */
  take(count: number, what = "field"): Uint8Array {
    this.#need(count, what);
    const slice = this.#bytes.slice(this.offset, this.offset + count);
    this.offset += count;
    return slice;
  }

  /**
   * A domain name (RFC 1035 §4.1.4). A pointer must point before the start
   * of the run of labels it ends: targets then strictly decrease, so loops
   * and forward pointers are refused and the walk ends; MAX_POINTER_HOPS
   * bounds chains of pointers to pointers, MAX_NAME_OCTETS the labels.
   */
  name(): Labels {
    const labels: Labels = [];
    let position = this.offset;
    let runStart = position;
    let bound = this.limit; // labels read in place must stay inside the current RDATA
    let resumeAt: number | undefined;
    let total = 1;
    let hops = 0;
    for (;;) {
      if (position >= bound) throw new MalformedMessageError(`domain name at offset ${this.offset} runs past the end of the data`);
      const length = this.#bytes[position] as number;
      if (length === 0) {
        position += 1;
        break;
      }
      const kind = length & 0xc0;
      if (kind === 0xc0) {
        if (position + 1 >= bound) throw new MalformedMessageError(`compression pointer at offset ${position} is cut off`);
        const target = ((length & 0x3f) << 8) | (this.#bytes[position + 1] as number);
        if (target >= runStart) throw new MalformedMessageError(`compression pointer at offset ${position} points forward or loops (to ${target})`);
        if (target < this.#lowestPointer) {
          throw new MalformedMessageError(Number.isFinite(this.#lowestPointer) ? `compression pointer at offset ${position} points into the header` : `compression pointer at offset ${position} where names must not be compressed`);
        }
        if (++hops > MAX_POINTER_HOPS) throw new MalformedMessageError(`domain name at offset ${this.offset} follows more than ${MAX_POINTER_HOPS} compression pointers`);
        resumeAt ??= position + 2;
        position = target;
        runStart = target;
        bound = this.#bytes.length;
        continue;
      }
      if (kind !== 0) throw new MalformedMessageError(`label at offset ${position} has unknown type 0x${kind.toString(16)} (labels are at most 63 octets)`);
      if (position + 1 + length > bound) throw new MalformedMessageError(`label at offset ${position} runs past the end of the data`);
      total += length + 1;
      if (total > MAX_NAME_OCTETS) throw new MalformedMessageError(`domain name at offset ${this.offset} is longer than ${MAX_NAME_OCTETS} octets`);
      labels.push(this.#bytes.slice(position + 1, position + 1 + length));
      position += 1 + length;
    }
    this.offset = resumeAt ?? position;
    return labels;
  }

  nameText(): string {
    return formatName(this.name());
  }

  /** A <character-string>: one length octet, then that many octets. */
  characterString(): Uint8Array {
    return this.take(this.u8("character-string length"), "character-string");
  }
}

class WireWriter {
  #buffer = new Uint8Array(512);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  #reserve(count: number): void {
    if (this.#length + count <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < this.#length + count) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
  }

  u8(value: number): void {
    checkInteger(value, 0xff);
    this.#reserve(1);
    this.#buffer[this.#length++] = value;
  }

  u16(value: number): void {
    checkInteger(value, 0xffff);
    this.#reserve(2);
    this.#buffer[this.#length++] = value >> 8;
    this.#buffer[this.#length++] = value & 0xff;
  }

  u32(value: number): void {
    checkInteger(value, 0xffffffff);
    this.u16(Math.floor(value / 0x10000));
    this.u16(value % 0x10000);
  }

  bytes(data: Uint8Array): void {
    this.#reserve(data.length);
    this.#buffer.set(data, this.#length);
    this.#length += data.length;
  }

  name(name: string, lowercase: boolean): void {
    this.bytes(nameToWire(name, lowercase));
  }

  characterString(data: Uint8Array): void {
    if (data.length > 255) throw new RangeError("a character-string holds at most 255 octets");
    this.u8(data.length);
    this.bytes(data);
  }

  /** Writes a 16-bit length, then whatever `body` writes, then goes back to fill the length in. */
  lengthPrefixed(body: () => void): void {
    const at = this.#length;
    this.u16(0);
    body();
    const length = this.#length - at - 2;
    checkInteger(length, 0xffff);
    this.#buffer[at] = length >> 8;
    this.#buffer[at + 1] = length & 0xff;
  }

  finish(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }
}

function checkInteger(value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${value} is not an integer from 0 to ${max}`);
}

// ---------------------------------------------------------------------------
// RDATA codecs

interface RdataCodec {
  /** Reads the RDATA that ends at `end`; names may be compressed when the reader allows it. */
  decode(reader: WireReader, end: number): unknown;
  /** Writes the RDATA uncompressed; `canonical` lower-cases the embedded names that RFC 4034 §6.2 lists. */
  encode(writer: WireWriter, data: unknown, canonical: boolean): void;
  /** Whether the RDATA embeds domain names (raw octets of such types are re-read before writing). */
  hasNames: boolean;
}

/** Reads a field of a structured `data` object, with a TypeError naming it when it is missing or of the wrong kind. */
function field<T>(data: unknown, key: string, check: (value: unknown) => value is T, kind: string): T {
  const value = typeof data === "object" && data !== null ? (data as Record<string, unknown>)[key] : undefined;
  if (!check(value)) throw new TypeError(`RDATA field "${key}" must be ${kind}`);
  return value;
}
const isNumber = (value: unknown): value is number => typeof value === "number";
const isString = (value: unknown): value is string => typeof value === "string";
const isBytes = (value: unknown): value is Uint8Array => value instanceof Uint8Array;
const isStrings = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);
const num = (data: unknown, key: string): number => field(data, key, isNumber, "a number");
const str = (data: unknown, key: string): string => field(data, key, isString, "a string");
const octets = (data: unknown, key: string): Uint8Array => field(data, key, isBytes, "a Uint8Array");

function asName(data: unknown): string {
  if (typeof data !== "string") throw new TypeError("RDATA must be a domain name string");
  return data;
}

/** NS, CNAME, DNAME, PTR: one name (RFC 1035 §3.3, RFC 6672). */
const singleNameCodec: RdataCodec = {
  hasNames: true,
  decode: (reader) => reader.nameText(),
  encode: (writer, data, canonical) => writer.name(asName(data), canonical),
};

const mxCodec: RdataCodec = {
  hasNames: true,
  decode: (reader): MxData => ({ preference: reader.u16(), exchange: reader.nameText() }),
  encode: (writer, data, canonical) => {
    writer.u16(num(data, "preference"));
    writer.name(str(data, "exchange"), canonical);
  },
};

const soaCodec: RdataCodec = {
  hasNames: true,
  decode: (reader): SoaData => ({
    mname: reader.nameText(),
    rname: reader.nameText(),
    serial: reader.u32(),
    refresh: reader.u32(),
    retry: reader.u32(),
    expire: reader.u32(),
    minimum: reader.u32(),
  }),
  encode: (writer, data, canonical) => {
    writer.name(str(data, "mname"), canonical);
    writer.name(str(data, "rname"), canonical);
    for (const key of ["serial", "refresh", "retry", "expire", "minimum"]) writer.u32(num(data, key));
  },
};

/** RFC 2782. */
const srvCodec: RdataCodec = {
  hasNames: true,
  decode: (reader): SrvData => ({ priority: reader.u16(), weight: reader.u16(), port: reader.u16(), target: reader.nameText() }),
  encode: (writer, data, canonical) => {
    writer.u16(num(data, "priority"));
    writer.u16(num(data, "weight"));
    writer.u16(num(data, "port"));
    writer.name(str(data, "target"), canonical);
  },
};

/** RFC 4034 §2.1. */
const dnskeyCodec: RdataCodec = {
  hasNames: false,
  decode: (reader, end): DnskeyData => ({ flags: reader.u16(), protocol: reader.u8(), algorithm: reader.u8(), key: reader.take(end - reader.offset) }),
  encode: (writer, data) => {
    writer.u16(num(data, "flags"));
    const protocol = (data as { protocol?: unknown }).protocol;
    writer.u8(typeof protocol === "number" ? protocol : 3);
    writer.u8(num(data, "algorithm"));
    writer.bytes(octets(data, "key"));
  },
};

/** The RRSIG fields before the signature (RFC 4034 §3.1), which are also the start of the signed data (§3.1.8.1). */
function writeRrsigHead(writer: WireWriter, data: unknown, canonical: boolean): void {
  writer.u16(typeCode(str(data, "typeCovered")));
  writer.u8(num(data, "algorithm"));
  writer.u8(num(data, "labels"));
  writer.u32(num(data, "originalTTL"));
  writer.u32(num(data, "expiration"));
  writer.u32(num(data, "inception"));
  writer.u16(num(data, "keyTag"));
  writer.name(str(data, "signersName"), canonical);
}

const rrsigCodec: RdataCodec = {
  hasNames: true,
  decode: (reader, end): RrsigData => ({
    typeCovered: typeName(reader.u16()),
    algorithm: reader.u8(),
    labels: reader.u8(),
    originalTTL: reader.u32(),
    expiration: reader.u32(),
    inception: reader.u32(),
    keyTag: reader.u16(),
    signersName: reader.nameText(),
    signature: reader.take(end - reader.offset),
  }),
  encode: (writer, data, canonical) => {
    writeRrsigHead(writer, data, canonical);
    writer.bytes(octets(data, "signature"));
  },
};

/** RFC 4034 §4.1. The next name stays as it is even in canonical form (RFC 6840 §5.1). */
const nsecCodec: RdataCodec = {
  hasNames: true,
  decode: (reader, end): NsecData => ({ nextDomain: reader.nameText(), rrtypes: readTypeBitmap(reader, end) }),
  encode: (writer, data) => {
    writer.name(str(data, "nextDomain"), false);
    writeTypeBitmap(writer, field(data, "rrtypes", isStrings, "a list of type mnemonics"));
  },
};

/** The fields NSEC3 and NSEC3PARAM share (RFC 5155 §3.2, §4.2). */
function readNsec3Head(reader: WireReader): Nsec3ParamData {
  return { algorithm: reader.u8(), flags: reader.u8(), iterations: reader.u16(), salt: reader.characterString() };
}

function writeNsec3Head(writer: WireWriter, data: unknown): void {
  writer.u8(num(data, "algorithm"));
  writer.u8(num(data, "flags"));
  writer.u16(num(data, "iterations"));
  writer.characterString(octets(data, "salt"));
}

const nsec3Codec: RdataCodec = {
  hasNames: false,
  decode: (reader, end): Nsec3Data => {
    const head = readNsec3Head(reader);
    const nextDomain = reader.characterString();
    if (nextDomain.length === 0) throw new MalformedMessageError("NSEC3 record has an empty next hashed owner name");
    return { ...head, nextDomain, rrtypes: readTypeBitmap(reader, end) };
  },
  encode: (writer, data) => {
    writeNsec3Head(writer, data);
    writer.characterString(octets(data, "nextDomain"));
    writeTypeBitmap(writer, field(data, "rrtypes", isStrings, "a list of type mnemonics"));
  },
};

/** dns-packet 5.6 does not know NSEC3PARAM. */
const nsec3ParamCodec: RdataCodec = {
  hasNames: false,
  decode: (reader) => readNsec3Head(reader),
  encode: writeNsec3Head,
};

/**
 * RDATA without names, carried by dns-packet. It is fed a packet holding
 * only this record so that a decoder overrunning the RDATA hits the end of
 * the buffer instead of the next record, and the result is kept only when it
 * re-encodes to the same octets (otherwise the octets are kept as they are).
 */
function dnsPacketCodec(type: "A" | "AAAA" | "TXT" | "CAA" | "TLSA" | "DS", validate?: (data: unknown) => void): RdataCodec {
  return {
    hasNames: false,
    decode: (reader, end) => {
      const rdata = reader.take(end - reader.offset);
      let decoded: unknown;
      try {
        decoded = decodeWithDnsPacket(type, rdata);
      } catch (error) {
        throw new MalformedMessageError(`${type} RDATA of ${rdata.length} octets is malformed: ${(error as Error).message}`);
      }
      let again: Uint8Array | undefined;
      try {
        again = encodeWithDnsPacket(type, decoded);
      } catch {
        again = undefined;
      }
      return again !== undefined && Buffer.from(again).equals(rdata) ? decoded : rdata;
    },
    encode: (writer, data) => {
      validate?.(data);
      writer.bytes(encodeWithDnsPacket(type, data));
    },
  };
}

const SYNTHETIC_HEADER = Uint8Array.of(0, 0, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0);
/** Header, root owner name, TYPE, CLASS, TTL, RDLENGTH. */
const SYNTHETIC_RDATA_OFFSET = HEADER_OCTETS + 1 + 10;

function decodeWithDnsPacket(type: string, rdata: Uint8Array): unknown {
  const packet = Buffer.alloc(SYNTHETIC_RDATA_OFFSET + rdata.length);
  packet.set(SYNTHETIC_HEADER);
  packet.writeUInt16BE(typeCode(type), HEADER_OCTETS + 1);
  packet.writeUInt16BE(1, HEADER_OCTETS + 3);
  packet.writeUInt16BE(rdata.length, SYNTHETIC_RDATA_OFFSET - 2);
  packet.set(rdata, SYNTHETIC_RDATA_OFFSET);
  const decoded = dnsPacket.decode(packet);
  if (dnsPacket.decode.bytes !== packet.length) throw new Error(`its fields take ${dnsPacket.decode.bytes - SYNTHETIC_RDATA_OFFSET} octets`);
  const answer = decoded.answers?.[0];
  if (!answer || !("data" in answer)) throw new Error("dns-packet returned no data");
  return toPlainBytes(answer.data);
}

function encodeWithDnsPacket(type: string, data: unknown): Uint8Array {
  // dns-packet's Answer is a union keyed by type; the shape was checked by the caller or comes from its own decoder.
  const answer = { name: ".", type, class: "IN", ttl: 0, data: toBuffers(data) } as dnsPacket.Answer;
  const packet = dnsPacket.encode({ answers: [answer] });
  return new Uint8Array(packet.subarray(SYNTHETIC_RDATA_OFFSET));
}

/** dns-packet returns Buffers; the engine speaks Uint8Array (and a copy does not pin the packet). */
function toPlainBytes(value: unknown): unknown {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(toPlainBytes);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, toPlainBytes(inner)]));
  return value;
}

/** dns-packet wants Buffers (it checks Buffer.isBuffer) and changes some of what it is given: hand it copies. */
function toBuffers(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(toBuffers);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, toBuffers(inner)]));
  return value;
}

function checkFields(fields: Record<string, (data: unknown, key: string) => unknown>): (data: unknown) => void {
  return (data) => {
    for (const [key, check] of Object.entries(fields)) check(data, key);
  };
}

/** dns-packet writes a string's length into one octet without checking it. */
function checkTxt(data: unknown): void {
  const strings: unknown[] = Array.isArray(data) ? data : [data];
  for (const text of strings) {
    const length = typeof text === "string" ? Buffer.byteLength(text) : text instanceof Uint8Array ? text.length : Number.NaN;
    if (!(length <= 255)) throw new TypeError("TXT RDATA must be strings or Uint8Arrays of at most 255 octets");
  }
}

function checkCaa(data: unknown): void {
  num(data, "flags");
  str(data, "value");
  if (Buffer.byteLength(str(data, "tag")) > 255) throw new TypeError("CAA tag must be at most 255 octets");
}

function checkAddress(family: 4 | 6): (data: unknown) => void {
  return (data) => {
    if (typeof data !== "string" || !(family === 4 ? isIPv4(data) : isIPv6(data))) throw new TypeError(`RDATA must be an IPv${family} address string`);
  };
}

/**
 * Types left as octets whose RDATA still embeds names: the parser
 * decompresses them (RFC 3597 §4) so the octets stand alone, and canonical
 * form lower-cases the names (RFC 4034 §6.2). A field is a name, a
 * character-string, a fixed number of octets, the rest of the RDATA, or
 * A6's prefix-dependent address and name (RFC 2874 §3.1).
 */
type LayoutField = "name" | "string" | "rest" | "a6" | number;

const NAME_LAYOUTS: ReadonlyMap<string, readonly LayoutField[]> = new Map<string, LayoutField[]>([
  ["MD", ["name"]], ["MF", ["name"]], ["MB", ["name"]], ["MG", ["name"]], ["MR", ["name"]],
  ["MINFO", ["name", "name"]], ["RP", ["name", "name"]], ["AFSDB", [2, "name"]], ["RT", [2, "name"]],
  ["SIG", [18, "name", "rest"]], ["PX", [2, "name", "name"]], ["NXT", ["name", "rest"]],
  ["NAPTR", [2, 2, "string", "string", "string", "name"]], ["KX", [2, "name"]], ["A6", ["a6"]],
]);

function layoutCodec(layout: readonly LayoutField[]): RdataCodec {
  const transcribe = (reader: WireReader, end: number, writer: WireWriter, lowercase: boolean): void => {
    for (const part of layout) {
      if (part === "name") writer.bytes(labelsToWire(lowercase ? reader.name().map(lowercaseLabel) : reader.name()));
      else if (part === "string") writer.characterString(reader.characterString());
      else if (part === "rest") writer.bytes(reader.take(end - reader.offset));
      else if (part === "a6") {
        const prefixLength = reader.u8();
        if (prefixLength > 128) throw new MalformedMessageError(`A6 prefix length ${prefixLength} is over 128`);
        writer.u8(prefixLength);
        writer.bytes(reader.take(Math.ceil((128 - prefixLength) / 8)));
        if (prefixLength > 0) writer.bytes(labelsToWire(lowercase ? reader.name().map(lowercaseLabel) : reader.name()));
      } else writer.bytes(reader.take(part));
    }
  };
  return {
    hasNames: true,
    decode: (reader, end) => {
      const writer = new WireWriter();
      transcribe(reader, end, writer, false);
      return writer.finish();
    },
    encode: (writer, data, canonical) => {
      const raw = asRaw(data);
      const reader = new WireReader(raw, { allowCompression: false });
      transcribe(reader, raw.length, writer, canonical);
      if (reader.offset !== raw.length) throw new MalformedMessageError(`RDATA has ${raw.length - reader.offset} octets after its last field`);
    },
  };
}

function asRaw(data: unknown): Uint8Array {
  if (!(data instanceof Uint8Array)) throw new TypeError("RDATA of this type must be a Uint8Array");
  return data;
}

const CODECS: ReadonlyMap<string, RdataCodec> = new Map<string, RdataCodec>([
  ["A", dnsPacketCodec("A", checkAddress(4))],
  ["AAAA", dnsPacketCodec("AAAA", checkAddress(6))],
  ["NS", singleNameCodec],
  ["CNAME", singleNameCodec],
  ["DNAME", singleNameCodec],
  ["PTR", singleNameCodec],
  ["SOA", soaCodec],
  ["MX", mxCodec],
  ["SRV", srvCodec],
  ["TXT", dnsPacketCodec("TXT", checkTxt)],
  ["CAA", dnsPacketCodec("CAA", checkCaa)],
  ["TLSA", dnsPacketCodec("TLSA", checkFields({ usage: num, selector: num, matchingType: num, certificate: octets }))],
  ["DS", dnsPacketCodec("DS", checkFields({ keyTag: num, algorithm: num, digestType: num, digest: octets }))],
  ["DNSKEY", dnskeyCodec],
  ["RRSIG", rrsigCodec],
  ["NSEC", nsecCodec],
  ["NSEC3", nsec3Codec],
  ["NSEC3PARAM", nsec3ParamCodec],
  ...[...NAME_LAYOUTS].map(([type, layout]): [string, RdataCodec] => [type, layoutCodec(layout)]),
]);

/** The codec for a record type, by any spelling ("mx", "TYPE15"). */
function codecFor(type: string): RdataCodec | undefined {
  return CODECS.get(typeName(typeCode(type)));
}

function writeRdata(writer: WireWriter, record: ResourceRecord, canonical: boolean): void {
  const codec = codecFor(record.type);
  let data = record.data;
  if (data instanceof Uint8Array) {
    // Octets of a type without names are what they are; with names, they are read again so that names can be lower-cased.
    if (!codec?.hasNames || !canonical) {
      writer.bytes(data);
      return;
    }
    if (!NAME_LAYOUTS.has(typeName(typeCode(record.type)))) data = decodeStandalone(codec, data, record.type);
  }
  if (!codec) throw new TypeError(`${record.name} ${record.type}: RDATA of a type without a codec must be a Uint8Array`);
  codec.encode(writer, data, canonical);
}

function decodeStandalone(codec: RdataCodec, rdata: Uint8Array, type: string): unknown {
  const reader = new WireReader(rdata, { allowCompression: false });
  const data = codec.decode(reader, rdata.length);
  if (reader.offset !== rdata.length) throw new MalformedMessageError(`${type} RDATA has ${rdata.length - reader.offset} octets after its last field`);
  return data;
}

/** The record's RDATA octets, uncompressed, names as they are. */
export function rdataFor(record: ResourceRecord): Uint8Array {
  const writer = new WireWriter();
  writeRdata(writer, record, false);
  return writer.finish();
}

/**
 * The RDATA in DNSSEC canonical form (RFC 4034 §6.2 item 3, as corrected by
 * RFC 6840 §5.1): uncompressed, with the names in NS, MD, MF, CNAME, SOA,
 * MB, MG, MR, PTR, MINFO, MX, RP, AFSDB, RT, SIG, PX, NXT, NAPTR, KX, SRV,
 * DNAME, A6 and RRSIG lower-cased, and NSEC's next name left as it is.
 */
export function canonicalRdata(record: ResourceRecord): Uint8Array {
  const writer = new WireWriter();
  writeRdata(writer, record, true);
  return writer.finish();
}

/**
 * The octets an RRSIG's signature covers (RFC 4034 §3.1.8.1, §6.2, §6.3):
 * the RRSIG RDATA up to the signature, signer's name in canonical form, then
 * each RR of the set in canonical form — owner lower-cased, or "*." plus the
 * owner's rightmost Labels labels for a wildcard expansion (RFC 4035
 * §5.3.2), TTL set to the RRSIG's Original TTL — sorted by canonical RDATA,
 * with duplicates dropped.
 */
export function signedData(rrsig: ResourceRecord, rrset: readonly ResourceRecord[]): Uint8Array {
  const sig = rrsig.data;
  const writer = new WireWriter();
  writeRrsigHead(writer, sig, true);
  const labels = num(sig, "labels");
  const originalTTL = num(sig, "originalTTL");

  const entries = rrset.map((record) => ({ record, rdata: canonicalRdata(record) })).sort((a, b) => compareOctets(a.rdata, b.rdata));
  let previous: Uint8Array | undefined;
  for (const { record, rdata } of entries) {
    if (previous && compareOctets(previous, rdata) === 0) continue;
    previous = rdata;
    writer.bytes(labelsToWire(signedOwner(record.name, labels)));
    writer.u16(typeCode(record.type));
    writer.u16(classCode(record.class));
    writer.u32(originalTTL);
    writer.u16(rdata.length);
    writer.bytes(rdata);
  }
  return writer.finish();
}

function signedOwner(owner: string, rrsigLabels: number): Labels {
  const labels = canonicalLabels(owner);
  if (labelCount(owner) <= rrsigLabels) return labels;
  return [Uint8Array.of(ASTERISK), ...labels.slice(labels.length - rrsigLabels)];
}

// ---------------------------------------------------------------------------
// Messages

/**
 * A query for `question`, with EDNS0 (RFC 6891) and the DO bit (RFC 3225)
 * set unless asked not to. The id comes from a CSPRNG (RFC 5452 §9.2) unless
 * given. RD defaults to off: the engine asks authoritative servers.
 */
export function buildQuery(
  question: Question,
  options: { id?: number; recursionDesired?: boolean; checkingDisabled?: boolean; dnssecOk?: boolean; udpPayloadSize?: number } = {},
): { id: number; bytes: Uint8Array } {
  const id = options.id ?? randomInt(0, 0x10000);
  const message: Message = {
    id,
    flags: { qr: false, aa: false, tc: false, rd: options.recursionDesired ?? false, ra: false, ad: false, cd: options.checkingDisabled ?? false },
    opcode: "QUERY",
    rcode: "NOERROR",
    questions: [{ name: question.name, type: question.type, class: question.class ?? "IN" }],
    answers: [],
    authorities: [],
    additionals: [],
    edns: { udpPayloadSize: options.udpPayloadSize ?? DEFAULT_UDP_PAYLOAD, dnssecOk: options.dnssecOk ?? true, version: 0 },
  };
  return { id, bytes: encodeMessage(message) };
}

/**
 * Parses a DNS message. Throws MalformedMessageError when the header,
 * a name, a count, an RDLENGTH or the RDATA of a known type is malformed;
 * octets after the last record are ignored. The OPT record is returned as
 * `edns` (with the extended RCODE folded into `rcode`), not in `additionals`.
 */
export function parseMessage(bytes: Uint8Array): Message {
  const reader = new WireReader(bytes, { allowCompression: true });
  if (bytes.length < HEADER_OCTETS) throw new MalformedMessageError(`message of ${bytes.length} octets is shorter than a header`);
  const id = reader.u16();
  const flagBits = reader.u16();
  const counts = [reader.u16(), reader.u16(), reader.u16(), reader.u16()] as const;
  const [questionCount, answerCount, authorityCount, additionalCount] = counts;
  const least = HEADER_OCTETS + questionCount * MIN_QUESTION_OCTETS + (answerCount + authorityCount + additionalCount) * MIN_RECORD_OCTETS;
  if (least > bytes.length) {
    throw new MalformedMessageError(`counts (${counts.join(", ")}) need at least ${least} octets, the message has ${bytes.length}`);
  }

  const questions: Question[] = [];
  for (let index = 0; index < questionCount; index++) {
    const name = reader.nameText();
    const type = typeName(reader.u16("question type"));
    const klass = className(reader.u16("question class"));
    questions.push({ name, type, class: klass });
  }
  const answers = readRecords(reader, answerCount, "answer");
  const authorities = readRecords(reader, authorityCount, "authority");
  const additionalsWithOpt = readRecords(reader, additionalCount, "additional");

  const optRecords = additionalsWithOpt.filter((record) => record.type === "OPT");
  if (optRecords.length > 1) throw new MalformedMessageError("message has more than one OPT record (RFC 6891 §6.1.1)");
  const opt = optRecords[0]?.data as OptFields | undefined;
  const headerRcode = flagBits & 0x0f;
  const opcode = (flagBits >> 11) & 0x0f;

  const message: Message = {
    id,
    flags: {
      qr: (flagBits & 0x8000) !== 0,
      aa: (flagBits & 0x0400) !== 0,
      tc: (flagBits & 0x0200) !== 0,
      rd: (flagBits & 0x0100) !== 0,
      ra: (flagBits & 0x0080) !== 0,
      ad: (flagBits & 0x0020) !== 0,
      cd: (flagBits & 0x0010) !== 0,
    },
    opcode: OPCODE_NAMES.get(opcode) ?? `OPCODE${opcode}`,
    rcode: rcodeName(opt ? (opt.extendedRcode << 4) | headerRcode : headerRcode),
    questions,
    answers,
    authorities,
    additionals: additionalsWithOpt.filter((record) => record.type !== "OPT"),
  };
  if (opt) message.edns = { udpPayloadSize: opt.udpPayloadSize, dnssecOk: opt.dnssecOk, version: opt.version, options: opt.options };
  return message;
}

function rcodeName(code: number): string {
  return RCODE_NAMES.get(code) ?? `RCODE${code}`;
}

function rcodeCode(rcode: string): number {
  const known = RCODE_CODES[rcode.toUpperCase()];
  if (known !== undefined) return known;
  const match = /^RCODE(\d{1,4})$/i.exec(rcode);
  const code = match ? Number(match[1]) : Number.NaN;
  if (!(code >= 0 && code <= 0xfff)) throw new TypeError(`unknown DNS rcode "${rcode}"`);
  return code;
}

/** The OPT pseudo-record's fields (RFC 6891 §6.1.2-6.1.3) while the message is being read. */
interface OptFields { udpPayloadSize: number; extendedRcode: number; version: number; dnssecOk: boolean; options: EdnsOption[] }

function readRecords(reader: WireReader, count: number, section: string): ResourceRecord[] {
  const records: ResourceRecord[] = [];
  for (let index = 0; index < count; index++) {
    const name = reader.nameText();
    const typeNumber = reader.u16(`${section} record type`);
    const klass = reader.u16(`${section} record class`);
    const ttl = reader.u32(`${section} record TTL`);
    const length = reader.u16(`${section} record RDLENGTH`);
    const start = reader.offset;
    const end = start + length;
    if (end > reader.length) throw new MalformedMessageError(`${section} record ${name} ${typeName(typeNumber)} has RDLENGTH ${length}, past the end of the message`);
    const type = typeName(typeNumber);
    reader.limit = end;
    let data: unknown;
    if (type === "OPT") {
      if (section !== "additional" || name !== ".") throw new MalformedMessageError(`OPT record in the ${section} section or with owner ${name} (RFC 6891 §6.1.1)`);
      data = readOpt(reader, end, klass, ttl);
    } else {
      const codec = CODECS.get(type);
      data = codec ? codec.decode(reader, end) : reader.take(length);
    }
    if (reader.offset !== end) throw new MalformedMessageError(`${section} record ${name} ${type} has ${end - reader.offset} octets of RDATA after its last field`);
    reader.limit = reader.length;
    // RFC 2181 §8: a TTL with the top bit set is taken as zero.
    records.push({ name, type, class: className(klass), ttl: ttl > 0x7fffffff ? 0 : ttl, data });
  }
  return records;
}

function readOpt(reader: WireReader, end: number, klass: number, ttl: number): OptFields {
  const options: EdnsOption[] = [];
  while (reader.offset < end) {
    const code = reader.u16("EDNS option code");
    options.push({ code, data: reader.take(reader.u16("EDNS option length"), "EDNS option") });
  }
  return { udpPayloadSize: klass, extendedRcode: ttl >>> 24, version: (ttl >>> 16) & 0xff, dnssecOk: (ttl & 0x8000) !== 0, options };
}

/**
 * Encodes a message without name compression (tests and test servers craft
 * answers with it). `edns` becomes the OPT record, which also carries the
 * upper bits of an extended RCODE; an "OPT" record in `additionals` is refused.
 */
export function encodeMessage(message: Message): Uint8Array {
  const writer = new WireWriter();
  const rcode = rcodeCode(message.rcode);
  if (rcode > 0x0f && !message.edns) throw new TypeError(`rcode ${message.rcode} needs EDNS (message.edns)`);
  const opcode = OPCODE_CODES[message.opcode.toUpperCase()] ?? Number(/^OPCODE(\d+)$/i.exec(message.opcode)?.[1] ?? Number.NaN);
  if (!(opcode >= 0 && opcode <= 0x0f)) throw new TypeError(`unknown DNS opcode "${message.opcode}"`);
  const { flags } = message;
  writer.u16(message.id);
  writer.u16(
    (flags.qr ? 0x8000 : 0) | (opcode << 11) | (flags.aa ? 0x0400 : 0) | (flags.tc ? 0x0200 : 0) | (flags.rd ? 0x0100 : 0) |
      (flags.ra ? 0x0080 : 0) | (flags.ad ? 0x0020 : 0) | (flags.cd ? 0x0010 : 0) | (rcode & 0x0f),
  );
  writer.u16(message.questions.length);
  writer.u16(message.answers.length);
  writer.u16(message.authorities.length);
  writer.u16(message.additionals.length + (message.edns ? 1 : 0));
  for (const question of message.questions) {
    writer.name(question.name, false);
    writer.u16(typeCode(question.type));
    writer.u16(classCode(question.class ?? "IN"));
  }
  for (const record of [...message.answers, ...message.authorities, ...message.additionals]) {
    if (typeCode(record.type) === TYPE_CODES.OPT) throw new TypeError("put EDNS in message.edns, not an OPT record in additionals");
    writer.name(record.name, false);
    writer.u16(typeCode(record.type));
    writer.u16(classCode(record.class));
    writer.u32(record.ttl);
    writer.lengthPrefixed(() => writeRdata(writer, record, false));
  }
  if (message.edns) {
    const { edns } = message;
    writer.u8(0); // owner: the root
    writer.u16(TYPE_CODES.OPT as number);
    writer.u16(edns.udpPayloadSize);
    writer.u8(rcode >> 4);
    writer.u8(edns.version);
    writer.u16(edns.dnssecOk ? 0x8000 : 0);
    writer.lengthPrefixed(() => {
      for (const option of edns.options ?? []) {
        writer.u16(option.code);
        writer.u16(option.data.length);
        writer.bytes(option.data);
      }
    });
  }
  if (writer.length > MAX_MESSAGE_OCTETS) throw new RangeError(`message of ${writer.length} octets is over ${MAX_MESSAGE_OCTETS}`);
  return writer.finish();
}
