/**
 * The MTA-STS TXT record and policy file (RFC 8461 §3.1, §3.2), and the
 * rule by which a policy's mx patterns match an MX host (§4.1: a pattern
 * "*.example.net" matches exactly one leftmost label).
 */

export interface StsRecord {
  id: string | null;
  errors: string[];
}

export function isStsRecord(text: string): boolean {
  return /^v=STSv1\s*(;|$)/.test(text);
}

export function parseStsRecord(text: string): StsRecord {
  const errors: string[] = [];
  let id: string | null = null;
  const fields = text.split(";").map((field) => field.trim()).filter((field) => field !== "");
  for (const field of fields.slice(1)) {
    const match = /^([A-Za-z0-9_.-]+)=(.*)$/.exec(field);
    if (!match) {
      errors.push(`"${field}" is not a field=value pair`);
      continue;
    }
    if (match[1] === "id") {
      if (id !== null) errors.push("id appears more than once");
      id = match[2] ?? "";
      if (!/^[A-Za-z0-9]{1,32}$/.test(id)) errors.push(`id=${id} is not 1 to 32 letters and digits`);
    }
  }
  if (id === null) errors.push("no id= field");
  return { id, errors };
}

export type StsMode = "enforce" | "testing" | "none";

export interface StsPolicy {
  version: string | null;
  mode: StsMode | null;
  maxAge: number | null;
  mx: string[];
  errors: string[];
}

export const MAX_MAX_AGE = 31_557_600;
export const MIN_RECOMMENDED_MAX_AGE = 86_400;

export function parseStsPolicy(body: string): StsPolicy {
  const errors: string[] = [];
  const policy: StsPolicy = { version: null, mode: null, maxAge: null, mx: [], errors };
  const seen = new Set<string>();
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon < 1) {
      errors.push(`"${line.slice(0, 80)}" is not a "key: value" line`);
      continue;
    }
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key !== "mx" && seen.has(key)) errors.push(`${key} appears more than once`);
    seen.add(key);
    switch (key) {
      case "version":
        policy.version = value;
        if (value !== "STSv1") errors.push(`version is "${value}", not STSv1`);
        break;
      case "mode":
        if (value === "enforce" || value === "testing" || value === "none") policy.mode = value;
        else errors.push(`mode "${value}" is not enforce, testing or none`);
        break;
      case "max_age":
        if (/^\d{1,10}$/.test(value) && Number(value) <= MAX_MAX_AGE) policy.maxAge = Number(value);
        else errors.push(`max_age "${value}" is not a number of seconds up to ${MAX_MAX_AGE}`);
        break;
      case "mx":
        policy.mx.push(value.toLowerCase().replace(/\.$/, ""));
        break;
      default:
        // Unknown keys are ignored (§3.2).
        break;
    }
  }
  if (policy.version === null) errors.push("no version line");
  if (policy.mode === null && !errors.some((error) => error.startsWith("mode"))) errors.push("no mode line");
  if (policy.maxAge === null && !errors.some((error) => error.startsWith("max_age"))) errors.push("no max_age line");
  if (policy.mx.length === 0 && policy.mode !== "none") errors.push("no mx line");
  return policy;
}

/** §4.1: exact match, or "*." then the host's name without its leftmost label. */
export function mxMatches(pattern: string, host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  if (pattern.startsWith("*.")) {
    const dot = name.indexOf(".");
    return dot > 0 && name.slice(dot + 1) === pattern.slice(2);
  }
  return pattern === name;
}
