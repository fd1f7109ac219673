/**
 * What the mail transport checks share: the SMTP servers to test (every MX
 * host, at most MAX_MX, and of each the first MAX_ADDRESSES_PER_MX addresses
 * the policy allows, IPv6 and IPv4 in turn), the probes of one address over
 * SMTP STARTTLS (shared per address through ctx.memo, so that twenty checks
 * cost one assessment, one handshake and one renegotiation probe), and the
 * fold of per-server verdicts into one outcome: the worst counts, and each
 * MX host and address is named in the evidence.
 *
 * Not tested, with the reason: a null MX (RFC 7505), no MX (mail would go to
 * the domain's A/AAAA under RFC 5321 §5.1; internet.nl does not test that
 * either), MX hosts without an allowed address.
 */
import { assessTls, type TlsAssessment } from "../../../tls/assess.ts";
import { judgeChain, type ChainAssessment } from "../../../tls/certificate.ts";
import { handshake, probeClientRenegotiation, type HandshakeOptions, type HandshakeResult, type RenegotiationResult } from "../../../tls/handshake.ts";
import { createGate, type Connector } from "../../../tls/connection.ts";
import { gateConnector, SMTP_CONNECTIONS_PER_HOST, smtpConnector, SmtpError } from "../../../tls/smtp.ts";
import type { DomainContext } from "../../context.ts";
import type { CheckOutcome, CheckStatus } from "../../types.ts";
import { mailServers } from "../mx.ts";

/** Addresses tested per MX host: one of each family for a dual-stack host, bounded for hosts with many records. */
export const MAX_ADDRESSES_PER_MX = 2;
export const EVIDENCE_CAP = 16;

export interface SmtpTarget {
  /** The MX host name (lower case, no trailing dot). */
  host: string;
  preference: number;
  address: string;
}

export type TargetList =
  | { targets: SmtpTarget[]; skipped: { host: string; reason: string }[]; omitted: number }
  | { notTested: string; evidence: Record<string, unknown> };

/** The SMTP servers of the domain (one memo per domain). */
export function smtpTargets(ctx: DomainContext): Promise<TargetList> {
  return ctx.memo("smtp-targets", async (): Promise<TargetList> => {
    const servers = await mailServers(ctx);
    if (servers.nullMx) return { notTested: "the domain receives no mail (null MX, RFC 7505)", evidence: { nullMx: true } };
    if (servers.resolution.rcode !== "NOERROR" && servers.resolution.rcode !== "NXDOMAIN") {
      throw new Error(`the MX lookup of ${ctx.domain} failed (${servers.resolution.rcode})`);
    }
    if (servers.hosts.length === 0) return { notTested: `${ctx.domain} has no MX records, so there is no mail server to test`, evidence: { mx: [] } };
    const targets: SmtpTarget[] = [];
    const skipped: { host: string; reason: string }[] = [];
    await Promise.all(
      servers.hosts.map(async (mx) => {
        const found = await ctx.addresses(mx.name);
        const chosen: string[] = [];
        for (let i = 0; chosen.length < MAX_ADDRESSES_PER_MX && (i < found.ipv6.length || i < found.ipv4.length); i++) {
          for (const address of [found.ipv6[i], found.ipv4[i]]) if (address !== undefined && chosen.length < MAX_ADDRESSES_PER_MX) chosen.push(address);
        }
        if (chosen.length === 0) {
          skipped.push({ host: mx.name, reason: found.refused.length > 0 ? `every address is refused (${found.refused[0]?.reason ?? ""})` : "no A or AAAA record" });
        }
        for (const address of chosen) targets.push({ host: mx.name, preference: mx.preference, address });
      }),
    );
    // Promise.all finished in any order: back to MX order.
    targets.sort((a, b) => a.preference - b.preference || a.host.localeCompare(b.host));
    if (targets.length === 0) {
      return { notTested: `no MX host of ${ctx.domain} has an address to test (${skipped[0]?.host ?? "?"}: ${skipped[0]?.reason ?? "?"})`, evidence: { skipped: skipped.slice(0, EVIDENCE_CAP) } };
    }
    return { targets, skipped: skipped.slice(0, EVIDENCE_CAP), omitted: servers.omitted };
  });
}

/**
 * The SMTP STARTTLS connector for one address: every probe of that address
 * (assessment, handshake, renegotiation, for every MX name on it) shares one
 * gate of at most SMTP_CONNECTIONS_PER_HOST connections.
 */
function connector(ctx: DomainContext, address: string): Promise<Connector> {
  return ctx.memo(`smtp-connector:${address}`, () => {
    const smtp = smtpConnector({ stepTimeoutMs: ctx.settings.timeoutMs });
    // Inside this domain's gate, each connection also holds a slot of the per-address limit across domains, for its whole life.
    const across = ctx.addressGate(address);
    return Promise.resolve(gateConnector(createGate(Math.min(ctx.settings.connectionsPerHost, SMTP_CONNECTIONS_PER_HOST)), across ? gateConnector(across, smtp) : smtp));
  });
}

async function handshakeOptions(ctx: DomainContext, target: SmtpTarget): Promise<HandshakeOptions> {
  // SMTP greets and answers EHLO before TLS starts, and the slot may have to be waited for: a larger budget.
  return { servername: target.host, timeoutMs: ctx.settings.timeoutMs * 3, signal: ctx.signal, extraCa: ctx.settings.extraCa, now: ctx.settings.now, connect: await connector(ctx, target.address) };
}

/** The raw-hello assessment of one SMTP address (hellos at most SMTP_CONNECTIONS_PER_HOST at once). */
export function smtpAssessment(ctx: DomainContext, target: SmtpTarget): Promise<TlsAssessment> {
  const port = ctx.settings.smtpPort;
  return ctx.memo(`tls-assessment:smtp:${port}:${target.address}:${target.host}`, async () => {
    ctx.assertTarget(target.address);
    return assessTls(target.address, port, {
      servername: target.host,
      timeoutMs: ctx.settings.timeoutMs,
      signal: ctx.signal,
      maxConnections: Math.min(ctx.settings.connectionsPerHost, SMTP_CONNECTIONS_PER_HOST),
      connect: await connector(ctx, target.address),
    });
  });
}

export function smtpHandshake(ctx: DomainContext, target: SmtpTarget): Promise<HandshakeResult> {
  const port = ctx.settings.smtpPort;
  return ctx.memo(`tls-handshake:smtp:${port}:${target.address}:${target.host}`, async () => {
    ctx.assertTarget(target.address);
    return handshake(target.address, port, await handshakeOptions(ctx, target));
  });
}

export function smtpRenegotiation(ctx: DomainContext, target: SmtpTarget): Promise<RenegotiationResult> {
  const port = ctx.settings.smtpPort;
  return ctx.memo(`tls-renegotiation:smtp:${port}:${target.address}:${target.host}`, async () => {
    ctx.assertTarget(target.address);
    return probeClientRenegotiation(target.address, port, await handshakeOptions(ctx, target));
  });
}

/** The chain of one SMTP address judged for the MX host name. */
export function smtpChain(ctx: DomainContext, target: SmtpTarget): Promise<{ handshake: HandshakeResult; assessment: ChainAssessment }> {
  return ctx.memo(`cert-assessment:smtp:${ctx.settings.smtpPort}:${target.address}:${target.host}`, async () => {
    const result = await smtpHandshake(ctx, target);
    return { handshake: result, assessment: judgeChain(result.chain, { hostname: target.host, extraCa: ctx.settings.extraCa, now: ctx.settings.now() }) };
  });
}

export interface ServerVerdict {
  status: CheckStatus;
  summary: string;
  evidence: Record<string, unknown>;
}

/** Worse first. */
const SEVERITY: readonly CheckStatus[] = ["failed", "error", "warning", "passed", "info", "not_tested"];

/**
 * Probes and judges every SMTP server and folds the verdicts. A probe that
 * throws is that server's error; when no server could be probed at all the
 * outcome is `whenNoneReached` (not_tested: mail.starttls.available reports
 * why), else the worst verdict, summarised with the MX host it came from.
 */
export async function perServer<T>(
  ctx: DomainContext,
  probe: (target: SmtpTarget) => Promise<T>,
  judge: (target: SmtpTarget, probed: T) => ServerVerdict | Promise<ServerVerdict>,
  options: { reachable?: (probed: T) => boolean } = {},
): Promise<CheckOutcome> {
  const found = await smtpTargets(ctx);
  if ("notTested" in found) return { status: "not_tested", summary: found.notTested, evidence: found.evidence };
  const verdicts = await Promise.all(
    found.targets.map(async (target): Promise<ServerVerdict & { target: SmtpTarget; reached: boolean }> => {
      let probed: T;
      try {
        probed = await probe(target);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        // No STARTTLS (not offered, refused, no SMTP at all): nothing to judge here; mail.starttls.available reports it.
        if (error instanceof Error && error.cause instanceof SmtpError) {
          return { target, reached: false, status: "not_tested", summary: `${target.host} (${target.address}): no TLS over STARTTLS (${reason})`, evidence: { error: reason } };
        }
        return { target, reached: false, status: "error", summary: `no TLS over STARTTLS with ${target.host} (${target.address}): ${reason}`, evidence: { error: reason } };
      }
      if (options.reachable && !options.reachable(probed)) {
        return { target, reached: false, status: "not_tested", summary: `${target.host} (${target.address}) could not be reached over SMTP STARTTLS`, evidence: {} };
      }
      return { target, reached: true, ...(await judge(target, probed)) };
    }),
  );
  const port = ctx.settings.smtpPort;
  const evidence: Record<string, unknown> = {
    port,
    servers: verdicts.slice(0, EVIDENCE_CAP * 2).map((v) => ({ host: v.target.host, address: v.target.address, status: v.status, summary: v.summary, ...v.evidence })),
    ...(found.skipped.length > 0 ? { skipped: found.skipped } : {}),
    ...(found.omitted > 0 ? { omittedMx: found.omitted } : {}),
  };
  if (verdicts.every((v) => !v.reached)) {
    return { status: "not_tested", summary: `no mail server completed TLS over STARTTLS on port ${port}: ${verdicts[0]?.summary ?? "none"}`, evidence };
  }
  // Servers without STARTTLS are left out of the verdict (named in the evidence); the rest's worst counts.
  const judged = verdicts.filter((v) => v.reached || v.status !== "not_tested");
  const worst = judged.reduce((a, b) => (SEVERITY.indexOf(b.status) < SEVERITY.indexOf(a.status) ? b : a));
  const same = judged.every((v) => v.summary === worst.summary);
  const others = judged.length - 1;
  const left = verdicts.length - judged.length;
  const leftOut = left > 0 ? `; ${left} server${left === 1 ? "" : "s"} without STARTTLS not judged` : "";
  const summary =
    judged.length === 1 || same
      ? `${worst.summary}${judged.length > 1 ? ` (all ${judged.length} mail servers)` : ""}${leftOut}`
      : `${worst.target.host} (${worst.target.address}): ${worst.summary} (${others} other server${others === 1 ? "" : "s"} tested${leftOut})`;
  return { status: worst.status, summary, evidence };
}
