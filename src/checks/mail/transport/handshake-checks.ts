/**
 * The mail checks that read one node:tls handshake per MX address over SMTP
 * STARTTLS: mail.starttls.available, mail.cert.*, and the handshake features
 * (OCSP stapling, 0-RTT, client-initiated renegotiation). Verdicts are the
 * web suite's (web/tls/cert-checks.ts, feature-checks.ts), judged for the
 * MX host name.
 *
 * Certificate trust and name for mail (a choice, following internet.nl and
 * RFC 7672): SMTP between MTAs is opportunistic, senders do not check
 * certificates unless DANE (or MTA-STS) tells them to, and with DANE-EE the
 * PKIX chain and the name do not matter at all (RFC 7672 §3.1.1). So
 * mail.cert.trust and mail.cert.hostname are recommended (told, not
 * scored), and a failure on a server whose DANE TLSA records validate the
 * chain is info, not failed. Keys and signatures are required, as for the web.
 */
import { matchTlsa } from "../../../tls/dane.ts";
import { SmtpError } from "../../../tls/smtp.ts";
import type { CheckDefinition, CheckOutcome } from "../../types.ts";
import { judgeHostname, judgePubkey, judgeSignature, judgeTrust } from "../../web/tls/cert-checks.ts";
import { judgeClientRenegotiation, judgeOcspStapling, judgeZeroRtt } from "../../web/tls/feature-checks.ts";
import { smtpTlsa, SMTP_DANE_USAGES } from "./dane-checks.ts";
import { perServer, smtpChain, smtpHandshake, smtpRenegotiation, type ServerVerdict, type SmtpTarget } from "./targets.ts";
import type { DomainContext } from "../../context.ts";

export const starttlsAvailableCheck: CheckDefinition = {
  id: "mail.starttls.available",
  standard: "starttls",
  category: "mail.starttls",
  weight: "required",
  title: "STARTTLS available",
  fix: "Offer STARTTLS on port 25 of every MX host (Postfix: smtpd_tls_security_level = may, with smtpd_tls_chain_files set) and make sure each MX answers SMTP.",
  run(ctx): Promise<CheckOutcome> {
    // A failed handshake is this check's finding, not a probe error.
    return perServer(
      ctx,
      async (target) => {
        try {
          return { result: await smtpHandshake(ctx, target), error: null, unanswered: false };
        } catch (error) {
          return { result: null, error: error instanceof Error ? error.message : String(error), unanswered: leftUnanswered(error) };
        }
      },
      (_target, probed): ServerVerdict => {
        if (probed.result) {
          return { status: "passed", summary: `STARTTLS completes (${probed.result.protocol})`, evidence: { protocol: probed.result.protocol, cipher: probed.result.cipher.standardName } };
        }
        const reason = probed.error;
        if (probed.unanswered) return { status: "error", summary: `could not be tested: ${reason}`, evidence: { error: reason } };
        return { status: "failed", summary: /does not offer STARTTLS/.test(reason) ? "no STARTTLS offered" : `STARTTLS does not complete: ${reason}`, evidence: { error: reason } };
      },
    );
  },
};

/**
 * Whether a STARTTLS attempt ended without an answer to the question: the
 * server stalled, reset, sent endless or unreadable replies, or refused
 * service (421, or 454 to a STARTTLS it advertised). That is an `error`, not
 * a finding. A server that says it offers no STARTTLS, or whose TLS refuses
 * the handshake with an alert, answered: that is `failed`.
 */
function leftUnanswered(error: unknown): boolean {
  const smtp = error instanceof SmtpError ? error : error instanceof Error && error.cause instanceof SmtpError ? error.cause : null;
  if (smtp) return smtp.kind !== "no-starttls";
  const message = error instanceof Error ? error.message : String(error);
  return /connection reset|within \d+ ms|closed the connection|socket hang up/i.test(message);
}

/** DANE validity of one server's chain (for the trust and name verdicts); false when there are no usable secure records. */
async function daneValid(ctx: DomainContext, target: SmtpTarget): Promise<boolean> {
  const lookup = await smtpTlsa(ctx, target.host);
  if (lookup.failure || lookup.resolution.security !== "secure" || lookup.records.length === 0) return false;
  const { handshake, assessment } = await smtpChain(ctx, target);
  return matchTlsa(lookup.records, { chain: handshake.chain, pkixTrusted: assessment.trust.trusted, pkixPath: assessment.trust.pathDer, hostnameMatches: assessment.hostname.matches, usages: SMTP_DANE_USAGES }).valid;
}

function certCheck(id: string, title: string, fix: string, judge: typeof judgeTrust, options: { daneExcuses: boolean }): CheckDefinition {
  return {
    id,
    standard: "tls",
    category: "mail.starttls",
    weight: options.daneExcuses ? "recommended" : "required",
    title,
    fix,
    run: (ctx) =>
      perServer(ctx, (target) => smtpChain(ctx, target), async (target, { assessment }) => {
        const verdict = judge(assessment);
        if (options.daneExcuses && verdict.status === "failed" && (await daneValid(ctx, target))) {
          return { status: "info", summary: `${verdict.summary}; DANE authenticates this server instead (RFC 7672)`, evidence: { ...verdict.evidence, daneValid: true } };
        }
        return verdict;
      }),
  };
}

export const MAIL_CERT_CHECKS: readonly CheckDefinition[] = [
  certCheck("mail.cert.trust", "Certificate trust chain (mail)", "Serve a certificate from a publicly trusted CA with every intermediate, or publish DANE TLSA records (3 1 1) for the MX host in a DNSSEC-signed zone.", judgeTrust, { daneExcuses: true }),
  certCheck("mail.cert.hostname", "Certificate domain name (mail)", "Use a certificate whose subjectAltName lists the MX host name, or authenticate the server with DANE-EE TLSA records.", judgeHostname, { daneExcuses: true }),
  certCheck("mail.cert.pubkey", "Certificate public keys (mail)", "Use ECDSA keys on P-256 or P-384 (or RSA keys of at least 3072 bits) for the mail server's certificate and its CA.", judgePubkey, { daneExcuses: false }),
  certCheck("mail.cert.signature", "Certificate signatures (mail)", "Replace certificates signed with SHA-1 or MD5 by ones signed with SHA-256 or stronger (leaf and intermediates).", judgeSignature, { daneExcuses: false }),
];

export const MAIL_FEATURE_CHECKS: readonly CheckDefinition[] = [
  {
    id: "mail.tls.ocsp-stapling",
    standard: "tls",
    category: "mail.starttls",
    weight: "informational",
    title: "OCSP stapling (mail)",
    fix: "Enable OCSP stapling where the mail server supports it; senders rarely ask for it, so this is informational.",
    run: (ctx) => perServer(ctx, (target) => smtpHandshake(ctx, target), (_target, result) => judgeOcspStapling(result)),
  },
  {
    id: "mail.tls.zero-rtt",
    standard: "tls",
    category: "mail.starttls",
    weight: "required",
    title: "0-RTT (mail)",
    fix: "Disable TLS 1.3 early data on the mail server (OpenSSL: max_early_data 0; Postfix does not enable it).",
    run: (ctx) => perServer(ctx, (target) => smtpHandshake(ctx, target), (_target, result) => judgeZeroRtt(result)),
  },
  {
    id: "mail.tls.client-renegotiation",
    standard: "tls",
    category: "mail.starttls",
    weight: "informational",
    title: "Client-initiated renegotiation (mail)",
    fix: "Refuse client-initiated renegotiation (OpenSSL 3 refuses it by default; Postfix: tls_ssl_options = NO_RENEGOTIATION).",
    run: (ctx) => perServer(ctx, (target) => smtpRenegotiation(ctx, target), (_target, result) => judgeClientRenegotiation(result)),
  },
];
