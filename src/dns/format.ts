/**
 * Presentation form of record data (RFC 1035 §5.1 and each type's RFC), as
 * `baseline dns` prints it and its JSON carries it: "192.0.2.1",
 * "10 mail.example.org.", "\"v=spf1 -all\"", "3 1 1 ab12...".
 */
import { base32hexEncode } from "./dnssec/crypto.ts";
import type { ResourceRecord } from "./types.ts";

type Data = Record<string, unknown>;

export function formatData(record: ResourceRecord): string {
  const data = record.data;
  const d = (data ?? {}) as Data;
  switch (record.type) {
    case "A":
    case "AAAA":
      return String(data);
    case "NS":
    case "CNAME":
    case "DNAME":
    case "PTR":
      return absolute(String(data));
    case "MX":
      return `${num(d.preference)} ${absolute(String(d.exchange))}`;
    case "SOA":
      return `${absolute(String(d.mname))} ${absolute(String(d.rname))} ${num(d.serial)} ${num(d.refresh)} ${num(d.retry)} ${num(d.expire)} ${num(d.minimum)}`;
    case "TXT":
      return (Array.isArray(data) ? data : [data]).map((part) => quote(toBytes(part))).join(" ");
    case "CAA":
      return `${d.flags === undefined ? (d.issuerCritical ? 128 : 0) : num(d.flags)} ${String(d.tag)} ${quote(Buffer.from(String(d.value)))}`;
    case "TLSA":
      return `${num(d.usage)} ${num(d.selector)} ${num(d.matchingType)} ${hex(d.certificate)}`;
    case "DS":
      return `${num(d.keyTag)} ${num(d.algorithm)} ${num(d.digestType)} ${hex(d.digest)}`;
    case "DNSKEY":
      return `${num(d.flags)} 3 ${num(d.algorithm)} ${toBytes(d.key).toString("base64")}`;
    case "RRSIG":
      return [d.typeCovered, d.algorithm, d.labels, d.originalTTL, time(d.expiration), time(d.inception), d.keyTag, absolute(String(d.signersName)), toBytes(d.signature).toString("base64")].map(String).join(" ");
    case "NSEC":
      return `${absolute(String(d.nextDomain))} ${(d.rrtypes as string[]).join(" ")}`;
    case "NSEC3":
      return `${num(d.algorithm)} ${num(d.flags)} ${num(d.iterations)} ${saltText(d.salt)} ${base32hexEncode(toBytes(d.nextDomain)).toUpperCase()} ${(d.rrtypes as string[]).join(" ")}`;
    case "NSEC3PARAM":
      return `${num(d.algorithm)} ${num(d.flags)} ${num(d.iterations)} ${saltText(d.salt)}`;
    case "SRV":
      return `${num(d.priority)} ${num(d.weight)} ${num(d.port)} ${absolute(String(d.target))}`;
    default:
      // RFC 3597 generic form for types without a known presentation.
      return data instanceof Uint8Array ? `\\# ${data.length} ${hex(data)}` : JSON.stringify(data);
  }
}

function num(value: unknown): string {
  return String(Number(value));
}

function absolute(name: string): string {
  return name.endsWith(".") ? name : `${name}.`;
}

function toBytes(value: unknown): Buffer {
  if (value instanceof Uint8Array) return Buffer.from(value);
  return Buffer.from(String(value));
}

function hex(value: unknown): string {
  return toBytes(value).toString("hex").toUpperCase();
}

function saltText(value: unknown): string {
  const salt = toBytes(value ?? new Uint8Array());
  return salt.length === 0 ? "-" : salt.toString("hex").toUpperCase();
}

/** Character-string with quotes, escaping quotes, backslashes and non-printable octets as \DDD. */
function quote(bytes: Buffer): string {
  let out = '"';
  for (const byte of bytes) {
    if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte < 0x20 || byte > 0x7e) out += `\\${String(byte).padStart(3, "0")}`;
    else out += String.fromCharCode(byte);
  }
  return `${out}"`;
}

/** RRSIG times as YYYYMMDDHHmmSS (RFC 4034 §3.2). */
function time(value: unknown): string {
  return new Date(Number(value) * 1000).toISOString().replace(/[-:T]/g, "").slice(0, 14);
}
