/**
 * Grades a TLS assessment by the NCSC-NL TLS guidelines (2025) as internet.nl
 * applies them (../shared/reference/testing-criteria.md):
 *
 * - versions: TLS 1.3 good, TLS 1.2 sufficient, TLS 1.1, 1.0 and SSL insufficient;
 * - suites: good TLS_AES_256_GCM_SHA384 and TLS_CHACHA20_POLY1305_SHA256;
 *   sufficient the other TLS 1.3 AES-GCM/CCM suites and ECDHE-ECDSA/RSA with
 *   AES-GCM, CHACHA20-POLY1305 or AES-CCM; phase out ECDHE with CBC and
 *   SHA-256/384, CAMELLIA, ARIA and every DHE suite; insufficient everything
 *   else (RSA key transport, CBC with SHA-1, 3DES, CCM_8, RC4, NULL, EXPORT,
 *   anonymous, static (EC)DH, DSS);
 * - cipher order: a server that accepts suites of differing levels must pick
 *   by its own order, and that order must put better levels first;
 * - key exchange groups: P-256/384/521, brainpool, X25519, X448 good; P-224
 *   phase out; ffdhe3072 and larger phase out; ffdhe2048, custom DH groups
 *   and other curves insufficient;
 * - SHA-1 for the key exchange, TLS compression, missing secure renegotiation,
 *   and TLS 1.2 without extended master secret fail.
 *
 * Each grade says passed, warning (phase-out found, nothing insufficient),
 * failed, not_applicable or error, with a one-line summary saying what is wrong.
 */
import type { TlsAssessment } from "./assess.ts";
import { type CipherSuite, suiteByCode } from "./cipher-suites.ts";
import { GROUP, SSL2, SSL3, TLS10, TLS11, TLS12, TLS13 } from "./client-hello.ts";
import type { DheGroup } from "./key-exchange.ts";

export type Level = "good" | "sufficient" | "phase_out" | "insufficient";
export type GradeStatus = "passed" | "warning" | "failed" | "not_applicable" | "error";

export interface Grade {
  status: GradeStatus;
  summary: string;
  evidence: Record<string, unknown>;
}

const LEVEL_ORDER: readonly Level[] = ["good", "sufficient", "phase_out", "insufficient"];
const LEVEL_WORDS: Record<Level, string> = { good: "good", sufficient: "sufficient", phase_out: "phase out", insufficient: "insufficient" };

function rank(level: Level): number {
  return LEVEL_ORDER.indexOf(level);
}

export function versionLevel(version: number): Level {
  if (version === TLS13) return "good";
  if (version === TLS12) return "sufficient";
  return "insufficient";
}

/** The level of a suite by its IANA properties; an unknown code point is insufficient. */
export function suiteLevel(code: number): Level {
  const suite = suiteByCode(code);
  return suite ? levelOf(suite) : "insufficient";
}

function levelOf(suite: CipherSuite): Level {
  if (suite.null || suite.export || suite.anonymous || suite.rc4 || suite.tripleDes || suite.ccm8) return "insufficient";
  if (suite.tls13Only) {
    if (suite.encryption === "AES_256_GCM" || suite.encryption === "CHACHA20_POLY1305") return "good";
    if (suite.encryption === "AES_128_GCM" || suite.encryption === "AES_128_CCM") return "sufficient";
    return "insufficient";
  }
  const ephemeral = suite.keyExchange === "ECDHE" || suite.keyExchange === "DHE";
  if (!ephemeral || (suite.authentication !== "RSA" && suite.authentication !== "ECDSA")) return "insufficient";
  if (suite.mac === "SHA" || suite.mac === "MD5") return "insufficient"; // CBC with SHA-1 (or worse)
  const aes = /^AES_(128|256)_/.test(suite.encryption);
  const modern = suite.encryption === "CHACHA20_POLY1305" || (aes && (suite.encryption.endsWith("GCM") || suite.encryption.endsWith("CCM")));
  const phaseOutCipher = suite.encryption.startsWith("CAMELLIA") || suite.encryption.startsWith("ARIA") || (aes && suite.cbc);
  if (!modern && !phaseOutCipher) return "insufficient"; // SEED, IDEA, DES, ...
  if (suite.keyExchange === "DHE" || phaseOutCipher) return "phase_out";
  return "sufficient";
}

export function groupLevel(code: number): Level {
  switch (code) {
    case GROUP.x25519:
    case GROUP.x448:
    case GROUP.secp256r1:
    case GROUP.secp384r1:
    case GROUP.secp521r1:
    case GROUP.brainpoolP256r1:
    case GROUP.brainpoolP384r1:
    case GROUP.brainpoolP512r1:
    case GROUP.brainpoolP256r1tls13:
    case GROUP.brainpoolP384r1tls13:
    case GROUP.brainpoolP512r1tls13:
    case GROUP.x25519mlkem768:
      return "good";
    case GROUP.secp224r1:
    case GROUP.ffdhe3072:
    case GROUP.ffdhe4096:
    case GROUP.ffdhe6144:
    case GROUP.ffdhe8192:
      return "phase_out";
    default:
      return "insufficient";
  }
}

/**
 * TLS 1.3 groups. ffdhe2048 is phase out here, not insufficient as for TLS
 * 1.2 DHE suites: in TLS 1.3 a client gets a finite-field group only when it
 * offers no curve at all, and OpenSSL 3 (so Debian's nginx) lists the
 * ffdhe groups by default; internet.nl grades only the DHE suites' groups,
 * so failing here would fail sites internet.nl passes.
 */
export function tls13GroupLevel(code: number): Level {
  return code === GROUP.ffdhe2048 ? "phase_out" : groupLevel(code);
}

export function dheLevel(group: DheGroup): Level {
  return group.group === null ? "insufficient" : groupLevel(group.group);
}

/** "A, B and C". */
function list(items: readonly string[], cap = 6): string {
  const shown = items.slice(0, cap);
  const more = items.length - shown.length;
  const parts = more > 0 ? [...shown, `${more} more`] : shown;
  return parts.length <= 1 ? (parts[0] ?? "") : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}

const cap = <T>(items: readonly T[], max = 64): T[] => items.slice(0, max);

/** No TLS at all: every grade says so the same way. */
function noTls(assessment: TlsAssessment): Grade | null {
  if (assessment.acceptedVersions.length > 0) return null;
  const errors = assessment.versions.filter((version) => version.error);
  if (errors.length > 0) return { status: "error", summary: `no TLS hello was answered: ${errors[0]?.error ?? "probe failed"}`, evidence: { errors: cap(assessment.errors, 8) } };
  return { status: "error", summary: "the server refused every version from SSLv2 to TLS 1.3", evidence: { versions: assessment.versions.map((v) => ({ version: v.version, detail: v.detail })) } };
}

function onlyTls13(assessment: TlsAssessment): boolean {
  return assessment.acceptedVersions.length === 1 && assessment.acceptedVersions[0] === "TLS 1.3";
}

export function gradeVersions(assessment: TlsAssessment): Grade {
  const versions = assessment.versions.map((probe) => ({
    version: probe.version,
    accepted: probe.accepted,
    level: probe.accepted ? versionLevel(probe.code) : null,
    ...(probe.aborted ? { aborted: probe.aborted } : {}),
    ...(probe.error ? { error: probe.error } : {}),
  }));
  const evidence = { acceptedVersions: assessment.acceptedVersions, versions };
  if (assessment.acceptedVersions.length === 0) {
    const none = noTls(assessment);
    if (none?.status === "error" && assessment.versions.some((v) => v.error)) return { ...none, evidence };
    return { status: "failed", summary: "accepts none of SSLv2 to TLS 1.3", evidence };
  }
  const accepted = assessment.versions.filter((probe) => probe.accepted && probe.code !== SSL2);
  const aborted = accepted.filter((probe) => probe.aborted !== null);
  if (accepted.length > 0 && aborted.length === accepted.length) {
    return { status: "error", summary: `the server aborts every handshake right after its ServerHello (${aborted[0]?.aborted ?? "alert"})`, evidence };
  }
  const bad = assessment.versions.filter((probe) => probe.accepted && versionLevel(probe.code) === "insufficient").map((probe) => probe.version);
  if (bad.length > 0) return { status: "failed", summary: `accepts ${list(bad)} (insufficient)`, evidence };
  const failedOld = assessment.versions.filter((probe) => probe.error && [SSL2, SSL3, TLS10, TLS11].includes(probe.code)).map((probe) => probe.version);
  if (failedOld.length > 0) return { status: "error", summary: `could not tell whether ${list(failedOld)} ${failedOld.length > 1 ? "are" : "is"} accepted`, evidence };
  const has13 = assessment.acceptedVersions.includes("TLS 1.3");
  const has12 = assessment.acceptedVersions.includes("TLS 1.2");
  if (has13 && has12) return { status: "passed", summary: "accepts TLS 1.3 (good) and TLS 1.2 (sufficient) only", evidence };
  if (has13) return { status: "passed", summary: "accepts TLS 1.3 only (good)", evidence };
  return { status: "passed", summary: "accepts TLS 1.2 only (sufficient); TLS 1.3 is better", evidence };
}

function gradedSuites(assessment: TlsAssessment) {
  return assessment.suites.map((list) => ({
    version: list.version,
    code: list.code,
    serverPreference: list.serverPreference,
    error: list.error,
    suites: list.suites.map((suite) => ({ name: suite.name, code: suite.code, level: suiteLevel(suite.code) })),
  }));
}

export function gradeCiphers(assessment: TlsAssessment): Grade {
  const none = noTls(assessment);
  if (none) return none;
  const graded = gradedSuites(assessment);
  const evidence = { versions: graded.map((v) => ({ version: v.version, suites: cap(v.suites.map(({ name, level }) => ({ name, level }))), ...(v.error ? { error: v.error } : {}) })) };
  const byLevel = (level: Level) => [...new Set(graded.flatMap((v) => v.suites.filter((s) => s.level === level).map((s) => s.name)))];
  const insufficient = byLevel("insufficient");
  if (insufficient.length > 0) return { status: "failed", summary: `accepts insufficient cipher suites: ${list(insufficient, 4)}`, evidence };
  const errors = graded.filter((v) => v.error);
  if (errors.length > 0) return { status: "error", summary: `could not list every ${errors[0]?.version ?? ""} suite: ${errors[0]?.error ?? ""}`, evidence };
  const phaseOut = byLevel("phase_out");
  if (phaseOut.length > 0) return { status: "warning", summary: `accepts cipher suites to phase out: ${list(phaseOut, 4)}`, evidence };
  return { status: "passed", summary: "accepts only good and sufficient cipher suites", evidence };
}

/**
 * internet.nl's order rule: where a version's suites differ in level, the server
 * must enforce its own order, and that order must not rank a worse level above a
 * better one. TLS 1.3 suites that are all good or sufficient are exempt: every
 * one of them is an AEAD with ephemeral key exchange, and common servers (nginx,
 * OpenSSL) leave TLS 1.3's order to the client by default, as RFC 8446 allows;
 * a TLS 1.3 suite to phase out or worse brings the rule back.
 */
export function gradeCipherOrder(assessment: TlsAssessment): Grade {
  const none = noTls(assessment);
  if (none) return none;
  const problems: string[] = [];
  const unknown: string[] = [];
  const evidence: Record<string, unknown>[] = [];
  for (const version of gradedSuites(assessment)) {
    const levels = new Set(version.suites.map((s) => s.level));
    const exempt = version.code === TLS13 && [...levels].every((level) => level === "good" || level === "sufficient");
    const applies = levels.size > 1 && !exempt;
    evidence.push({ version: version.version, serverPreference: version.serverPreference, levels: [...levels], applies, order: cap(version.suites.map(({ name, level }) => ({ name, level })), 32) });
    if (!applies) continue;
    if (version.serverPreference === null) {
      unknown.push(`${version.version}: ${version.error ?? "preference could not be told"}`);
      continue;
    }
    if (!version.serverPreference) {
      problems.push(`does not enforce its own order at ${version.version} while it accepts ${list([...levels].sort((a, b) => rank(a) - rank(b)).map((l) => LEVEL_WORDS[l]))} suites`);
      continue;
    }
    for (let i = 1; i < version.suites.length; i++) {
      const before = version.suites[i - 1];
      const after = version.suites[i];
      if (before && after && rank(before.level) > rank(after.level)) {
        problems.push(`prefers ${before.name} (${LEVEL_WORDS[before.level]}) over ${after.name} (${LEVEL_WORDS[after.level]}) at ${version.version}`);
        break;
      }
    }
  }
  if (problems.length > 0) return { status: "failed", summary: problems.join("; "), evidence: { versions: evidence } };
  if (unknown.length > 0) return { status: "error", summary: `the cipher order could not be told (${unknown.join("; ")})`, evidence: { versions: evidence } };
  if (!evidence.some((v) => v.applies)) return { status: "passed", summary: "no version mixes suites of different levels, so the order does not matter", evidence: { versions: evidence } };
  return { status: "passed", summary: "enforces its own cipher order, better suites first", evidence: { versions: evidence } };
}

export function gradeKeyExchange(assessment: TlsAssessment): Grade {
  const none = noTls(assessment);
  if (none) return none;
  const { groups } = assessment;
  const entries = [
    ...groups.tls13.map((g) => ({ name: g.name, where: "TLS 1.3", level: tls13GroupLevel(g.code) })),
    ...groups.ecdhe.map((g) => ({ name: g.name, where: `${groups.legacyVersion ?? ""} ECDHE`, level: groupLevel(g.code) })),
    ...groups.dhe.map((g) => ({ name: g.name, where: `${groups.legacyVersion ?? ""} DHE`, level: dheLevel(g) })),
  ];
  const evidence = { groups: cap(entries), ...(groups.errors.length > 0 ? { errors: groups.errors } : {}) };
  const named = (level: Level) => [...new Set(entries.filter((e) => e.level === level).map((e) => (e.where.endsWith("DHE") && !e.where.endsWith("ECDHE") ? `DHE ${e.name}` : e.name)))];
  const insufficient = named("insufficient");
  if (insufficient.length > 0) return { status: "failed", summary: `accepts insufficient key exchange groups: ${list(insufficient, 4)}`, evidence };
  if (groups.errors.length > 0) return { status: "error", summary: `could not list every group: ${groups.errors[0] ?? ""}`, evidence };
  if (entries.length === 0) return { status: "not_applicable", summary: "no ephemeral (EC)DH key exchange was negotiated, so there are no groups to grade", evidence };
  const phaseOut = named("phase_out");
  if (phaseOut.length > 0) return { status: "warning", summary: `accepts key exchange groups to phase out: ${list(phaseOut, 4)}`, evidence };
  return { status: "passed", summary: `accepts only good key exchange groups (${list([...new Set(entries.map((e) => e.name))], 5)})`, evidence };
}

export function gradeKexHash(assessment: TlsAssessment): Grade {
  const none = noTls(assessment);
  if (none) return none;
  const result = assessment.sha1KeyExchange;
  const evidence = { sha1OnlyHandshake: result };
  if (result === null) {
    if (onlyTls13(assessment)) return { status: "passed", summary: "only TLS 1.3 is accepted, which does not allow SHA-1 signatures", evidence };
    return { status: "not_applicable", summary: "TLS 1.2 is not accepted, so there are no signature algorithms to test (older versions sign with SHA-1 regardless)", evidence };
  }
  switch (result.outcome) {
    case "accepted":
      return { status: "failed", summary: `a TLS 1.2 handshake offering only SHA-1 signature algorithms succeeds (${result.detail})`, evidence };
    case "refused":
      return { status: "passed", summary: "refuses a TLS 1.2 handshake that offers only SHA-1 signature algorithms", evidence };
    case "not-applicable":
      return { status: "not_applicable", summary: `no signed key exchange at TLS 1.2 (${result.detail})`, evidence };
    default:
      return { status: "error", summary: `the SHA-1 handshake failed: ${result.detail}`, evidence };
  }
}

export function gradeCompression(assessment: TlsAssessment): Grade {
  const none = noTls(assessment);
  if (none) return none;
  const result = assessment.compression;
  const evidence = { compression: result, version: assessment.groups.legacyVersion };
  if (result === null) return { status: "passed", summary: "only TLS 1.3 is accepted, which has no compression", evidence };
  if (result.error) return { status: "error", summary: `the compression probe failed: ${result.error}`, evidence };
  if (result.method !== null && result.method !== 0) return { status: "failed", summary: `uses TLS compression when offered (${result.detail}), which exposes secrets to CRIME`, evidence };
  return { status: "passed", summary: "does not use TLS compression when offered DEFLATE", evidence };
}

export function gradeSecureRenegotiation(assessment: TlsAssessment): Grade {
  const none = noTls(assessment);
  if (none) return none;
  // SSLv2 has no extensions at all (and fails the versions check); secure renegotiation is judged from SSLv3 on.
  const legacy = assessment.versions.filter((probe) => probe.accepted && probe.code !== TLS13 && probe.code !== SSL2);
  const evidence = { versions: legacy.map((probe) => ({ version: probe.version, secureRenegotiation: probe.secureRenegotiation })) };
  if (legacy.length === 0) return { status: "passed", summary: "only TLS 1.3 is accepted, which has no renegotiation", evidence };
  const missing = legacy.filter((probe) => probe.secureRenegotiation !== true).map((probe) => probe.version);
  if (missing.length > 0) return { status: "failed", summary: `does not support secure renegotiation (no renegotiation_info, RFC 5746) at ${list(missing)}`, evidence };
  return { status: "passed", summary: "supports secure renegotiation (RFC 5746)", evidence };
}

export function gradeEms(assessment: TlsAssessment): Grade {
  const none = noTls(assessment);
  if (none) return none;
  const tls12 = assessment.versions.find((probe) => probe.code === TLS12);
  const evidence = { versions: assessment.versions.filter((p) => p.accepted && p.code !== TLS13 && p.code !== SSL2).map((p) => ({ version: p.version, extendedMasterSecret: p.extendedMasterSecret })) };
  if (!tls12?.accepted) {
    if (onlyTls13(assessment)) return { status: "passed", summary: "only TLS 1.3 is accepted, whose key schedule always binds the session to the handshake", evidence };
    return { status: "not_applicable", summary: "TLS 1.2 is not accepted (extended master secret is required for TLS 1.2)", evidence };
  }
  if (tls12.extendedMasterSecret !== true) return { status: "failed", summary: "TLS 1.2 without extended master secret (RFC 7627)", evidence };
  return { status: "passed", summary: "TLS 1.2 uses extended master secret (RFC 7627)", evidence };
}

export function gradePqKex(assessment: TlsAssessment): Grade {
  const none = noTls(assessment);
  if (none) return none;
  const result = assessment.hybridKeyExchange;
  const evidence = { hybridKeyExchange: result };
  if (result === null) return { status: "warning", summary: "no TLS 1.3, so no post-quantum hybrid key exchange (X25519MLKEM768)", evidence };
  if (result.error) return { status: "error", summary: `the X25519MLKEM768 probe failed: ${result.error}`, evidence };
  if (result.supported) return { status: "passed", summary: "accepts the post-quantum hybrid key exchange X25519MLKEM768", evidence };
  return { status: "warning", summary: `does not accept X25519MLKEM768 (chose ${result.chosen ?? "no group"} instead); harvested traffic is open to a future quantum computer`, evidence };
}
