/**
 * A security.txt parser (RFC 9116): UTF-8 text of lines, each empty, a
 * comment ("#") or a field "Name: value"; optionally inside an OpenPGP
 * cleartext signature (RFC 4880 §7), whose signature is not verified. It
 * reports every problem with its line number: errors break the file's
 * RFC 9116 requirements, warnings its recommendations (the same split as
 * sectxt, the validator internet.nl uses; an unsigned file is not warned
 * about).
 */

export interface SecurityTxtField {
  name: string;
  value: string;
  line: number;
}

export interface SecurityTxtParse {
  fields: SecurityTxtField[];
  errors: string[];
  warnings: string[];
  signed: boolean;
  expires: string | null;
}

/** Fields RFC 9116 §2.5 defines, and CSAF (its registry's first addition). */
const KNOWN = new Set(["acknowledgments", "canonical", "contact", "encryption", "expires", "hiring", "policy", "preferred-languages", "csaf"]);
/** Fields whose value is a URI that, for the web, must be https (RFC 9116 §2.5). */
const URI_FIELDS = new Set(["acknowledgments", "canonical", "contact", "encryption", "hiring", "policy", "csaf"]);
const FIELD = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):(.*)$/;
/** RFC 5646 language tag, loosely: alphanumeric subtags of 1-8 characters, the first alphabetic. */
const LANGUAGE_TAG = /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/;
/** RFC 3339 date-time (RFC 9116 §2.5.5 uses the Internet Date/Time Format). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const YEAR_MS = 366 * 24 * 3600 * 1000;
/** Problems listed at most (a hostile file could have a million bad lines). */
const MAX_PROBLEMS = 20;

/**
 * `retrievedFrom`: the URLs a Canonical field may name, the first and the
 * last of the redirect chain (as sectxt, internet.nl's validator, accepts).
 */
export function parseSecurityTxt(body: Buffer, now: number, retrievedFrom: readonly string[] = []): SecurityTxtParse {
  const errors: string[] = [];
  const warnings: string[] = [];
  const add = (list: string[], message: string): void => {
    if (list.length < MAX_PROBLEMS) list.push(message);
  };
  for (const line of invalidUtf8Lines(body)) add(errors, `line ${line}: not valid UTF-8`);
  let lines = body.toString("utf8").split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  else if (lines.length > 0) add(errors, `line ${lines.length}: the last line does not end with a line break (CRLF or LF)`);

  let offset = 0;
  let signed = false;
  const firstContent = lines.findIndex((line) => line.trim() !== "");
  if (firstContent !== -1 && lines[firstContent]?.trim() === "-----BEGIN PGP SIGNED MESSAGE-----") {
    signed = true;
    const unwrapped = unwrapCleartext(lines, firstContent);
    if (unwrapped.error) add(errors, unwrapped.error);
    offset = unwrapped.offset;
    lines = unwrapped.lines;
  }

  const fields: SecurityTxtField[] = [];
  lines.forEach((text, index) => {
    const line = index + 1 + offset;
    if (text.trim() === "" || text.startsWith("#")) return;
    const match = FIELD.exec(text);
    if (!match) {
      add(errors, `line ${line}: not a field ("Name: value"), a comment or an empty line`);
      return;
    }
    const [, name = "", rest = ""] = match;
    if (!rest.startsWith(" ")) add(errors, `line ${line}: the colon after ${name} must be followed by a space`);
    fields.push({ name, value: rest.trim(), line });
  });

  const byName = (name: string): SecurityTxtField[] => fields.filter((field) => field.name.toLowerCase() === name);
  for (const field of fields) {
    const name = field.name.toLowerCase();
    if (!KNOWN.has(name)) continue;
    if (field.value === "") add(errors, `line ${field.line}: ${field.name} has no value`);
    else if (URI_FIELDS.has(name)) checkUri(field, (message) => add(errors, message));
  }
  if (byName("contact").length === 0) add(errors, "no Contact field (at least one is required)");

  const expiresFields = byName("expires");
  let expires: string | null = null;
  if (expiresFields.length === 0) add(errors, "no Expires field (exactly one is required)");
  else if (expiresFields.length > 1) add(errors, `${expiresFields.length} Expires fields (exactly one is allowed)`);
  const [expiresField] = expiresFields;
  if (expiresField && expiresField.value !== "") {
    const when = DATE_TIME.test(expiresField.value) ? Date.parse(expiresField.value) : Number.NaN;
    if (Number.isNaN(when)) add(errors, `line ${expiresField.line}: Expires "${bounded(expiresField.value)}" is not an RFC 3339 date-time`);
    else {
      expires = new Date(when).toISOString();
      if (when <= now) add(errors, `line ${expiresField.line}: the file expired on ${expires}`);
      else if (when - now > YEAR_MS) add(warnings, `line ${expiresField.line}: Expires is more than a year ahead (${expires}); less than a year is recommended`);
    }
  }
  const languages = byName("preferred-languages");
  if (languages.length > 1) add(errors, `${languages.length} Preferred-Languages fields (at most one is allowed)`);
  for (const field of languages) {
    const bad = field.value.split(",").map((tag) => tag.trim()).filter((tag) => !LANGUAGE_TAG.test(tag));
    if (field.value !== "" && bad.length > 0) add(errors, `line ${field.line}: Preferred-Languages "${bounded(bad[0] ?? "")}" is not a language tag (RFC 5646)`);
  }

  const canonical = byName("canonical").map((field) => field.value);
  if (retrievedFrom.length > 0 && canonical.length > 0 && !retrievedFrom.some((url) => canonical.includes(url))) {
    add(errors, `the file was retrieved from ${retrievedFrom.at(-1) ?? ""}, which no Canonical field lists`);
  }
  if (signed && canonical.length === 0) add(warnings, "a signed file should have a Canonical field (where it belongs)");
  if (byName("contact").some((field) => field.value.toLowerCase().startsWith("mailto:")) && byName("encryption").length === 0) {
    add(warnings, "an e-mail Contact without an Encryption field (a key for encrypted reports is recommended)");
  }
  return { fields, errors, warnings, signed, expires };
}

function checkUri(field: SecurityTxtField, error: (message: string) => void): void {
  let uri: URL;
  try {
    uri = new URL(field.value);
  } catch {
    error(`line ${field.line}: ${field.name} "${bounded(field.value)}" is not a URI`);
    return;
  }
  if (uri.protocol === "http:") error(`line ${field.line}: ${field.name} is a web URI that does not begin with https://`);
}

/** The signed text of an OpenPGP cleartext message, dash-escapes removed, with the line offset of its first line. */
function unwrapCleartext(lines: string[], begin: number): { lines: string[]; offset: number; error: string | null } {
  let index = begin + 1;
  // Armor headers ("Hash: SHA512") up to an empty line.
  while (index < lines.length && (lines[index] ?? "").trim() !== "") index++;
  const start = index + 1;
  const signature = lines.findIndex((line, at) => at >= start && line.trim() === "-----BEGIN PGP SIGNATURE-----");
  if (signature === -1) return { lines: lines.slice(start), offset: start, error: "a signed message without -----BEGIN PGP SIGNATURE-----" };
  const end = lines.findIndex((line, at) => at > signature && line.trim() === "-----END PGP SIGNATURE-----");
  const content = lines.slice(start, signature).map((line) => (line.startsWith("- ") ? line.slice(2) : line));
  return { lines: content, offset: start, error: end === -1 ? "the PGP signature block is not closed" : null };
}

/** 1-based numbers of the lines (split on LF) that are not valid UTF-8. */
export function invalidUtf8Lines(body: Buffer): number[] {
  const strict = new TextDecoder("utf-8", { fatal: true });
  try {
    strict.decode(body);
    return [];
  } catch {
    // Find the lines, bounded: stop after MAX_PROBLEMS.
  }
  const lines: number[] = [];
  let start = 0;
  let number = 1;
  while (start <= body.length && lines.length < MAX_PROBLEMS) {
    const newline = body.indexOf(0x0a, start);
    const end = newline === -1 ? body.length : newline;
    try {
      strict.decode(body.subarray(start, end));
    } catch {
      lines.push(number);
    }
    if (newline === -1) break;
    start = newline + 1;
    number++;
  }
  return lines;
}

function bounded(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
