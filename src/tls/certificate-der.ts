/**
 * A small, bounded DER reader (ITU-T X.690) for the few structures node:crypto
 * does not expose: a certificate's exact SubjectPublicKeyInfo bytes (DANE
 * selector 1), a stapled OCSP response, OpenSSL's serialized SSL_SESSION.
 * It reads definite lengths only (DER forbids the indefinite form) and
 * throws DerError on anything malformed, never reading past its buffer.
 */

export class DerError extends Error {
  override name = "DerError";
}

export interface DerNode {
  /** The identifier octet: class, constructed bit and tag number (single-byte tags only). */
  tag: number;
  /** Offset of the identifier octet in the buffer. */
  start: number;
  /** Offset of the contents. */
  contentStart: number;
  /** Offset just past the contents. */
  end: number;
  /** The contents (a view, not a copy). */
  content: Buffer;
  /** Identifier, length and contents: the element's whole encoding. */
  encoded: Buffer;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  GENERALIZED_TIME: 0x18,
  UTC_TIME: 0x17,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific tag [n], constructed (EXPLICIT tagging) or primitive. */
export function contextTag(n: number, constructed = true): number {
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

/** Reads the element at `offset`. */
export function readNode(buffer: Buffer, offset = 0): DerNode {
  if (offset + 2 > buffer.length) throw new DerError(`truncated element at ${offset}`);
  const tag = buffer[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte tag at ${offset}`);
  let length = buffer[offset + 1] as number;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new DerError(`unsupported length form at ${offset}`);
    if (contentStart + count > buffer.length) throw new DerError(`truncated length at ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buffer[contentStart + i] as number);
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > buffer.length) throw new DerError(`element at ${offset} runs past the end (${end} > ${buffer.length})`);
  return { tag, start: offset, contentStart, end, content: buffer.subarray(contentStart, end), encoded: buffer.subarray(offset, end) };
}

/** The elements inside a constructed element's contents, in order. */
export function children(node: DerNode): DerNode[] {
  const list: DerNode[] = [];
  let offset = 0;
  while (offset < node.content.length) {
    const child = readNode(node.content, offset);
    list.push(child);
    offset = child.end;
  }
  return list;
}

/** Reads an element and checks its tag. */
export function expect(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (!node) throw new DerError(`${what} is missing`);
  if (node.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${node.tag.toString(16)}`);
  return node;
}

/** A non-negative INTEGER or ENUMERATED as a number (up to 2^53). */
export function readUnsigned(node: DerNode): number {
  if (node.content.length === 0 || node.content.length > 8) throw new DerError("integer of unsupported length");
  let value = 0;
  for (const byte of node.content) value = value * 256 + byte;
  if (!Number.isSafeInteger(value)) throw new DerError("integer too large");
  return value;
}

/** Dotted OBJECT IDENTIFIER. */
export function readOid(node: DerNode): string {
  const bytes = node.content;
  if (bytes.length === 0) throw new DerError("empty OID");
  const parts: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join(".");
}

/** GeneralizedTime or UTCTime as epoch milliseconds. */
export function readTime(node: DerNode): number {
  const text = node.content.toString("latin1");
  const match = node.tag === TAG.UTC_TIME
    ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
    : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(text);
  if (!match) throw new DerError(`unsupported time "${text.slice(0, 30)}"`);
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const year = node.tag === TAG.UTC_TIME ? (y < 50 ? 2000 + y : 1900 + y) : y;
  return Date.UTC(year, mo - 1, d, h, mi, s);
}

/** The parts of a certificate that node:crypto does not give as bytes. */
export interface CertificateParts {
  /** The SubjectPublicKeyInfo exactly as encoded in the certificate. */
  spki: Buffer;
  /** The subjectPublicKey BIT STRING's key bytes (no unused-bits octet). */
  publicKeyBits: Buffer;
  /** The outer signatureAlgorithm OID. */
  signatureOid: string;
  /** Its parameters' encoding, when present (RSASSA-PSS names its hash there). */
  signatureParameters: Buffer | null;
  /** The serial number's content octets. */
  serial: Buffer;
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue } (RFC 5280 §4.1). */
export function certificateParts(der: Buffer): CertificateParts {
  const certificate = expect(readNode(der), TAG.SEQUENCE, "Certificate");
  const [tbsNode, algorithmNode] = children(certificate);
  const tbs = children(expect(tbsNode, TAG.SEQUENCE, "tbsCertificate"));
  // version [0] EXPLICIT is optional (absent for v1 certificates).
  const fields = tbs[0]?.tag === contextTag(0) ? tbs.slice(1) : tbs;
  const serial = expect(fields[0], TAG.INTEGER, "serialNumber").content;
  const spkiNode = expect(fields[5], TAG.SEQUENCE, "subjectPublicKeyInfo");
  const bits = expect(children(spkiNode)[1], TAG.BIT_STRING, "subjectPublicKey").content;
  const algorithm = children(expect(algorithmNode, TAG.SEQUENCE, "signatureAlgorithm"));
  return {
    spki: Buffer.from(spkiNode.encoded),
    publicKeyBits: Buffer.from(bits.subarray(1)),
    signatureOid: readOid(expect(algorithm[0], TAG.OID, "signature algorithm OID")),
    signatureParameters: algorithm[1] ? Buffer.from(algorithm[1].encoded) : null,
    serial: Buffer.from(serial),
  };
}
