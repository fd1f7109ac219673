/**
 * The shapes shared by Baseline's DNS engine: wire format, transport,
 * DNSSEC primitives, validator and resolver. The engine knows nothing of
 * procurement; it answers "what is the answer, and can it be trusted?".
 *
 * Names are absolute, in presentation form with a trailing dot
 * ("www.example.org."); the root is ".". Case is kept as received: DNS
 * compares names case-insensitively (use `canonicalName` from wire.ts).
 */

/** Record types the engine reads and writes; others pass through as raw bytes. */
export type RecordType =
  | "A" | "AAAA" | "NS" | "CNAME" | "DNAME" | "SOA" | "MX" | "TXT" | "CAA" | "TLSA" | "PTR" | "SRV"
  | "DNSKEY" | "RRSIG" | "DS" | "NSEC" | "NSEC3" | "NSEC3PARAM" | "OPT" | "ANY";

/**
 * One resource record. `data` holds the decoded RDATA in dns-packet's shapes
 * (e.g. A: "192.0.2.1"; MX: { preference, exchange }; RRSIG: { typeCovered,
 * algorithm, labels, originalTTL, expiration, inception, keyTag, signersName,
 * signature }; NSEC3PARAM: { algorithm, flags, iterations, salt }), and raw
 * bytes (Uint8Array) for types the codec does not know.
 */
export interface ResourceRecord {
  name: string;
  /** Type mnemonic ("A", "RRSIG", ...) or "TYPE65534" for unknown types. */
  type: string;
  /** "IN" in practice; other classes are kept as their mnemonic. */
  class: string;
  ttl: number;
  data: unknown;
}

export interface Question {
  name: string;
  type: string;
  /** "IN" when absent. Other classes appear only in parsed messages (the engine asks for IN). */
  class?: string;
}

/** Response code mnemonic: NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED, ..., or "RCODE23" for unassigned codes. */
export type Rcode = string;

export interface Message {
  id: number;
  flags: { qr: boolean; aa: boolean; tc: boolean; rd: boolean; ra: boolean; ad: boolean; cd: boolean };
  opcode: string;
  rcode: Rcode;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
  /** Present when the message carried an OPT record (EDNS0, RFC 6891). */
  edns?: { udpPayloadSize: number; dnssecOk: boolean; version: number; options?: { code: number; data: Uint8Array }[] };
}

/** A server to send queries to. */
export interface ServerAddress {
  address: string;
  port: number;
}

/** RFC 4033 §5 security states. */
export type Security = "secure" | "insecure" | "bogus" | "indeterminate";
