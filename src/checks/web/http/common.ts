/**
 * What the web HTTP checks share: the domain's web addresses (those the
 * policy allows), the first HTTPS answer of each, and one way to fold
 * per-address verdicts into one outcome (the worst counts; every address is
 * named in the evidence).
 */
import type { DomainContext, HostAddresses } from "../../context.ts";
import { HttpProbeError, type HttpResponse } from "../../http/client.ts";
import { firstHttpsResponse } from "../../http/fetch.ts";
import type { CheckOutcome, CheckStatus } from "../../types.ts";

/** Evidence lists are capped at this many entries. */
export const EVIDENCE_LIST_CAP = 16;

export interface WebAddresses {
  all: string[];
  found: HostAddresses;
}

export async function webAddresses(ctx: DomainContext): Promise<WebAddresses> {
  const found = await ctx.addresses(ctx.domain);
  return { all: [...found.ipv6, ...found.ipv4], found };
}

/** The outcome when the domain has no address to test: not_tested without any, error when all were refused. */
export function noAddressOutcome(ctx: DomainContext, addresses: WebAddresses): CheckOutcome | null {
  if (addresses.all.length > 0) return null;
  if (addresses.found.refused.length > 0) {
    return {
      status: "error",
      summary: `every address of ${ctx.domain} was refused by the address policy`,
      evidence: { refused: addresses.found.refused.slice(0, EVIDENCE_LIST_CAP) },
    };
  }
  return { status: "not_tested", summary: `${ctx.domain} has no A or AAAA record, so there is no web server to test`, evidence: { addresses: [] } };
}

export type Answer = { address: string; response: HttpResponse; error: null } | { address: string; response: null; error: string };

export async function httpsAnswers(ctx: DomainContext, addresses: readonly string[]): Promise<Answer[]> {
  return Promise.all(addresses.map((address) => answerOf(address, firstHttpsResponse(ctx, address))));
}

export async function answerOf(address: string, pending: Promise<HttpResponse>): Promise<Answer> {
  try {
    return { address, response: await pending, error: null };
  } catch (error) {
    return { address, response: null, error: reasonOf(error) };
  }
}

export function reasonOf(error: unknown): string {
  if (error instanceof HttpProbeError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

export interface AddressVerdict {
  address: string;
  status: CheckStatus;
  summary: string;
  evidence: Record<string, unknown>;
}

const SEVERITY: readonly CheckStatus[] = ["error", "failed", "warning", "info", "passed", "not_tested"];

export function worstStatus(statuses: readonly CheckStatus[]): CheckStatus {
  let worst: CheckStatus = "not_tested";
  for (const status of statuses) if (SEVERITY.indexOf(status) < SEVERITY.indexOf(worst)) worst = status;
  return worst;
}

/**
 * One outcome from per-address verdicts: the worst status; the summary is
 * the shared one when all addresses agree, else the worst address's, naming it.
 */
export function combine(verdicts: readonly AddressVerdict[], extra: Record<string, unknown> = {}): CheckOutcome {
  const status = worstStatus(verdicts.map((verdict) => verdict.status));
  const summaries = new Set(verdicts.map((verdict) => verdict.summary));
  const worst = verdicts.find((verdict) => verdict.status === status);
  let summary = worst?.summary ?? "nothing was tested";
  if (summaries.size > 1 && worst) {
    const others = verdicts.filter((verdict) => verdict.status === status).length;
    summary = `${worst.address}${others > 1 ? ` (and ${others - 1} more)` : ""}: ${worst.summary}`;
  }
  return {
    status,
    summary,
    evidence: {
      ...extra,
      addresses: verdicts.slice(0, EVIDENCE_LIST_CAP).map((verdict) => ({ address: verdict.address, status: verdict.status, summary: verdict.summary, ...verdict.evidence })),
      ...(verdicts.length > EVIDENCE_LIST_CAP ? { addressesOmitted: verdicts.length - EVIDENCE_LIST_CAP } : {}),
    },
  };
}

/** A header value for evidence: at most 512 characters. */
export function boundedText(text: string, max = 512): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/**
 * The headers of the first HTTPS answer of each address, judged by
 * `judge`: the shared skeleton of HSTS and the security header checks.
 * An address whose HTTPS does not answer is an error for that address.
 */
export async function judgeFirstHttpsHeaders(ctx: DomainContext, judge: (response: HttpResponse) => Omit<AddressVerdict, "address">): Promise<CheckOutcome> {
  const addresses = await webAddresses(ctx);
  const none = noAddressOutcome(ctx, addresses);
  if (none) return none;
  const answers = await httpsAnswers(ctx, addresses.all);
  if (answers.every((answer) => answer.response === null)) {
    return {
      status: "not_tested",
      summary: `HTTPS did not answer on any address of ${ctx.domain}, so there are no headers to test`,
      evidence: { errors: answers.slice(0, EVIDENCE_LIST_CAP).map((answer) => ({ address: answer.address, error: answer.error })) },
    };
  }
  const verdicts = answers.map((answer): AddressVerdict => answer.response
    ? { address: answer.address, ...judge(answer.response) }
    : { address: answer.address, status: "error", summary: `HTTPS did not answer: ${answer.error}`, evidence: { error: answer.error } });
  return combine(verdicts, { url: answers.find((answer) => answer.response)?.response?.url ?? null, redirectsFollowed: false });
}
