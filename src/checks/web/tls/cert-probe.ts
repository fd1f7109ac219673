/**
 * What the certificate, DANE and handshake-feature checks share: the
 * addresses to test (every address the policy allows, up to four, both
 * families interleaved), one node:tls handshake per address (memoised as
 * "tls-handshake:443:<address>", so nine checks cost one connection), its
 * chain judged once, and the fold of per-address verdicts into one outcome
 * (the worst counts; each address is named in the evidence).
 */
import type { DomainContext } from "../../context.ts";
import type { CheckOutcome, CheckStatus } from "../../types.ts";
import { judgeChain, type ChainAssessment, type CertificateInfo } from "../../../tls/certificate.ts";
import { handshake, probeClientRenegotiation, type HandshakeOptions, type HandshakeResult, type RenegotiationResult } from "../../../tls/handshake.ts";

export const MAX_ADDRESSES = 4;
export const EVIDENCE_CAP = 16;

/** The HTTPS port: 443, or the lab's stand-in (settings.webPorts). */
export function httpsPort(ctx: DomainContext): number {
  return ctx.settings.webPorts.https;
}

export interface Targets {
  addresses: string[];
  refused: { address: string; reason: string }[];
}

/** IPv6 and IPv4 interleaved, so that four addresses cover both families. */
export async function targets(ctx: DomainContext): Promise<Targets> {
  const found = await ctx.addresses(ctx.domain);
  const addresses: string[] = [];
  for (let index = 0; addresses.length < MAX_ADDRESSES && (index < found.ipv6.length || index < found.ipv4.length); index++) {
    const v6 = found.ipv6[index];
    const v4 = found.ipv4[index];
    if (v6 !== undefined) addresses.push(v6);
    if (v4 !== undefined && addresses.length < MAX_ADDRESSES) addresses.push(v4);
  }
  return { addresses, refused: found.refused.slice(0, EVIDENCE_CAP) };
}

function options(ctx: DomainContext): HandshakeOptions {
  return { servername: ctx.domain, timeoutMs: ctx.settings.timeoutMs, signal: ctx.signal, extraCa: ctx.settings.extraCa, now: ctx.settings.now };
}

export function handshakeOf(ctx: DomainContext, address: string): Promise<HandshakeResult> {
  const port = httpsPort(ctx);
  return ctx.memo(`tls-handshake:${port}:${address}`, async () => {
    ctx.assertTarget(address);
    // One connection, within the per-address limit across domains.
    return ctx.gated(address, () => handshake(address, port, options(ctx)));
  });
}

export function renegotiationOf(ctx: DomainContext, address: string): Promise<RenegotiationResult> {
  const port = httpsPort(ctx);
  return ctx.memo(`tls-renegotiation:${port}:${address}`, async () => {
    ctx.assertTarget(address);
    return ctx.gated(address, () => probeClientRenegotiation(address, port, options(ctx)));
  });
}

/** The chain of `address` judged for the domain's name (once per address). */
export function assessmentOf(ctx: DomainContext, address: string): Promise<{ handshake: HandshakeResult; assessment: ChainAssessment }> {
  return ctx.memo(`cert-assessment:${httpsPort(ctx)}:${address}`, async () => {
    const result = await handshakeOf(ctx, address);
    return { handshake: result, assessment: judgeChain(result.chain, { hostname: ctx.domain, extraCa: ctx.settings.extraCa, now: ctx.settings.now() }) };
  });
}

export interface AddressVerdict {
  status: CheckStatus;
  summary: string;
  evidence: Record<string, unknown>;
}

/** Worse first (as the scoring orders statuses). */
const SEVERITY: readonly CheckStatus[] = ["error", "failed", "warning", "passed", "info", "not_tested"];

/**
 * Runs `judge` for each address and folds the verdicts. When no address
 * completes a handshake the outcome is not_tested (there is no HTTPS to
 * judge; web.https.available reports that); when only some fail, those are
 * errors.
 */
export async function perAddress<T>(ctx: DomainContext, probe: (address: string) => Promise<T>, judge: (address: string, probed: T) => AddressVerdict | Promise<AddressVerdict>): Promise<CheckOutcome> {
  const { addresses, refused } = await targets(ctx);
  if (addresses.length === 0) {
    if (refused.length > 0) return { status: "error", summary: `every address of ${ctx.domain} was refused by the address policy`, evidence: { refused } };
    return { status: "not_tested", summary: `${ctx.domain} has no A or AAAA record, so there is no HTTPS server to test`, evidence: { addresses: [] } };
  }
  const verdicts = await Promise.all(addresses.map(async (address): Promise<AddressVerdict & { address: string; reached: boolean }> => {
    let probed: T;
    try {
      probed = await probe(address);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { address, reached: false, status: "error", summary: `no TLS handshake with ${address}: ${reason}`, evidence: { error: reason } };
    }
    return { address, reached: true, ...(await judge(address, probed)) };
  }));
  const port = httpsPort(ctx);
  const listed = verdicts.map((verdict) => ({ address: verdict.address, status: verdict.status, summary: verdict.summary, ...verdict.evidence }));
  const evidence: Record<string, unknown> = { port, addresses: listed, ...(refused.length > 0 ? { refused } : {}) };
  if (verdicts.every((verdict) => !verdict.reached)) {
    return { status: "not_tested", summary: `no TLS handshake on port ${port}: ${verdicts[0]?.summary ?? "no address"}`, evidence };
  }
  const worst = verdicts.reduce((a, b) => (SEVERITY.indexOf(b.status) < SEVERITY.indexOf(a.status) ? b : a));
  const same = verdicts.every((verdict) => verdict.summary === worst.summary);
  const summary = verdicts.length === 1 || same ? worst.summary : `${worst.address}: ${worst.summary}`;
  return { status: worst.status, summary, evidence };
}

/** Bounded facts of one certificate, for evidence. */
export function certificateEvidence(info: CertificateInfo | undefined): Record<string, unknown> | null {
  if (!info) return null;
  return {
    subject: info.subject,
    issuer: info.issuer,
    subjectAltNames: info.subjectAltNames.slice(0, EVIDENCE_CAP),
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    keyType: info.keyType,
    keyBits: info.keyBits,
    curve: info.curve,
    signatureAlgorithm: info.signatureAlgorithm,
    fingerprint256: info.fingerprint256,
  };
}
