/**
 * mail.spf.exists and mail.spf.policy (RFC 7208). The domain publishes
 * exactly one "v=spf1" TXT record; its policy ends in "~all" or "-all"
 * (directly or through redirect=), not "+all", "?all" or nothing (neutral),
 * and the whole include/redirect tree stays within the 10 terms that cost a
 * DNS lookup (§4.6.4) and 2 void lookups, with valid syntax everywhere: a
 * receiver answers permerror otherwise, which most treat as no SPF at all.
 *
 * The walk is ours (see spf-parse.ts for why mailauth does not fit a policy
 * check). It reads every term of every record (the worst case a receiver
 * may meet, as internet.nl counts), through Baseline's validating resolver
 * (ctx.resolve). Terms whose domain holds macros name a domain only per
 * sender; they count as a lookup and are listed, but not followed.
 */
import { DnsInputError, type Resolution } from "../../../dns/resolver.ts";
import type { DomainContext } from "../../context.ts";
import type { CheckDefinition, CheckOutcome } from "../../types.ts";
import { hasMacro, isSpfRecord, LOOKUP_MECHANISMS, parseSpf, type Qualifier } from "./spf-parse.ts";
import { lookupEvidence, lookupProblem, quoteRecord, txtLookup, type TxtLookup } from "./txt.ts";

export const MAX_LOOKUPS = 10;
export const MAX_VOID_LOOKUPS = 2;
/** RFC 7208 §4.6.4: an mx mechanism may look up at most 10 MX names. */
const MAX_MX_NAMES = 10;
const MAX_TREE = 30;

export interface SpfRecordLookup {
  lookup: TxtLookup;
  /** The v=spf1 records found. */
  records: string[];
}

/** The domain's own SPF records, shared by the checks (DKIM reads it for the no-mail rule). */
export function spfRecordOf(ctx: DomainContext, domain = ctx.domain): Promise<SpfRecordLookup> {
  return ctx.memo(`spf:record:${domain}`, async () => {
    const lookup = await txtLookup(ctx, domain);
    return { lookup, records: lookup.texts.filter(isSpfRecord) };
  });
}

export interface SpfEvaluation {
  record: string;
  /** Terms that cost a DNS lookup, over the whole tree (redirect included). */
  lookups: number;
  voidLookups: number;
  /** Permanent errors (a receiver's permerror), each naming the domain and term. */
  permerrors: string[];
  /** Lookups that failed (a receiver's temperror). */
  temperrors: string[];
  /** The qualifier of the "all" that ends the policy, through redirects; null: none (neutral). */
  all: Qualifier | null;
  /** Where that all (or its absence) was read. */
  allDomain: string;
  /** Records read, domain and text (bounded). */
  tree: { domain: string; via: string; record: string }[];
  /** Terms with macros, counted but not followed. */
  macroTerms: string[];
}

interface WalkState {
  lookups: number;
  voidLookups: number;
  permerrors: string[];
  temperrors: string[];
  tree: SpfEvaluation["tree"];
  macroTerms: string[];
  stopped: boolean;
}

function isVoid(resolution: Resolution, type: string): boolean {
  return resolution.rcode === "NXDOMAIN" || !resolution.answer.some((record) => record.type === type);
}

/** Counts one lookup term; false (and a permerror) once past the limit. */
function countLookup(state: WalkState, domain: string, term: string): boolean {
  state.lookups++;
  if (state.lookups > MAX_LOOKUPS) {
    state.permerrors.push(`more than ${MAX_LOOKUPS} DNS-querying terms (the 11th is "${term}" in the record of ${domain})`);
    state.stopped = true;
    return false;
  }
  return true;
}

async function countVoid(state: WalkState, domain: string, term: string, lookups: Promise<Resolution>[], type: string[]): Promise<void> {
  const answers = await Promise.all(lookups);
  const problem = answers.map(lookupProblem).find((entry) => entry !== null);
  if (problem) {
    state.temperrors.push(`${problem} (for "${term}" in the record of ${domain})`);
    return;
  }
  if (answers.every((resolution, index) => isVoid(resolution, type[index] ?? ""))) {
    state.voidLookups++;
    if (state.voidLookups > MAX_VOID_LOOKUPS) {
      state.permerrors.push(`more than ${MAX_VOID_LOOKUPS} lookups return no answer (the last: "${term}" in the record of ${domain})`);
      state.stopped = true;
    }
  }
}

/** Reads the SPF record of `domain` and its terms; returns the all that ends it (through redirect), or null. */
async function walk(ctx: DomainContext, state: WalkState, domain: string, via: string, depth: number): Promise<{ all: Qualifier | null; allDomain: string }> {
  const none = { all: null, allDomain: domain };
  let found: SpfRecordLookup;
  try {
    found = await spfRecordOf(ctx, domain);
  } catch (error) {
    // A name the resolver refuses to ask for (too long, bad characters) is the record's fault.
    if (!(error instanceof DnsInputError)) throw error;
    state.permerrors.push(`${via} names "${domain}", which is not a valid domain name (${error.message})`);
    return none;
  }
  const { lookup, records } = found;
  const problem = lookupProblem(lookup.resolution);
  if (problem) {
    state.temperrors.push(problem);
    return none;
  }
  if (records.length !== 1) {
    state.permerrors.push(records.length === 0 ? `${via} names ${domain}, which has no SPF record` : `${domain} has ${records.length} SPF records (exactly one is allowed): ${records.slice(0, 3).map((record) => quoteRecord(record)).join(", ")}`);
    return none;
  }
  const record = records[0] ?? "";
  if (state.tree.length < MAX_TREE) state.tree.push({ domain, via, record: record.slice(0, 512) });
  const parsed = parseSpf(record);
  if (parsed.errors.length > 0) {
    state.permerrors.push(`syntax error in the record of ${domain} (${parsed.errors.slice(0, 3).join("; ")}): ${quoteRecord(record)}`);
    return none;
  }
  let all: Qualifier | null = null;
  let redirect: string | null = null;
  for (const term of parsed.terms) {
    if (state.stopped) return none;
    if (term.kind === "modifier") {
      if (term.name === "redirect") redirect = term.value;
      continue;
    }
    if (term.name === "all") {
      // Evaluation ends at all; later terms and redirect= are never reached (RFC 7208 §5.1, §6.1).
      all ??= term.qualifier;
      continue;
    }
    if (all !== null || !LOOKUP_MECHANISMS.has(term.name)) continue;
    if (!countLookup(state, domain, term.text)) return none;
    const target = term.target ?? domain;
    if (hasMacro(target)) {
      state.macroTerms.push(`${domain}: ${term.text}`);
      continue;
    }
    try {
      await followTerm(ctx, state, domain, term.name, term.text, target, depth);
    } catch (error) {
      if (!(error instanceof DnsInputError)) throw error;
      state.permerrors.push(`"${term.text}" in the record of ${domain} names an invalid domain (${error.message})`);
      state.stopped = true;
    }
  }
  if (all !== null) return { all, allDomain: domain };
  if (redirect !== null && !state.stopped) {
    if (!countLookup(state, domain, `redirect=${redirect}`)) return none;
    if (hasMacro(redirect)) {
      state.macroTerms.push(`${domain}: redirect=${redirect}`);
      return none;
    }
    if (depth >= MAX_LOOKUPS) return none;
    return walk(ctx, state, redirect, `"redirect=${redirect}" in the record of ${domain}`, depth + 1);
  }
  return none;
}

/** Looks up what one DNS-querying term names: an include's record, or the a/mx/exists answers (for the void count). */
async function followTerm(ctx: DomainContext, state: WalkState, domain: string, name: string, text: string, target: string, depth: number): Promise<void> {
  switch (name) {
    case "include":
      if (depth < MAX_LOOKUPS) await walk(ctx, state, target, `"${text}" in the record of ${domain}`, depth + 1);
      break;
    case "a":
      await countVoid(state, domain, text, [ctx.resolve(target, "A"), ctx.resolve(target, "AAAA")], ["A", "AAAA"]);
      break;
    case "exists":
      await countVoid(state, domain, text, [ctx.resolve(target, "A")], ["A"]);
      break;
    case "mx": {
      const mx = await ctx.resolve(target, "MX");
      await countVoid(state, domain, text, [Promise.resolve(mx)], ["MX"]);
      const names = mx.answer.filter((record) => record.type === "MX").length;
      if (names > MAX_MX_NAMES) state.permerrors.push(`"${text}" in the record of ${domain}: ${target} has ${names} MX records, more than the ${MAX_MX_NAMES} an mx term may look up`);
      break;
    }
    default:
      // ptr: the lookup depends on the sender's address; it still counts (and RFC 7208 §5.5 says do not use it).
      break;
  }
}

/** Evaluates the policy of the domain's one SPF record (call only when there is exactly one). */
export function evaluateSpf(ctx: DomainContext): Promise<SpfEvaluation> {
  return ctx.memo("spf:evaluation", async () => {
    const state: WalkState = { lookups: 0, voidLookups: 0, permerrors: [], temperrors: [], tree: [], macroTerms: [], stopped: false };
    const { records } = await spfRecordOf(ctx);
    const result = await walk(ctx, state, ctx.domain, "the domain", 0);
    return { record: records[0] ?? "", lookups: state.lookups, voidLookups: state.voidLookups, permerrors: state.permerrors, temperrors: state.temperrors, all: result.all, allDomain: result.allDomain, tree: state.tree, macroTerms: state.macroTerms.slice(0, 10) };
  });
}

export const spfExists: CheckDefinition = {
  id: "mail.spf.exists",
  standard: "spf",
  category: "mail.auth",
  weight: "required",
  title: "SPF record",
  fix: "Publish one TXT record \"v=spf1 ... -all\" at the domain listing the servers that send its mail (\"v=spf1 -all\" if it sends none).",
  async run(ctx): Promise<CheckOutcome> {
    const { lookup, records } = await spfRecordOf(ctx);
    const evidence = { lookup: lookupEvidence(lookup), spfRecords: records.slice(0, 5) };
    const problem = lookupProblem(lookup.resolution);
    if (problem) return { status: "error", summary: `could not be tested: ${problem}`, evidence };
    if (records.length === 1) return { status: "passed", summary: `${ctx.domain} publishes an SPF record: ${quoteRecord(records[0] ?? "")}`, evidence };
    if (records.length === 0) return { status: "failed", summary: `${ctx.domain} has no SPF record (no TXT record starting with "v=spf1")`, evidence };
    return { status: "failed", summary: `${ctx.domain} has ${records.length} SPF records; exactly one is allowed (receivers answer permerror): ${records.slice(0, 2).map((record) => quoteRecord(record, 100)).join(", ")}`, evidence };
  },
};

const ALL_WORDS: Record<Qualifier, string> = { "+": "+all (pass for every sender)", "?": "?all (neutral)", "~": "~all (softfail)", "-": "-all (fail)" };

export const spfPolicy: CheckDefinition = {
  id: "mail.spf.policy",
  standard: "spf",
  category: "mail.auth",
  weight: "required",
  title: "SPF policy",
  fix: "End the SPF record with \"-all\" (or \"~all\"), fix any syntax error, and keep the include/redirect tree within 10 DNS-querying terms (flatten includes you do not need).",
  async run(ctx): Promise<CheckOutcome> {
    const { lookup, records } = await spfRecordOf(ctx);
    const problem = lookupProblem(lookup.resolution);
    if (problem) return { status: "error", summary: `could not be tested: ${problem}`, evidence: { lookup: lookupEvidence(lookup) } };
    if (records.length === 0) return { status: "not_tested", summary: `${ctx.domain} has no SPF record (see mail.spf.exists)`, evidence: { lookup: lookupEvidence(lookup) } };
    if (records.length > 1) return { status: "failed", summary: `${ctx.domain} has ${records.length} SPF records, so receivers answer permerror`, evidence: { spfRecords: records.slice(0, 5) } };
    const result = await evaluateSpf(ctx);
    const evidence = { record: result.record, lookups: result.lookups, voidLookups: result.voidLookups, all: result.all, allDomain: result.allDomain, permerrors: result.permerrors.slice(0, 10), temperrors: result.temperrors.slice(0, 10), tree: result.tree, macroTerms: result.macroTerms };
    if (result.permerrors.length > 0) {
      return { status: "failed", summary: `the SPF policy of ${ctx.domain} is invalid (receivers answer permerror): ${result.permerrors[0] ?? ""}`, evidence };
    }
    if (result.temperrors.length > 0) {
      return { status: "error", summary: `could not be tested: ${result.temperrors[0] ?? ""}`, evidence };
    }
    const where = result.allDomain === ctx.domain ? "" : ` (through redirect to ${result.allDomain})`;
    const count = `${result.lookups} of ${MAX_LOOKUPS} DNS-querying terms`;
    if (result.all === null) {
      return { status: "failed", summary: `the SPF policy of ${ctx.domain} ends without "all" or redirect${where}, so mail from any other server is neutral; end it with -all or ~all (${count})`, evidence };
    }
    if (result.all === "+" || result.all === "?") {
      return { status: "failed", summary: `the SPF policy of ${ctx.domain} ends with ${ALL_WORDS[result.all]}${where}, which does not reject forged senders; use -all or ~all`, evidence };
    }
    const macros = result.macroTerms.length > 0 ? `; ${result.macroTerms.length} term(s) with macros not followed` : "";
    return { status: "passed", summary: `the SPF policy of ${ctx.domain} ends with ${ALL_WORDS[result.all]}${where} and uses ${count}${macros}`, evidence };
  },
};
