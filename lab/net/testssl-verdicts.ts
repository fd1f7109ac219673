/**
 * testssl.sh as an oracle for Baseline's TLS checks: reads the findings of
 * `testssl --jsonfile` (a JSON array of {id, severity, finding}) and says
 * what each web.tls.* check should conclude, by the same criteria Baseline
 * uses (NCSC-NL TLS guidelines as internet.nl applies them, see
 * ../shared/reference/testing-criteria.md). A check testssl says nothing
 * about (or says something ambiguous about) gets no verdict: the oracle only
 * speaks where testssl's evidence decides.
 *
 * Sections read: -p (protocols), -P (server preference and the accepted
 * suites per protocol), -S (TLS extensions: extended master secret; OCSP
 * stapling), -R (renegotiation), -C (compression, CRIME), -f (ECDHE curves,
 * DH groups). testssl 3.0.8 (Debian 12) does not test 0-RTT or SHA-1-only
 * signature algorithms, so web.tls.zero-rtt and web.tls.kex-hash get none.
 */

export type OracleStatus = "passed" | "failed" | "warning";

export interface TestsslFinding {
  id: string;
  severity: string;
  finding: string;
}

export type Verdicts = Partial<Record<string, OracleStatus>>;

/** How the guidelines rate a cipher suite, by its OpenSSL name (what testssl prints). */
export type CipherRating = "good" | "sufficient" | "phase-out" | "insufficient";

export function rateCipher(name: string): CipherRating {
  const upper = name.toUpperCase();
  if (/NULL|EXP|RC4|RC2|DES|MD5|IDEA|SEED|ANON|ADH|AECDH|PSK|SRP/.test(upper)) return "insufficient";
  if (/CCM8|CCM_8/.test(upper)) return "insufficient";
  if (upper.startsWith("TLS_")) {
    // TLS 1.3 suites: AES-256-GCM and ChaCha20 good, AES-128-GCM/CCM sufficient.
    return upper === "TLS_AES_256_GCM_SHA384" || upper === "TLS_CHACHA20_POLY1305_SHA256" ? "good" : "sufficient";
  }
  const ecdhe = upper.startsWith("ECDHE-");
  const dhe = upper.startsWith("DHE-") || upper.startsWith("EDH-");
  if (!ecdhe && !dhe) return "insufficient"; // RSA key exchange: no forward secrecy
  if (upper.endsWith("-SHA")) return "insufficient"; // CBC with SHA-1
  const aead = /GCM|CHACHA20|CCM/.test(upper);
  if (dhe || /CAMELLIA|ARIA/.test(upper) || !aead) return "phase-out";
  return /AES256-GCM|CHACHA20/.test(upper) ? "good" : "sufficient";
}

function byId(findings: readonly TestsslFinding[]): Map<string, TestsslFinding> {
  const map = new Map<string, TestsslFinding>();
  for (const finding of findings) if (!map.has(finding.id)) map.set(finding.id, finding);
  return map;
}

/** The suites testssl saw accepted, from -P's cipherorder_* lists (or -E's cipher-* lines). */
export function acceptedCiphers(findings: readonly TestsslFinding[]): string[] {
  const names = new Set<string>();
  for (const finding of findings) {
    if (finding.id.startsWith("cipherorder_")) for (const name of finding.finding.split(/\s+/)) if (name !== "") names.add(name);
    if (finding.id.startsWith("cipher-tls") || finding.id.startsWith("cipher-ssl")) {
      const name = finding.finding.trim().split(/\s+/)[3];
      if (name) names.add(name);
    }
    // Without a server order, -P lists no cipherorder_*; the forward-secret suites are still in PFS_ciphers.
    if (finding.id === "PFS_ciphers") for (const name of finding.finding.split(/\s+/)) if (name !== "") names.add(name);
  }
  return [...names];
}

const OLD_PROTOCOLS = ["SSLv2", "SSLv3", "TLS1", "TLS1_1"];

/** What each web.tls.* check should say, given testssl's findings for one server. */
export function verdictsFromTestssl(findings: readonly TestsslFinding[]): Verdicts {
  const found = byId(findings);
  const text = (id: string): string | undefined => found.get(id)?.finding;
  const verdicts: Verdicts = {};

  const offered = (id: string): boolean => /^offered/i.test(text(id) ?? "");
  if (OLD_PROTOCOLS.some((id) => found.has(id))) {
    if (OLD_PROTOCOLS.some(offered)) verdicts["web.tls.versions"] = "failed";
    else if (offered("TLS1_2") || offered("TLS1_3")) verdicts["web.tls.versions"] = "passed";
  }

  const ciphers = acceptedCiphers(findings);
  const ratings = ciphers.map(rateCipher);
  const hasCipherList = findings.some((finding) => finding.id.startsWith("cipherorder_") || finding.id.startsWith("cipher-tls"));
  if (hasCipherList && ratings.length > 0) {
    verdicts["web.tls.ciphers"] = ratings.includes("insufficient") ? "failed" : ratings.includes("phase-out") ? "warning" : "passed";
  }

  const order = text("cipher_order");
  if (order !== undefined) {
    if (/^server/i.test(order)) verdicts["web.tls.cipher-order"] = "passed";
    // Without a server order the client picks: fine only when every suite is good.
    else if (/^NOT a cipher order/i.test(order)) verdicts["web.tls.cipher-order"] = ratings.length > 0 && ratings.every((rating) => rating === "good") ? "passed" : "failed";
  }

  const groups = text("DH_groups");
  const curves = text("PFS_ECDHE_curves");
  if (groups !== undefined || curves !== undefined) {
    let status: OracleStatus = "passed";
    if (groups !== undefined && groups.trim() !== "") {
      // Named RFC 7919 groups of 3072 bits and more are phase-out; ffdhe2048, smaller or custom groups are insufficient.
      const names = groups.split(/[\s,]+/).filter((name) => name !== "");
      const strong = names.every((name) => /ffdhe(3072|4096|6144|8192)/i.test(name));
      status = strong ? "warning" : "failed";
    }
    if (curves !== undefined && /secp192|secp224|sect\d+|prime192|brainpoolP160/i.test(curves)) status = "failed";
    verdicts["web.tls.key-exchange"] = status;
  }

  const crime = text("CRIME_TLS");
  if (crime !== undefined) {
    if (/^not vulnerable/i.test(crime)) verdicts["web.tls.compression"] = "passed";
    else if (/VULNERABLE/.test(crime)) verdicts["web.tls.compression"] = "failed";
  }

  const secure = text("secure_renego");
  if (secure !== undefined) {
    if (/^supported/i.test(secure)) verdicts["web.tls.secure-renegotiation"] = "passed";
    else if (/not supported|VULNERABLE/i.test(secure)) verdicts["web.tls.secure-renegotiation"] = "failed";
  }

  const client = text("secure_client_renego");
  if (client !== undefined) {
    if (/^not vulnerable/i.test(client)) verdicts["web.tls.client-renegotiation"] = "passed";
    // A denial-of-service risk, not a break of the connection's security: internet.nl
    // does not score it, so Baseline warns (testssl says "VULNERABLE, DoS threat").
    else if (/VULNERABLE/.test(client)) verdicts["web.tls.client-renegotiation"] = "warning";
  }

  // EMS matters for TLS 1.2 (TLS 1.3 always binds the session hash): no verdict when -p says TLS 1.2 is off.
  const extensions = text("TLS_extensions");
  if (extensions !== undefined && (offered("TLS1_2") || !found.has("TLS1_2"))) {
    verdicts["web.tls.ems"] = /extended master secret/i.test(extensions) ? "passed" : "failed";
  }

  const stapling = text("OCSP_stapling");
  if (stapling !== undefined && /^offered/i.test(stapling)) verdicts["web.tls.ocsp-stapling"] = "passed";

  return verdicts;
}

/** Parses a testssl --jsonfile document (an array; testssl's "flat" JSON). */
export function parseTestsslJson(text: string): TestsslFinding[] {
  const document: unknown = JSON.parse(text);
  if (!Array.isArray(document)) throw new Error("testssl JSON: expected an array of findings (--jsonfile, not --jsonfile-pretty)");
  return document.flatMap((entry: unknown) => {
    if (typeof entry !== "object" || entry === null) return [];
    const { id, severity, finding } = entry as Record<string, unknown>;
    return typeof id === "string" && typeof finding === "string" ? [{ id, severity: typeof severity === "string" ? severity : "", finding }] : [];
  });
}
