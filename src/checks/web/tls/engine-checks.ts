/**
 * The web.tls.* checks that read the TLS assessment of the raw prober
 * (src/tls/assess.ts), graded by src/tls/grade.ts. One assessment per address
 * on the HTTPS port (settings.webPorts.https, 443) is shared through ctx.memo; every address the
 * policy allows is assessed, up to MAX_ADDRESSES (IPv4 and IPv6 alike), and
 * the verdict is the worst address's.
 */
import { assessTls, type TlsAssessment } from "../../../tls/assess.ts";
import {
  type Grade,
  gradeCipherOrder,
  gradeCiphers,
  gradeCompression,
  gradeEms,
  gradeKexHash,
  gradeKeyExchange,
  gradePqKex,
  gradeSecureRenegotiation,
  gradeVersions,
} from "../../../tls/grade.ts";
import type { DomainContext } from "../../context.ts";
import type { CheckDefinition, CheckOutcome, CheckStatus, Weight } from "../../types.ts";

/** Addresses assessed per domain at most: enough for dual-stack pairs, bounded for names with many records. */
export const MAX_ADDRESSES = 4;

/** The shared assessment of one address on one port (memo key "tls-assessment:443:<address>" in production). */
export function tlsAssessment(ctx: DomainContext, address: string, port = ctx.settings.webPorts.https): Promise<TlsAssessment> {
  return ctx.memo(`tls-assessment:${port}:${address}`, () => {
    ctx.assertTarget(address);
    const gate = ctx.addressGate(address);
    return assessTls(address, port, {
      servername: ctx.domain,
      timeoutMs: ctx.settings.timeoutMs,
      signal: ctx.signal,
      maxConnections: ctx.settings.connectionsPerHost,
      // Each hello's connection within the per-address limit across domains.
      ...(gate ? { gate } : {}),
    });
  });
}

interface Assessed {
  address: string;
  assessment: TlsAssessment;
}

/** An address where nothing listened on 443: every version's probe failed to connect. */
function unreachable(assessment: TlsAssessment): boolean {
  return assessment.acceptedVersions.length === 0 && assessment.versions.every((v) => v.error !== null && /cannot connect/.test(v.error));
}

type Targets = { assessed: Assessed[]; skipped: { address: string; reason: string }[] } | { notTested: string; evidence: Record<string, unknown> };

/** Assesses the domain's addresses (shared between the checks through the memo of each address). */
async function targets(ctx: DomainContext, port: number): Promise<Targets> {
  const hosts = await ctx.addresses(ctx.domain);
  const allowed = [...hosts.ipv4, ...hosts.ipv6];
  if (allowed.length === 0) {
    const reason = hosts.refused.length > 0 ? `every address of ${ctx.domain} is refused (${hosts.refused[0]?.reason ?? ""})` : `${ctx.domain} has no A or AAAA record`;
    return { notTested: reason, evidence: { refused: hosts.refused } };
  }
  // Take IPv4 and IPv6 in turn, so a cap of four still covers both families.
  const chosen: string[] = [];
  for (let i = 0; chosen.length < MAX_ADDRESSES && (i < hosts.ipv4.length || i < hosts.ipv6.length); i++) {
    for (const address of [hosts.ipv4[i], hosts.ipv6[i]]) if (address !== undefined && chosen.length < MAX_ADDRESSES) chosen.push(address);
  }
  const results = await Promise.all(chosen.map(async (address) => ({ address, assessment: await tlsAssessment(ctx, address, port) })));
  const assessed = results.filter((result) => !unreachable(result.assessment));
  const skipped = results
    .filter((result) => unreachable(result.assessment))
    .map((result) => ({ address: result.address, reason: result.assessment.versions[0]?.error ?? "unreachable" }));
  if (assessed.length === 0) {
    return { notTested: `no address of ${ctx.domain} accepts connections on port ${port}, so there is no HTTPS to assess`, evidence: { unreachable: skipped } };
  }
  return { assessed, skipped };
}

/** Worst first: a definite failure outranks a probe error. */
export const ORDER: readonly CheckStatus[] = ["failed", "error", "warning", "passed", "info", "not_tested"];

export function statusOf(grade: Grade): CheckStatus {
  return grade.status === "not_applicable" ? "info" : grade.status;
}

function combine(grades: { address: string; grade: Grade }[], skipped: { address: string; reason: string }[]): CheckOutcome {
  const sorted = [...grades].sort((a, b) => ORDER.indexOf(statusOf(a.grade)) - ORDER.indexOf(statusOf(b.grade)));
  const worst = sorted[0];
  if (!worst) return { status: "not_tested", summary: "no address was assessed", evidence: {} };
  const same = grades.every((g) => g.grade.summary === worst.grade.summary);
  const others = grades.length - 1;
  const summary = grades.length === 1 || same ? worst.grade.summary : `${worst.address}: ${worst.grade.summary} (${others} other address${others > 1 ? "es" : ""} assessed)`;
  return {
    status: statusOf(worst.grade),
    summary,
    evidence: {
      addresses: grades.map(({ address, grade }) => ({ address, status: statusOf(grade), summary: grade.summary, ...grade.evidence })),
      ...(skipped.length > 0 ? { unreachable: skipped } : {}),
    },
  };
}

function engineCheck(id: string, title: string, fix: string, grade: (assessment: TlsAssessment) => Grade, options: { weight?: Weight; standard?: string } = {}): CheckDefinition {
  return {
    id,
    standard: options.standard ?? "tls",
    category: "web.https",
    weight: options.weight ?? "required",
    title,
    fix,
    async run(ctx) {
      const found = await targets(ctx, ctx.settings.webPorts.https);
      if ("notTested" in found) return { status: "not_tested", summary: found.notTested, evidence: found.evidence };
      return combine(
        found.assessed.map(({ address, assessment }) => ({ address, grade: grade(assessment) })),
        found.skipped,
      );
    },
  };
}

/** One graded protocol property: the same grade makes web.tls.<name> (HTTPS) and mail.tls.<name> (SMTP STARTTLS). */
export interface TlsGradeCheck {
  name: string;
  title: string;
  fix: string;
  grade: (assessment: TlsAssessment) => Grade;
  /** The fix for a mail server (Postfix terms), when it differs from the web's. */
  mailFix?: string;
  weight?: Weight;
  standard?: string;
}

/** The graded properties, in report order. */
export const TLS_GRADES: readonly TlsGradeCheck[] = [
  {
    name: "versions",
    title: "TLS versions",
    fix: "Turn off SSLv3, TLS 1.0 and TLS 1.1; offer TLS 1.3 and TLS 1.2 (e.g. nginx: ssl_protocols TLSv1.2 TLSv1.3;).",
    grade: gradeVersions,
    mailFix: "Turn off SSLv3, TLS 1.0 and TLS 1.1 on port 25 (Postfix: smtpd_tls_protocols = >=TLSv1.2).",
  },
  {
    name: "ciphers",
    title: "Cipher suites",
    fix: "Offer only ECDHE suites with AES-GCM or ChaCha20-Poly1305 (and TLS 1.3's); drop RSA key transport, CBC with SHA-1, 3DES, RC4 and CCM_8, and phase out DHE, CBC-SHA256/384, CAMELLIA and ARIA.",
    grade: gradeCiphers,
    mailFix: "Offer only ECDHE suites with AES-GCM or ChaCha20-Poly1305 (and TLS 1.3's) on port 25 (Postfix: smtpd_tls_ciphers = high, smtpd_tls_exclude_ciphers for the rest).",
  },
  {
    name: "cipher-order",
    title: "Cipher order",
    fix: "Make the server choose by its own order (nginx: ssl_prefer_server_ciphers on; Apache: SSLHonorCipherOrder on) and list better suites first.",
    grade: gradeCipherOrder,
    mailFix: "Make the mail server choose by its own order (Postfix: tls_preempt_cipherlist = yes) and list better suites first.",
  },
  {
    name: "key-exchange",
    title: "Key exchange parameters",
    fix: "Use X25519, X448, P-256, P-384 or P-521 for ECDHE; drop finite-field DHE, or use ffdhe3072 or larger (RFC 7919), never ffdhe2048 or custom groups.",
    grade: gradeKeyExchange,
    mailFix: "Use X25519, P-256 or P-384 for ECDHE (Postfix: tls_eecdh_auto_curves); drop finite-field DHE or use ffdhe3072 or larger (Postfix: smtpd_tls_dh1024_param_file with an RFC 7919 group).",
  },
  {
    name: "kex-hash",
    title: "Hash function for key exchange",
    fix: "Refuse SHA-1 for signing the key exchange: allow only SHA-256 or better signature algorithms (e.g. OpenSSL SignatureAlgorithms without RSA+SHA1/ECDSA+SHA1).",
    grade: gradeKexHash,
    mailFix: "Refuse SHA-1 signatures for the key exchange (OpenSSL SignatureAlgorithms without RSA+SHA1/ECDSA+SHA1, e.g. through Postfix tls_config_file).",
  },
  {
    name: "compression",
    title: "TLS compression",
    fix: "Turn off TLS-level compression (OpenSSL: no_comp, the default since 1.1.0).",
    grade: gradeCompression,
    mailFix: "Turn off TLS compression (Postfix: tls_ssl_options = NO_COMPRESSION; the default since OpenSSL 1.1.0).",
  },
  {
    name: "secure-renegotiation",
    title: "Secure renegotiation",
    fix: "Upgrade the TLS library to one that supports RFC 5746 secure renegotiation (every maintained one does).",
    grade: gradeSecureRenegotiation,
    mailFix: "Upgrade the mail server's TLS library to one that supports RFC 5746 secure renegotiation.",
  },
  {
    name: "ems",
    title: "Extended master secret",
    fix: "Turn on the extended master secret extension (RFC 7627) for TLS 1.2; current OpenSSL, nginx and Apache do by default.",
    grade: gradeEms,
    mailFix: "Turn on the extended master secret (RFC 7627) for TLS 1.2; current OpenSSL does by default.",
  },
  /*
   * Recommended, not required: internet.nl has no post-quantum test and the NCSC-NL
   * guidelines do not yet require one, so a server without X25519MLKEM768 is told,
   * not scored. It is worth telling: traffic recorded today can be decrypted once a
   * large quantum computer exists, and hybrid key exchange is what browsers offer now.
   */
  {
    name: "pq-kex",
    title: "Post-quantum key exchange",
    fix: "Offer the hybrid group X25519MLKEM768 in TLS 1.3 (OpenSSL 3.5 and later offer it by default; nginx: ssl_ecdh_curve X25519MLKEM768:X25519:prime256v1;).",
    grade: gradePqKex,
    mailFix: "Offer X25519MLKEM768 in TLS 1.3 (OpenSSL 3.5 and later by default; Postfix: tls_eecdh_auto_curves = X25519MLKEM768 X25519 prime256v1).",
    weight: "recommended",
    standard: "pq-tls",
  },
];

/** The checks, against the HTTPS port of the settings (443; labs use an unprivileged one). */
export const ENGINE_CHECKS: readonly CheckDefinition[] = TLS_GRADES.map((entry) =>
  engineCheck(`web.tls.${entry.name}`, entry.title, entry.fix, entry.grade, { ...(entry.weight ? { weight: entry.weight } : {}), ...(entry.standard ? { standard: entry.standard } : {}) }),
);
