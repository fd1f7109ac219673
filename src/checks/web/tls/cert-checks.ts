/**
 * web.cert.trust, web.cert.hostname, web.cert.pubkey, web.cert.signature:
 * the chain each web address presents in a node:tls handshake, judged by
 * src/tls/certificate.ts (internet.nl's certificate tests; NCSC-NL TLS
 * guidelines 2025 for keys and signature hashes). All four are scored.
 */
import type { CheckDefinition, CheckStatus } from "../../types.ts";
import { worstRating, type ChainAssessment, type Rating } from "../../../tls/certificate.ts";
import { type AddressVerdict, assessmentOf, certificateEvidence, EVIDENCE_CAP, perAddress } from "./cert-probe.ts";

const RATING_STATUS: Record<Rating, CheckStatus> = { good: "passed", sufficient: "passed", "phase-out": "warning", insufficient: "failed" };

export const certTrustCheck: CheckDefinition = {
  id: "web.cert.trust",
  standard: "tls",
  category: "web.https",
  weight: "required",
  title: "Certificate trust chain",
  fix: "Serve a certificate from a publicly trusted CA together with every intermediate certificate (the full chain), and renew it before it expires.",
  run: (ctx) => perAddress(ctx, (address) => assessmentOf(ctx, address), (_address, { assessment }) => judgeTrust(assessment)),
};

export const certHostnameCheck: CheckDefinition = {
  id: "web.cert.hostname",
  standard: "tls",
  category: "web.https",
  weight: "required",
  title: "Certificate domain name",
  fix: "Use a certificate whose subjectAltName lists the domain name (or a wildcard covering it).",
  run: (ctx) => perAddress(ctx, (address) => assessmentOf(ctx, address), (_address, { assessment }) => judgeHostname(assessment)),
};

export const certPubkeyCheck: CheckDefinition = {
  id: "web.cert.pubkey",
  standard: "tls",
  category: "web.https",
  weight: "required",
  title: "Certificate public keys",
  fix: "Use ECDSA keys on P-256 or P-384 (or RSA keys of at least 3072 bits) for the certificate; ask the CA for an intermediate with such a key.",
  run: (ctx) => perAddress(ctx, (address) => assessmentOf(ctx, address), (_address, { assessment }) => judgePubkey(assessment)),
};

export const certSignatureCheck: CheckDefinition = {
  id: "web.cert.signature",
  standard: "tls",
  category: "web.https",
  weight: "required",
  title: "Certificate signatures",
  fix: "Replace certificates signed with SHA-1 or MD5 by ones signed with SHA-256 or stronger (leaf and intermediates).",
  run: (ctx) => perAddress(ctx, (address) => assessmentOf(ctx, address), (_address, { assessment }) => judgeSignature(assessment)),
};

function describeOffenders(offenders: readonly { subject: string; reason: string }[]): string {
  const first = offenders[0];
  if (!first) return "no certificate to judge";
  const more = offenders.length > 1 ? ` (and ${offenders.length - 1} more)` : "";
  return `${first.subject}: ${first.reason}${more}`;
}

/** The trust verdict of one judged chain (web and mail alike). */
export function judgeTrust(assessment: ChainAssessment): AddressVerdict {
  const trust = assessment.trust;
  const evidence = {
    leaf: certificateEvidence(assessment.certificates[0]),
    presented: assessment.certificates.slice(0, EVIDENCE_CAP).map((cert) => cert.subject),
    path: trust.path,
    anchor: trust.anchor,
    anchorSource: trust.anchorSource,
  };
  if (trust.trusted) {
    return { status: "passed", summary: `the certificate chain leads to the trusted root "${trust.anchor ?? "?"}"${trust.anchorSource === "extra" ? " (from --ca-file)" : ""}`, evidence };
  }
  return { status: "failed", summary: `the certificate is not trusted: ${trust.reason ?? "no path to a trusted root"}`, evidence: { ...evidence, reason: trust.reason } };
}

/** The hostname verdict of one judged chain (web and mail alike). */
export function judgeHostname(assessment: ChainAssessment): AddressVerdict {
  const verdict = assessment.hostname;
  const evidence = { hostname: verdict.hostname, names: verdict.names.slice(0, EVIDENCE_CAP), subject: assessment.certificates[0]?.subject ?? null };
  const names = verdict.names.length > 0 ? verdict.names.slice(0, 5).join(", ") + (verdict.names.length > 5 ? ", ..." : "") : "no names";
  if (verdict.matches) return { status: "passed", summary: `the certificate is valid for ${verdict.hostname}`, evidence };
  if (verdict.commonNameOnly) {
    return { status: "failed", summary: `${verdict.hostname} is only in the certificate's subject CN, not in its subjectAltName (browsers ignore the CN)`, evidence: { ...evidence, commonNameOnly: true } };
  }
  return { status: "failed", summary: `the certificate is for ${names}, not for ${verdict.hostname}`, evidence };
}

/** The pubkey verdict of one judged chain (web and mail alike). */
export function judgePubkey(assessment: ChainAssessment): AddressVerdict {
  const keys = assessment.publicKeys;
  const rating = worstRating(keys.map((key) => key.rating));
  const evidence = { keys: keys.slice(0, EVIDENCE_CAP).map((key) => ({ subject: key.subject, keyType: key.keyType, keyBits: key.keyBits, curve: key.curve, rating: key.rating })) };
  const offenders = keys.filter((key) => key.rating === rating);
  if (rating === "good" || rating === "sufficient") {
    return { status: "passed", summary: `every certificate key is ${rating}: ${[...new Set(keys.map((key) => key.reason))].slice(0, 4).join("; ")}`, evidence };
  }
  return { status: RATING_STATUS[rating], summary: describeOffenders(offenders.map((key) => ({ subject: key.subject, reason: key.reason }))), evidence };
}

/** The signature verdict of one judged chain (web and mail alike). */
export function judgeSignature(assessment: ChainAssessment): AddressVerdict {
  const signatures = assessment.signatures;
  const rating = worstRating(signatures.map((signature) => signature.rating));
  const evidence = { signatures: signatures.slice(0, EVIDENCE_CAP).map((signature) => ({ subject: signature.subject, algorithm: signature.algorithm, hash: signature.hash, rating: signature.rating })) };
  if (rating === "good" || rating === "sufficient") {
    return { status: "passed", summary: `every certificate is signed with a SHA-2 family hash (${[...new Set(signatures.map((signature) => signature.algorithm))].join(", ")})`, evidence };
  }
  const offenders = signatures.filter((signature) => signature.rating === rating);
  return { status: RATING_STATUS[rating], summary: describeOffenders(offenders.map((signature) => ({ subject: signature.subject, reason: signature.reason }))), evidence };
}

export const CERT_CHECKS: readonly CheckDefinition[] = [certTrustCheck, certHostnameCheck, certPubkeyCheck, certSignatureCheck];
