/**
 * SPF record syntax (RFC 7208 §4.6, §5, §6, §12): the terms of a
 * "v=spf1 ..." record, each mechanism with its qualifier and target, the
 * modifiers, and what is wrong with the syntax (a permerror for a receiver).
 *
 * Why our own parser: mailauth (the maintained Node SPF library) evaluates
 * SPF for one sender address and returns that address's verdict; a policy
 * check needs the record's terms, the `all` that ends evaluation and the
 * lookup count over the whole include/redirect tree, which it does not
 * expose. The syntax is small enough to read here with the RFC's grammar.
 */
import { isIPv4, isIPv6 } from "node:net";

export type Qualifier = "+" | "-" | "~" | "?";
export type MechanismName = "all" | "include" | "a" | "mx" | "ptr" | "ip4" | "ip6" | "exists";

export interface Mechanism {
  kind: "mechanism";
  qualifier: Qualifier;
  name: MechanismName;
  /** Domain-spec or address (without the CIDR lengths), or null when absent. */
  target: string | null;
  /** The term as written. */
  text: string;
}

export interface Modifier {
  kind: "modifier";
  name: string;
  value: string;
  text: string;
}

export type Term = Mechanism | Modifier;

export interface ParsedSpf {
  terms: Term[];
  /** Syntax errors, each naming the term. */
  errors: string[];
}

/** Mechanisms that cost a DNS lookup (RFC 7208 §4.6.4), with the redirect modifier. */
export const LOOKUP_MECHANISMS: ReadonlySet<string> = new Set(["include", "a", "mx", "ptr", "exists"]);

const MACRO = /%\{[slodiphcrtv]\d*r?[.\-+,/_=]*\}|%%|%_|%-/gi;

/** True when a domain-spec holds macros (it names a domain only per sender; not followed here). */
export function hasMacro(spec: string): boolean {
  return spec.includes("%");
}

function checkDomainSpec(spec: string, term: string, errors: string[]): void {
  if (spec === "") {
    errors.push(`"${term}": empty domain`);
    return;
  }
  const literal = spec.replace(MACRO, "x");
  if (literal.includes("%")) {
    errors.push(`"${term}": invalid macro`);
    return;
  }
  if (!hasMacro(spec)) {
    const labels = spec.replace(/\.$/, "").split(".");
    // RFC 7208 §7.1: a domain-spec ends in a top-level label that is not all digits.
    if (labels.length < 2 || labels.some((label) => label === "" || label.length > 63) || /^\d+$/.test(labels.at(-1) ?? "")) {
      errors.push(`"${term}": "${spec}" is not a valid domain`);
    }
  }
}

function splitCidr(value: string): { base: string; cidrs: string[] } {
  const parts = value.split("/");
  return { base: parts[0] ?? "", cidrs: parts.slice(1) };
}

export function parseSpf(record: string): ParsedSpf {
  const errors: string[] = [];
  const terms: Term[] = [];
  const words = record.trim().split(/ +/);
  if ((words[0] ?? "").toLowerCase() !== "v=spf1") return { terms, errors: ["the record does not start with \"v=spf1\""] };
  if (/[^\x20-\x7e]/.test(record)) errors.push("the record contains characters other than printable ASCII and spaces");
  const seen = new Map<string, number>();
  for (const text of words.slice(1)) {
    if (text === "") continue;
    const modifier = /^([a-z][a-z0-9_.-]*)=(.*)$/i.exec(text);
    if (modifier?.[1] !== undefined && modifier[2] !== undefined) {
      const name = modifier[1].toLowerCase();
      const value = modifier[2];
      seen.set(name, (seen.get(name) ?? 0) + 1);
      if ((name === "redirect" || name === "exp") && seen.get(name) === 2) errors.push(`"${name}=" appears more than once`);
      if (name === "redirect" || name === "exp") checkDomainSpec(value, text, errors);
      terms.push({ kind: "modifier", name, value, text });
      continue;
    }
    const match = /^([+\-~?]?)([a-z0-9]+)(?:([:/])(.*))?$/i.exec(text);
    const rawName = match?.[2]?.toLowerCase() ?? "";
    if (!match || !["all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"].includes(rawName)) {
      errors.push(`"${text}" is not a known mechanism or a modifier`);
      continue;
    }
    const name = rawName as MechanismName;
    const qualifier = (match[1] || "+") as Qualifier;
    const separator = match[3];
    const rest = match[4] ?? "";
    let target: string | null = null;
    if (name === "all") {
      if (separator) errors.push(`"${text}": "all" takes no argument`);
    } else if (name === "include" || name === "exists") {
      if (separator !== ":") errors.push(`"${text}": ${name} needs ":" and a domain`);
      else {
        target = rest;
        checkDomainSpec(rest, text, errors);
      }
    } else if (name === "ip4" || name === "ip6") {
      const { base, cidrs } = separator === ":" ? splitCidr(rest) : { base: "", cidrs: [] };
      target = base;
      const valid = name === "ip4" ? isIPv4(base) : isIPv6(base);
      const max = name === "ip4" ? 32 : 128;
      if (!valid) errors.push(`"${text}": "${base}" is not an ${name === "ip4" ? "IPv4" : "IPv6"} address`);
      else if (cidrs.length > 1 || cidrs.some((cidr) => !/^\d+$/.test(cidr) || /^0\d/.test(cidr) || Number(cidr) > max)) errors.push(`"${text}": invalid prefix length`);
    } else {
      // a, mx, ptr: optional ":domain" and, except ptr, "/4len" and "//6len".
      const value = separator === "/" ? `/${rest}` : rest;
      const slash = value.indexOf("/");
      const domain = slash < 0 ? value : value.slice(0, slash);
      const cidr = slash < 0 ? "" : value.slice(slash);
      if (separator === ":") {
        target = domain;
        checkDomainSpec(domain, text, errors);
      }
      if (cidr !== "") {
        const dual = /^(?:\/(\d{1,2}))?(?:\/\/(\d{1,3}))?$/.exec(cidr);
        if (name === "ptr" || !dual || cidr === "" || Number(dual[1] ?? 0) > 32 || Number(dual[2] ?? 0) > 128) errors.push(`"${text}": invalid prefix length`);
      }
    }
    terms.push({ kind: "mechanism", qualifier, name, target, text });
  }
  return { terms, errors };
}

/** True when `text` is an SPF record ("v=spf1" then a space or the end, RFC 7208 §4.5). */
export function isSpfRecord(text: string): boolean {
  return /^v=spf1( |$)/i.test(text);
}
