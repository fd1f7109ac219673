/**
 * CAA records (RFC 8659) from their presentation form, as the resolver's
 * answers carry them (src/dns/format.ts: `0 issue "ca.example.net; account=1"`,
 * quotes and backslashes escaped, other octets as \DDD; or RFC 3597's
 * `\# LENGTH HEX` for data the codec kept raw), and the grammar of the
 * property values: issue/issuewild (§4.2-4.3) and iodef (§4.4).
 */

export interface CaaRecord {
  flags: number;
  /** Issuer Critical Flag (bit 0, value 128). */
  critical: boolean;
  /** As written; tags compare case-insensitively. */
  tag: string;
  value: string;
}

export interface IssueValue {
  /** The CA's issuer domain name, or null for "no CA may issue" (an empty issuer, e.g. ";"). */
  issuer: string | null;
  parameters: { tag: string; value: string }[];
}

/** Property tags registered with IANA ("Certification Authority Restriction Properties"). */
export const KNOWN_TAGS: ReadonlySet<string> = new Set(["issue", "issuewild", "iodef", "contactemail", "contactphone", "issuemail", "issuevmc"]);

const TAG = /^[A-Za-z0-9]{1,15}$/;
const LABEL = "[A-Za-z0-9](?:-*[A-Za-z0-9])*";
const ISSUER = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
const PARAMETER = new RegExp(`^(${LABEL})[ \\t]*=[ \\t]*([\\x21-\\x3a\\x3c-\\x7e]*)$`);

/** Parses one record's presentation data; a string is the reason it cannot be read. */
export function parseCaaRecord(data: string): CaaRecord | string {
  const text = data.trim();
  if (text.startsWith("\\#")) return fromGeneric(text);
  const match = /^(\d{1,3})\s+(\S+)\s+([\s\S]*)$/.exec(text);
  if (!match) return `not "FLAGS TAG VALUE": ${clip(text)}`;
  const flags = Number(match[1]);
  const tag = match[2] ?? "";
  if (flags > 255) return `flags ${flags} is not 0-255`;
  if (!TAG.test(tag)) return `tag "${clip(tag)}" is not 1-15 letters and digits (RFC 8659 §4.1)`;
  const value = unquote(match[3] ?? "");
  if (value === null) return `value is not a valid character-string: ${clip(match[3] ?? "")}`;
  return { flags, critical: (flags & 128) !== 0, tag, value };
}

/** RFC 8659 §4.2 issue-value; a string is the reason it does not follow the grammar. */
export function parseIssueValue(value: string): IssueValue | string {
  const semicolon = value.indexOf(";");
  const issuerText = trimWsp(semicolon < 0 ? value : value.slice(0, semicolon));
  if (issuerText !== "" && !ISSUER.test(issuerText)) return `issuer "${clip(issuerText)}" is not a domain name`;
  const parameters: { tag: string; value: string }[] = [];
  if (semicolon >= 0) {
    const rest = trimWsp(value.slice(semicolon + 1));
    if (rest !== "") {
      for (const part of rest.split(";")) {
        const parameter = PARAMETER.exec(trimWsp(part));
        if (!parameter) return `parameter "${clip(trimWsp(part))}" is not tag=value`;
        parameters.push({ tag: parameter[1] ?? "", value: parameter[2] ?? "" });
      }
    }
  }
  return { issuer: issuerText === "" ? null : issuerText.toLowerCase(), parameters };
}

/** RFC 8659 §4.4: a mailto:, http: or https: URL; a string is the reason it is not. */
export function checkIodef(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `iodef "${clip(value)}" is not a URL`;
  }
  if (!["mailto:", "http:", "https:"].includes(url.protocol)) return `iodef "${clip(value)}" has scheme ${url.protocol} (mailto:, http: or https: only)`;
  return null;
}

/** The octets of a character-string in presentation form, as Latin-1 text (CAA values are ASCII). */
function unquote(text: string): string | null {
  const quoted = text.startsWith('"');
  if (quoted && (text.length < 2 || !text.endsWith('"'))) return null;
  const body = quoted ? text.slice(1, -1) : text;
  let out = "";
  for (let index = 0; index < body.length; index++) {
    const char = body[index] ?? "";
    if (char === '"' && quoted) return null;
    if (char !== "\\") {
      out += char;
      continue;
    }
    const digits = /^\d{3}/.exec(body.slice(index + 1));
    if (digits) {
      const code = Number(digits[0]);
      if (code > 255) return null;
      out += String.fromCharCode(code);
      index += 3;
    } else {
      if (index + 1 >= body.length) return null;
      out += body[index + 1] ?? "";
      index++;
    }
  }
  return out;
}

function fromGeneric(text: string): CaaRecord | string {
  const match = /^\\#\s+(\d+)\s*([0-9A-Fa-f\s]*)$/.exec(text);
  if (!match) return `unreadable generic data: ${clip(text)}`;
  const bytes = Buffer.from((match[2] ?? "").replace(/\s+/g, ""), "hex");
  if (bytes.length !== Number(match[1]) || bytes.length < 2) return "generic data length does not match";
  const flags = bytes[0] ?? 0;
  const tagLength = bytes[1] ?? 0;
  if (tagLength < 1 || 2 + tagLength > bytes.length) return `tag length ${tagLength} does not fit the record`;
  const tag = bytes.subarray(2, 2 + tagLength).toString("latin1");
  if (!TAG.test(tag)) return `tag "${clip(tag)}" is not 1-15 letters and digits (RFC 8659 §4.1)`;
  return { flags, critical: (flags & 128) !== 0, tag, value: bytes.subarray(2 + tagLength).toString("latin1") };
}

function trimWsp(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, "");
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}
