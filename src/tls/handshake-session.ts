/**
 * Reads the session node:tls hands to its 'session' event: OpenSSL's
 * i2d_SSL_SESSION encoding (ssl/ssl_asn1.c), a SEQUENCE whose optional
 * fields carry EXPLICIT context tags. Two of them matter here:
 * [9] tlsext_tick_lifetime_hint (seconds) and [15] max_early_data, which a
 * TLS 1.3 client copies from the NewSessionTicket's early_data extension
 * (RFC 8446 §4.6.1): above zero, the server invites 0-RTT data on resumption.
 * [10] is the ticket itself. Unknown or later fields are skipped.
 *
 * Node 24 wraps the DER in a header of its own ("\0nodejs:tls:session:1\0",
 * a 16-bit length and the server name); the DER is found as the SEQUENCE
 * that runs exactly to the end of the buffer.
 */
import { children, contextTag, DerError, expect, readNode, readUnsigned, TAG } from "./certificate-der.ts";

export interface SessionFacts {
  /** Protocol version number in the session (0x0304 is TLS 1.3). */
  version: number | null;
  /** The session carries a ticket. */
  hasTicket: boolean;
  lifetimeHintSeconds: number | null;
  /** 0 when absent: the server does not accept early data with this ticket. */
  maxEarlyData: number;
}

const LIFETIME_HINT = contextTag(9);
const TICKET = contextTag(10);
const MAX_EARLY_DATA = contextTag(15);

/** Throws DerError when the bytes are not such a session. */
export function readSession(session: Buffer): SessionFacts {
  const fields = children(expect(readNode(sessionDer(session)), TAG.SEQUENCE, "SSL_SESSION"));
  // version (session format), ssl_version, cipher, session_id, master_key, then tagged fields.
  const sslVersion = fields[1]?.tag === TAG.INTEGER ? readUnsigned(fields[1]) : null;
  const facts: SessionFacts = { version: sslVersion, hasTicket: false, lifetimeHintSeconds: null, maxEarlyData: 0 };
  for (const field of fields.slice(2)) {
    if (field.tag === LIFETIME_HINT) facts.lifetimeHintSeconds = readUnsigned(expect(children(field)[0], TAG.INTEGER, "lifetime hint"));
    else if (field.tag === TICKET) facts.hasTicket = expect(children(field)[0], TAG.OCTET_STRING, "ticket").content.length > 0;
    else if (field.tag === MAX_EARLY_DATA) facts.maxEarlyData = readUnsigned(expect(children(field)[0], TAG.INTEGER, "max_early_data"));
  }
  return facts;
}

const MAX_HEADER = 600;

/** The SSL_SESSION DER inside what the 'session' event gave (bare, or after Node's header). */
export function sessionDer(session: Buffer): Buffer {
  for (let offset = 0; offset < Math.min(session.length, MAX_HEADER); offset++) {
    if (session[offset] !== TAG.SEQUENCE) continue;
    try {
      if (readNode(session, offset).end === session.length) return session.subarray(offset);
    } catch {
      // Not the session's SEQUENCE: a 0x30 byte of the header; keep looking.
    }
  }
  throw new DerError("no SSL_SESSION structure in the session data");
}
