/**
 * Judges a presented certificate chain with node:crypto's X509Certificate:
 * trust (a path from the leaf to Node's Mozilla roots or an extra CA, every
 * signature verified, every certificate within its validity at the check's
 * time), the host name (subjectAltName), each certificate's public key and
 * signature hash (NCSC-NL TLS guidelines 2025, as internet.nl applies them).
 */
import { X509Certificate } from "node:crypto";
import { rootCertificates } from "node:tls";
import { certificateParts, children, contextTag, expect, readNode, readOid, TAG } from "./certificate-der.ts";

/** NCSC-NL's four levels. */
export type Rating = "good" | "sufficient" | "phase-out" | "insufficient";

export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** DNS names and IP addresses of the subjectAltName ("DNS:www.example.org", "IP Address:192.0.2.1"), capped. */
  subjectAltNames: string[];
  notBefore: string;
  notAfter: string;
  serialNumber: string;
  fingerprint256: string;
  /** rsa, rsa-pss, ec, ed25519, ed448, dsa, ... */
  keyType: string;
  /** Key size in bits (RSA modulus, DSA prime, EC field) or null. */
  keyBits: number | null;
  /** EC curve (prime256v1, secp384r1, ...) or null. */
  curve: string | null;
  /** sha256WithRSAEncryption, ecdsa-with-SHA384, RSASSA-PSS, ... */
  signatureAlgorithm: string;
  /** Hash of the signature (sha256, sha1, md5, ...; "intrinsic" for Ed25519/Ed448) or null when unknown. */
  signatureHash: string | null;
  /** Subject equals issuer and the certificate verifies with its own key. */
  selfSigned: boolean;
  isCa: boolean;
}

export interface TrustVerdict {
  trusted: boolean;
  /** Why not, one line; null when trusted. */
  reason: string | null;
  /** The path found or tried, leaf first, as subjects. */
  path: string[];
  /** DER of the path's certificates, leaf first, the trust anchor last when trusted. */
  pathDer: Buffer[];
  /** Subject of the trust anchor reached. */
  anchor: string | null;
  /** Where the anchor came from. */
  anchorSource: "mozilla" | "extra" | null;
}

export interface HostnameVerdict {
  matches: boolean;
  hostname: string;
  /** The names the certificate is for (SAN DNS names, or the subject CN when it has none). */
  names: string[];
  /** Only the subject CN matches (no SAN does): browsers ignore the CN. */
  commonNameOnly: boolean;
}

export interface KeyVerdict {
  subject: string;
  rating: Rating;
  keyType: string;
  keyBits: number | null;
  curve: string | null;
  reason: string;
}

export interface SignatureVerdict {
  subject: string;
  rating: Rating;
  algorithm: string;
  hash: string | null;
  reason: string;
}

export interface ChainAssessment {
  certificates: CertificateInfo[];
  trust: TrustVerdict;
  hostname: HostnameVerdict;
  /** Leaf and intermediates (self-signed roots are the root programme's concern). */
  publicKeys: KeyVerdict[];
  /** Leaf and intermediates; a self-signed certificate's own signature is not judged. */
  signatures: SignatureVerdict[];
}

export interface JudgeOptions {
  hostname: string;
  /** Extra trusted CA certificates (PEM; a string may hold several). */
  extraCa?: readonly string[];
  /** Epoch milliseconds to judge validity at. */
  now: number;
}

const MAX_PATH = 10;
const MAX_NAMES = 50;
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const ANY_EKU = "2.5.29.37.0";

/** Parses, judges and describes a chain (leaf first, DER). */
export function judgeChain(chain: readonly Buffer[], options: JudgeOptions): ChainAssessment {
  const certs = chain.map((der) => new X509Certificate(der));
  const leaf = certs[0];
  if (!leaf) {
    return {
      certificates: [],
      trust: { trusted: false, reason: "the server presented no certificate", path: [], pathDer: [], anchor: null, anchorSource: null },
      hostname: { matches: false, hostname: options.hostname, names: [], commonNameOnly: false },
      publicKeys: [],
      signatures: [],
    };
  }
  const judged = certs.filter((cert, index) => index === 0 || !isSelfSigned(cert));
  return {
    certificates: certs.map(describe),
    trust: judgeTrust(certs, options),
    hostname: judgeHostname(leaf, options.hostname),
    publicKeys: judged.map(judgePublicKey),
    signatures: judged.filter((cert) => !isSelfSigned(cert)).map(judgeSignature),
  };
}

export function describe(cert: X509Certificate): CertificateInfo {
  const key = cert.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  const signature = signatureOf(cert);
  return {
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    subjectAltNames: splitNames(cert.subjectAltName).slice(0, MAX_NAMES),
    notBefore: cert.validFromDate.toISOString(),
    notAfter: cert.validToDate.toISOString(),
    serialNumber: cert.serialNumber,
    fingerprint256: cert.fingerprint256,
    keyType: key.asymmetricKeyType ?? "unknown",
    keyBits: keyBits(cert),
    curve: details.namedCurve ?? null,
    signatureAlgorithm: signature.algorithm,
    signatureHash: signature.hash,
    selfSigned: isSelfSigned(cert),
    isCa: cert.ca,
  };
}

/**
 * Builds a path from the leaf to a trust anchor through the presented
 * certificates (in any order, also cross-signed alternatives), depth first.
 * A step needs the issuer's name (checkIssued) and a verifying signature;
 * every certificate on the path must be valid at `now`, every issuer a CA,
 * and the leaf usable for TLS servers (extendedKeyUsage).
 */
export function judgeTrust(certs: readonly X509Certificate[], options: Pick<JudgeOptions, "extraCa" | "now">): TrustVerdict {
  const leaf = certs[0];
  if (!leaf) return { trusted: false, reason: "the server presented no certificate", path: [], pathDer: [], anchor: null, anchorSource: null };
  const anchors = anchorIndex(options.extraCa ?? []);
  let best: X509Certificate[] = [leaf];
  // Signature failures seen while searching (an array: the closure below fills it).
  const problems: string[] = [];

  const walk = (path: X509Certificate[]): { path: X509Certificate[]; source: "mozilla" | "extra" } | null => {
    if (path.length > best.length) best = path;
    const current = path[path.length - 1] as X509Certificate;
    const asAnchor = anchors.byFingerprint.get(current.fingerprint256);
    if (asAnchor) return { path, source: asAnchor.source };
    if (path.length > MAX_PATH) return null;
    const candidates: { cert: X509Certificate; anchor: "mozilla" | "extra" | null }[] = [
      ...(anchors.bySubject.get(current.issuer) ?? []).map((entry) => ({ cert: entry.cert, anchor: entry.source })),
      ...certs.filter((cert) => cert.subject === current.issuer).map((cert) => ({ cert, anchor: null })),
    ];
    for (const candidate of candidates) {
      if (path.some((cert) => cert.fingerprint256 === candidate.cert.fingerprint256)) continue;
      if (!current.checkIssued(candidate.cert) || !verifies(current, candidate.cert)) {
        problems.push(`the signature of "${shortName(current.subject)}" does not verify with the key of "${shortName(candidate.cert.subject)}"`);
        continue;
      }
      const next = [...path, candidate.cert];
      if (candidate.anchor) return { path: next, source: candidate.anchor };
      const found = walk(next);
      if (found) return found;
    }
    return null;
  };

  const found = walk([leaf]);
  const path = found?.path ?? best;
  const view = { path: path.map((cert) => shortName(cert.subject)), pathDer: path.map((cert) => Buffer.from(cert.raw)) };
  if (!found) {
    const top = path[path.length - 1] as X509Certificate;
    const reason = problems[0]
      ?? (isSelfSigned(top)
        ? `the chain ends in "${shortName(top.subject)}", a self-signed certificate that is not a trusted root`
        : `the issuer "${shortName(top.issuer)}" of "${shortName(top.subject)}" is neither presented nor a trusted root (missing intermediate?)`);
    return { trusted: false, reason, ...view, anchor: null, anchorSource: null };
  }
  const anchor = shortName((path[path.length - 1] as X509Certificate).subject);
  for (const cert of path) {
    if (options.now < cert.validFromDate.getTime()) return { trusted: false, reason: `"${shortName(cert.subject)}" is not valid before ${cert.validFromDate.toISOString()}`, ...view, anchor, anchorSource: found.source };
    if (options.now > cert.validToDate.getTime()) return { trusted: false, reason: `"${shortName(cert.subject)}" expired on ${cert.validToDate.toISOString()}`, ...view, anchor, anchorSource: found.source };
  }
  for (const issuer of path.slice(1)) {
    if (!issuer.ca) return { trusted: false, reason: `"${shortName(issuer.subject)}" issues a certificate but is not a CA (basicConstraints)`, ...view, anchor, anchorSource: found.source };
  }
  const usages = extendedKeyUsage(leaf);
  if (usages && !usages.includes(SERVER_AUTH) && !usages.includes(ANY_EKU)) {
    return { trusted: false, reason: "the leaf certificate is not for TLS servers (extendedKeyUsage lacks serverAuth)", ...view, anchor, anchorSource: found.source };
  }
  return { trusted: true, reason: null, ...view, anchor, anchorSource: found.source };
}

/** subjectAltName DNS names only, as browsers do (RFC 6125 §6.4.4; CA/B Forum). */
export function judgeHostname(leaf: X509Certificate, hostname: string): HostnameVerdict {
  const sanNames = splitNames(leaf.subjectAltName).filter((name) => name.startsWith("DNS:")).map((name) => name.slice(4));
  const names = sanNames.length > 0 ? sanNames : commonNames(leaf.subject);
  const matches = leaf.checkHost(hostname, { subject: "never" }) !== undefined;
  const commonNameOnly = !matches && leaf.checkHost(hostname, { subject: "always" }) !== undefined;
  return { matches, hostname, names: names.slice(0, MAX_NAMES), commonNameOnly };
}

const GOOD_CURVES = new Set(["prime256v1", "secp384r1", "secp521r1", "brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1"]);
const PHASE_OUT_CURVES = new Set(["secp224r1"]);

export function judgePublicKey(cert: X509Certificate): KeyVerdict {
  const info = describe(cert);
  const base = { subject: info.subject, keyType: info.keyType, keyBits: info.keyBits, curve: info.curve };
  const bits = info.keyBits ?? 0;
  switch (info.keyType) {
    case "rsa":
    case "rsa-pss":
      if (bits >= 3072) return { ...base, rating: "good", reason: `RSA ${bits} bits` };
      if (bits >= 2048) return { ...base, rating: "phase-out", reason: `RSA ${bits} bits: phase out (at least 3072 bits is good)` };
      return { ...base, rating: "insufficient", reason: `RSA ${bits} bits: insufficient (fewer than 2048)` };
    case "ec": {
      const curve = info.curve ?? "unknown curve";
      if (GOOD_CURVES.has(curve)) return { ...base, rating: "good", reason: `EC ${curve}` };
      if (PHASE_OUT_CURVES.has(curve)) return { ...base, rating: "phase-out", reason: `EC ${curve}: phase out` };
      return { ...base, rating: "insufficient", reason: `EC ${curve}: not a recommended curve` };
    }
    case "ed25519":
    case "ed448":
      return { ...base, rating: "good", reason: info.keyType === "ed25519" ? "Ed25519" : "Ed448" };
    case "dsa":
      return { ...base, rating: "insufficient", reason: `DSA ${bits} bits: insufficient` };
    default:
      return { ...base, rating: "insufficient", reason: `${info.keyType} keys are not in the guidelines` };
  }
}

export function judgeSignature(cert: X509Certificate): SignatureVerdict {
  const { algorithm, hash } = signatureOf(cert);
  const subject = oneLine(cert.subject);
  if (hash === "sha256" || hash === "sha384" || hash === "sha512" || hash === "intrinsic") {
    return { subject, rating: "good", algorithm, hash, reason: algorithm };
  }
  if (hash === "sha224") return { subject, rating: "phase-out", algorithm, hash, reason: `${algorithm}: SHA-224 is phase out` };
  if (hash === "sha1" || hash === "md5" || hash === "md2" || hash === "md4") {
    return { subject, rating: "insufficient", algorithm, hash, reason: `${algorithm}: ${hash === "sha1" ? "SHA-1" : hash.toUpperCase()} signatures can be forged` };
  }
  return { subject, rating: "insufficient", algorithm, hash, reason: `${algorithm}: hash not recognised` };
}

/** Worst of the ratings (good when empty). */
export function worstRating(ratings: readonly Rating[]): Rating {
  const order: Rating[] = ["good", "sufficient", "phase-out", "insufficient"];
  return ratings.reduce<Rating>((worst, rating) => (order.indexOf(rating) > order.indexOf(worst) ? rating : worst), "good");
}

// --- helpers ---------------------------------------------------------------

const SIGNATURE_OIDS: Record<string, { algorithm: string; hash: string | null }> = {
  "1.2.840.113549.1.1.2": { algorithm: "md2WithRSAEncryption", hash: "md2" },
  "1.2.840.113549.1.1.3": { algorithm: "md4WithRSAEncryption", hash: "md4" },
  "1.2.840.113549.1.1.4": { algorithm: "md5WithRSAEncryption", hash: "md5" },
  "1.2.840.113549.1.1.5": { algorithm: "sha1WithRSAEncryption", hash: "sha1" },
  "1.2.840.113549.1.1.11": { algorithm: "sha256WithRSAEncryption", hash: "sha256" },
  "1.2.840.113549.1.1.12": { algorithm: "sha384WithRSAEncryption", hash: "sha384" },
  "1.2.840.113549.1.1.13": { algorithm: "sha512WithRSAEncryption", hash: "sha512" },
  "1.2.840.113549.1.1.14": { algorithm: "sha224WithRSAEncryption", hash: "sha224" },
  "1.2.840.10045.4.1": { algorithm: "ecdsa-with-SHA1", hash: "sha1" },
  "1.2.840.10045.4.3.1": { algorithm: "ecdsa-with-SHA224", hash: "sha224" },
  "1.2.840.10045.4.3.2": { algorithm: "ecdsa-with-SHA256", hash: "sha256" },
  "1.2.840.10045.4.3.3": { algorithm: "ecdsa-with-SHA384", hash: "sha384" },
  "1.2.840.10045.4.3.4": { algorithm: "ecdsa-with-SHA512", hash: "sha512" },
  "1.2.840.10040.4.3": { algorithm: "dsa-with-SHA1", hash: "sha1" },
  "2.16.840.1.101.3.4.3.1": { algorithm: "dsa-with-SHA224", hash: "sha224" },
  "2.16.840.1.101.3.4.3.2": { algorithm: "dsa-with-SHA256", hash: "sha256" },
  "1.3.101.112": { algorithm: "Ed25519", hash: "intrinsic" },
  "1.3.101.113": { algorithm: "Ed448", hash: "intrinsic" },
};
const HASH_OIDS: Record<string, string> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
  "2.16.840.1.101.3.4.2.4": "sha224",
};
const RSASSA_PSS = "1.2.840.113549.1.1.10";

function signatureOf(cert: X509Certificate): { algorithm: string; hash: string | null } {
  const parts = certificateParts(Buffer.from(cert.raw));
  const known = SIGNATURE_OIDS[parts.signatureOid];
  if (known) return known;
  if (parts.signatureOid === RSASSA_PSS) {
    // RSASSA-PSS-params: hashAlgorithm [0] EXPLICIT, default SHA-1 (RFC 4055 §3.1).
    let hash = "sha1";
    if (parts.signatureParameters) {
      const first = children(expect(readNode(parts.signatureParameters), TAG.SEQUENCE, "RSASSA-PSS-params"))[0];
      if (first?.tag === contextTag(0)) {
        const oid = readOid(expect(children(expect(children(first)[0], TAG.SEQUENCE, "hashAlgorithm"))[0], TAG.OID, "hash OID"));
        hash = HASH_OIDS[oid] ?? oid;
      }
    }
    return { algorithm: `RSASSA-PSS with ${hash}`, hash };
  }
  return { algorithm: parts.signatureOid, hash: null };
}

function keyBits(cert: X509Certificate): number | null {
  const key = cert.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  if (details.modulusLength !== undefined) return details.modulusLength;
  switch (details.namedCurve) {
    case "prime256v1":
    case "brainpoolP256r1":
    case "secp256k1":
      return 256;
    case "secp384r1":
    case "brainpoolP384r1":
      return 384;
    case "secp521r1":
      return 521;
    case "brainpoolP512r1":
      return 512;
    case "secp224r1":
      return 224;
    default:
      break;
  }
  if (key.asymmetricKeyType === "ed25519") return 256;
  if (key.asymmetricKeyType === "ed448") return 456;
  return null;
}

function verifies(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.verify(issuer.publicKey);
  } catch {
    // An algorithm OpenSSL refuses (MD2, unknown curve) does not verify.
    return false;
  }
}

function isSelfSigned(cert: X509Certificate): boolean {
  return cert.subject === cert.issuer && cert.checkIssued(cert) && verifies(cert, cert);
}

/** extendedKeyUsage OIDs, or null when the extension is absent (any usage). */
function extendedKeyUsage(cert: X509Certificate): string[] | null {
  // node:crypto names the extended key usage `keyUsage` (legacy naming); undefined when absent.
  const usages = cert.keyUsage as string[] | undefined;
  return usages && usages.length > 0 ? usages : null;
}

interface Anchor {
  cert: X509Certificate;
  source: "mozilla" | "extra";
}
interface AnchorIndex {
  bySubject: Map<string, Anchor[]>;
  byFingerprint: Map<string, Anchor>;
}

let mozilla: Anchor[] | null = null;
const extraCache = new Map<string, Anchor[]>();

function anchorIndex(extraCa: readonly string[]): AnchorIndex {
  mozilla ??= rootCertificates.flatMap((pem) => parsePems(pem, "mozilla"));
  const extra = extraCa.flatMap((pem) => {
    let parsed = extraCache.get(pem);
    if (!parsed) {
      parsed = parsePems(pem, "extra");
      if (extraCache.size < 64) extraCache.set(pem, parsed);
    }
    return parsed;
  });
  const index: AnchorIndex = { bySubject: new Map(), byFingerprint: new Map() };
  for (const anchor of [...extra, ...mozilla]) {
    const list = index.bySubject.get(anchor.cert.subject) ?? [];
    list.push(anchor);
    index.bySubject.set(anchor.cert.subject, list);
    if (!index.byFingerprint.has(anchor.cert.fingerprint256)) index.byFingerprint.set(anchor.cert.fingerprint256, anchor);
  }
  return index;
}

/** Each certificate in a PEM bundle; unreadable blocks are skipped. */
export function parsePems(text: string, source: "mozilla" | "extra"): Anchor[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const anchors: Anchor[] = [];
  for (const block of blocks) {
    try {
      anchors.push({ cert: new X509Certificate(block), source });
    } catch {
      // Not a certificate (a damaged --ca-file block): it anchors nothing.
    }
  }
  return anchors;
}

function splitNames(text: string | undefined): string[] {
  if (!text) return [];
  // OpenSSL separates entries with ", "; quoted entries may contain commas, which this split accepts as rare.
  return text.split(/, (?=[A-Za-z ]+:)/).map((name) => name.trim()).filter((name) => name !== "");
}

function commonNames(subject: string): string[] {
  return subject.split("\n").filter((line) => line.startsWith("CN=")).map((line) => line.slice(3));
}

function oneLine(name: string): string {
  const text = name.split("\n").join(", ");
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}

/** The CN (or the whole name) for messages. */
function shortName(name: string): string {
  return commonNames(name)[0] ?? oneLine(name);
}
