/**
 * Handshake features a real client sees: OCSP stapling (internet.nl:
 * informational), 0-RTT (internet.nl: early data accepted fails; here: the
 * server's TLS 1.3 tickets advertise max_early_data_size > 0, which is the
 * server inviting replayable 0-RTT data; Node cannot send early data to
 * confirm it) and client-initiated renegotiation (internet.nl:
 * informational; allowed warns: each renegotiation costs the server a full
 * handshake, a denial-of-service lever).
 */
import type { CheckDefinition } from "../../types.ts";
import type { HandshakeResult, RenegotiationResult } from "../../../tls/handshake.ts";
import { type AddressVerdict, handshakeOf, perAddress, renegotiationOf } from "./cert-probe.ts";

export const ocspStaplingCheck: CheckDefinition = {
  id: "web.tls.ocsp-stapling",
  standard: "tls",
  category: "web.https",
  weight: "informational",
  title: "OCSP stapling",
  fix: "Enable OCSP stapling (nginx: ssl_stapling on; Apache: SSLUseStapling on), so clients learn the certificate's status without asking the CA.",
  run: (ctx) => perAddress(ctx, (address) => handshakeOf(ctx, address), (_address, result) => judgeOcspStapling(result)),
};

export const zeroRttCheck: CheckDefinition = {
  id: "web.tls.zero-rtt",
  standard: "tls",
  category: "web.https",
  weight: "required",
  title: "0-RTT",
  fix: "Disable TLS 1.3 early data (nginx: ssl_early_data off; OpenSSL: max_early_data 0), or accept it only for requests that are safe to replay.",
  run: (ctx) => perAddress(ctx, (address) => handshakeOf(ctx, address), (_address, result) => judgeZeroRtt(result)),
};

export const clientRenegotiationCheck: CheckDefinition = {
  id: "web.tls.client-renegotiation",
  standard: "tls",
  category: "web.https",
  weight: "informational",
  title: "Client-initiated renegotiation",
  fix: "Refuse client-initiated renegotiation (OpenSSL 3 refuses it unless SSL_OP_ALLOW_CLIENT_RENEGOTIATION is set; or offer TLS 1.3 only).",
  run: (ctx) => perAddress(ctx, (address) => renegotiationOf(ctx, address), (_address, result) => judgeClientRenegotiation(result)),
};

/** The verdicts of one handshake (web and mail alike). */
export function judgeOcspStapling(result: HandshakeResult): AddressVerdict {
  const staple = result.ocsp;
  if (!staple) return { status: "info", summary: "the server does not staple an OCSP response", evidence: { stapled: false } };
  const evidence = {
    stapled: true,
    responseStatus: staple.responseStatus,
    leafStatus: staple.leafStatus,
    fresh: staple.fresh,
    producedAt: staple.producedAt,
    responses: staple.responses.slice(0, 4),
    bytes: staple.bytes,
    ...(staple.parseError ? { parseError: staple.parseError } : {}),
  };
  if (staple.parseError) return { status: "warning", summary: `the stapled OCSP response cannot be read: ${staple.parseError}`, evidence };
  if (staple.responseStatus !== "successful") return { status: "warning", summary: `the stapled OCSP response says ${staple.responseStatus}`, evidence };
  if (staple.leafStatus === null) return { status: "warning", summary: "the stapled OCSP response is not about the server's certificate", evidence };
  if (staple.leafStatus === "revoked") return { status: "failed", summary: "the stapled OCSP response says the certificate is revoked", evidence };
  if (staple.leafStatus === "unknown") return { status: "warning", summary: "the stapled OCSP response says the certificate's status is unknown", evidence };
  if (staple.fresh === false) return { status: "warning", summary: "the stapled OCSP response is outside its validity period (stale)", evidence };
  return { status: "passed", summary: "the server staples a current OCSP response saying the certificate is good", evidence };
}

export function judgeZeroRtt(result: HandshakeResult): AddressVerdict {
  const session = result.session;
  const evidence = { protocol: result.protocol, ticketsReceived: session.count, ticket: session.ticket, lifetimeHintSeconds: session.lifetimeHintSeconds, maxEarlyData: session.maxEarlyData };
  if (result.protocol !== "TLSv1.3") return { status: "passed", summary: `0-RTT needs TLS 1.3; the server negotiated ${result.protocol}`, evidence };
  if (session.maxEarlyData > 0) {
    return { status: "failed", summary: `the server's session tickets allow ${session.maxEarlyData} bytes of 0-RTT early data, which can be replayed`, evidence };
  }
  if (session.parseError && session.count > 0 && !session.ticket) {
    return { status: "error", summary: `could not be tested: the session tickets could not be read (${session.parseError})`, evidence: { ...evidence, parseError: session.parseError } };
  }
  if (!session.received) return { status: "passed", summary: "the server sent no session ticket, so no 0-RTT resumption", evidence };
  return { status: "passed", summary: "the server's session tickets do not allow 0-RTT early data", evidence };
}

export function judgeClientRenegotiation(result: RenegotiationResult): AddressVerdict {
  const evidence = { tested: result.tested, accepted: result.accepted, protocol: result.protocol, detail: result.detail };
  if (!result.tested) return { status: "passed", summary: "the server speaks only TLS 1.3, which has no renegotiation", evidence };
  if (result.accepted) return { status: "warning", summary: "the server allows client-initiated renegotiation", evidence };
  return { status: "passed", summary: `the server refuses client-initiated renegotiation (${result.detail})`, evidence };
}

export const FEATURE_CHECKS: readonly CheckDefinition[] = [ocspStaplingCheck, zeroRttCheck, clientRenegotiationCheck];
