/**
 * A real handshake through node:tls (OpenSSL), for what the raw prober
 * cannot see: the certificate chain the server presents, the stapled OCSP
 * response, the session tickets (and whether they invite 0-RTT data), and
 * whether the server lets the client renegotiate.
 *
 * Trust is not decided here: the handshake runs with rejectUnauthorized
 * false and an empty CA store (so that Node's chain reconstruction adds no
 * root the server did not send); certificate.ts judges the chain.
 *
 * Every probe is bounded: one timeout for connect plus handshake, a cap on
 * the bytes read from the server (OpenSSL itself refuses a certificate
 * message over 100 KiB), and the caller's abort signal.
 */
import { constants } from "node:crypto";
import { Duplex } from "node:stream";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type DetailedPeerCertificate, type SecureVersion, type TLSSocket } from "node:tls";
import { parseOcspStaple, type OcspStaple } from "./handshake-ocsp.ts";
import { readSession, type SessionFacts } from "./handshake-session.ts";
import type { Connector } from "./connection.ts";

export interface HandshakeOptions {
  /** SNI and the name certificate checks compare against. */
  servername: string;
  /** Connect plus handshake finish within this. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Extra trusted CAs (PEM). Not used for the handshake (trust is judged later); accepted for symmetry with the checks' settings. */
  extraCa?: readonly string[];
  /** Cap on bytes read from the server; default 256 KiB. */
  maxChainBytes?: number;
  /** Highest version offered (default TLS 1.3). */
  maxVersion?: SecureVersion;
  /** How long to wait after the handshake for TLS 1.3 session tickets; default min(timeoutMs, 1500). */
  ticketWaitMs?: number;
  /** Clock for the OCSP freshness verdict (tests). */
  now?: () => number;
  /**
   * Opens the TCP connection, e.g. smtpConnector() for TLS after SMTP
   * STARTTLS; default a plain connect. The timeout covers the preamble too.
   */
  connect?: Connector;
}

export interface SessionTicketInfo {
  /** The server sent at least one session (ticket or, before TLS 1.3, a session id to resume). */
  received: boolean;
  /** Sessions seen (TLS 1.3 servers often send two tickets). */
  count: number;
  /** A session ticket proper (RFC 5077 / RFC 8446 NewSessionTicket). */
  ticket: boolean;
  lifetimeHintSeconds: number | null;
  /** Largest max_early_data_size in the tickets; > 0: the server invites 0-RTT data. */
  maxEarlyData: number;
  /** A session could not be read (OpenSSL changed its encoding?); the 0-RTT verdict is then unknown. */
  parseError: string | null;
}

export interface HandshakeResult {
  address: string;
  port: number;
  servername: string;
  /** "TLSv1.3", "TLSv1.2", ... */
  protocol: string;
  cipher: { name: string; standardName: string; version: string };
  /** Negotiated ALPN protocol (h2, http/1.1) or null. */
  alpn: string | null;
  /** DER of each certificate, leaf first, in issuer order as Node rebuilt it from what the server sent. */
  chain: Buffer[];
  /** The chain was cut at MAX_CHAIN_CERTS. */
  chainTruncated: boolean;
  /** The stapled OCSP response, or null when none was stapled. */
  ocsp: OcspStaple | null;
  session: SessionTicketInfo;
  bytesRead: number;
  durationMs: number;
}

export interface RenegotiationResult {
  /** Renegotiation was attempted on a TLS 1.2 connection (a TLS 1.3-only server cannot renegotiate at all). */
  tested: boolean;
  /** The server completed a client-initiated renegotiation. */
  accepted: boolean;
  protocol: string | null;
  /** What happened, one line. */
  detail: string;
}

/** A probe failure with a one-line reason ("connection refused", "no answer within 5000 ms", "alert handshake failure"). */
export class HandshakeError extends Error {
  override name = "HandshakeError";
}

export const MAX_CHAIN_CERTS = 20;
export const DEFAULT_MAX_CHAIN_BYTES = 256 * 1024;
const ALPN = ["h2", "http/1.1"];

interface Connection {
  socket: TLSSocket;
  /** Bytes read from the server so far. */
  bytes: () => number;
  close: () => void;
}

/**
 * Opens a TCP connection and a TLS client over it; resolves at secureConnect.
 * The TLS layer sits on a Duplex over the raw socket so that every byte the
 * server sends is counted and the cap enforced before OpenSSL buffers it.
 */
async function open(address: string, port: number, options: HandshakeOptions, extra: OpenExtra): Promise<Connection> {
  if (!options.connect) return openOn(netConnect({ host: address, port }), address, port, options, extra);
  const started = Date.now();
  const where = `${address}:${port}`;
  // One budget for preamble and handshake: the preamble gets what is left of timeoutMs.
  const preamble = AbortSignal.any([AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])]);
  let raw: Socket;
  try {
    raw = await options.connect(address, port, preamble);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // The cause (an SmtpError for STARTTLS) tells callers that TLS never started.
    throw new HandshakeError(preamble.aborted && !options.signal?.aborted ? `${where}: no STARTTLS within ${options.timeoutMs} ms (${reason})` : reason, { cause: error });
  }
  const rest = Math.max(1, options.timeoutMs - (Date.now() - started));
  const connection = openOn(raw, address, port, { ...options, timeoutMs: rest }, extra);
  raw.resume();
  return connection;
}

interface OpenExtra {
  maxVersion: SecureVersion;
  secureOptions?: number;
  onOcsp?: (response: Buffer) => void;
  onSession?: (session: Buffer) => void;
}

function openOn(raw: Socket, address: string, port: number, options: HandshakeOptions, extra: OpenExtra): Promise<Connection> {
  const cap = options.maxChainBytes ?? DEFAULT_MAX_CHAIN_BYTES;
  const where = `${address}:${port}`;
  return new Promise<Connection>((resolve, reject) => {
    let bytes = 0;
    let settled = false;
    const pipe = new Duplex({
      read() {
        raw.resume();
      },
      write(chunk: Buffer, _encoding, callback) {
        if (raw.destroyed) callback();
        else raw.write(chunk, () => callback());
      },
      final(callback) {
        raw.end();
        callback();
      },
      destroy(error, callback) {
        raw.destroy();
        callback(error);
      },
    });
    // Errors of the pipe reach the TLS socket, which reports them; this keeps them from being unhandled.
    pipe.on("error", () => undefined);
    raw.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > cap) {
        fail(new HandshakeError(`${where}: the server sent more than ${cap} bytes during the handshake`));
        return;
      }
      if (!pipe.push(chunk)) raw.pause();
    });
    raw.on("end", () => pipe.push(null));
    raw.on("error", (error) => fail(new HandshakeError(`${where}: ${networkReason(error)}`)));
    raw.on("close", () => {
      if (!pipe.destroyed) pipe.push(null);
    });

    const socket = tlsConnect({
      socket: pipe,
      servername: isIpLiteral(options.servername) ? undefined : options.servername,
      rejectUnauthorized: false,
      // Empty store: Node's getPeerCertificate(true) then adds no root the server did not send.
      ca: [],
      ALPNProtocols: ALPN,
      requestOCSP: true,
      minVersion: "TLSv1",
      // Security level 0: a checker must complete handshakes with weak keys and SHA-1 certificates to judge them.
      ciphers: "DEFAULT:@SECLEVEL=0",
      maxVersion: extra.maxVersion,
      // OpenSSL 3 refuses servers without renegotiation_info (RFC 5746); a checker still wants their certificate.
      secureOptions: constants.SSL_OP_LEGACY_SERVER_CONNECT | (extra.secureOptions ?? 0),
    });
    // Sockets are destroyed on every path; errors after settling have nowhere to go.
    socket.on("error", (error: Error) => fail(new HandshakeError(`${where}: ${tlsReason(error)}`)));
    socket.on("close", () => fail(new HandshakeError(`${where}: the server closed the connection during the handshake`)));
    if (extra.onOcsp) socket.on("OCSPResponse", (response: Buffer | undefined) => {
      if (response && response.length > 0) extra.onOcsp?.(response);
    });
    if (extra.onSession) socket.on("session", (session: Buffer) => extra.onSession?.(session));

    const timer = setTimeout(() => fail(new HandshakeError(`${where}: no complete handshake within ${options.timeoutMs} ms`)), options.timeoutMs);
    const onAbort = (): void => fail(new HandshakeError(`${where}: aborted (${reasonText(options.signal?.reason as unknown)})`));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) onAbort();

    const close = (): void => {
      socket.destroy();
      pipe.destroy();
      raw.destroy();
    };
    function fail(error: Error): void {
      if (settled) {
        close();
        return;
      }
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      close();
      reject(error);
    }
    socket.once("secureConnect", () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      resolve({ socket, bytes: () => bytes, close });
    });
  });
}

/**
 * One full handshake (the highest version both sides support), with the
 * chain, OCSP staple and session tickets. Throws HandshakeError when no
 * handshake completes.
 */
export async function handshake(address: string, port: number, options: HandshakeOptions): Promise<HandshakeResult> {
  const started = Date.now();
  const stapled: { ocsp: Buffer | null } = { ocsp: null };
  const sessions: Buffer[] = [];
  // Set while waiting for tickets (an object: the callback below reads it later).
  const waiter: { onSession: (() => void) | null } = { onSession: null };
  const connection = await open(address, port, options, {
    maxVersion: options.maxVersion ?? "TLSv1.3",
    onOcsp: (response) => {
      stapled.ocsp ??= Buffer.from(response.subarray(0, 64 * 1024));
    },
    onSession: (session) => {
      if (sessions.length < 8) sessions.push(Buffer.from(session));
      waiter.onSession?.();
    },
  });
  try {
    const socket = connection.socket;
    const protocol = socket.getProtocol() ?? "unknown";
    // TLS 1.3 tickets arrive after the handshake; wait briefly for the first (nothing is sent to provoke them).
    if (protocol === "TLSv1.3" && sessions.length === 0) {
      const waitMs = options.ticketWaitMs ?? Math.min(options.timeoutMs, 1500);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        waiter.onSession = () => {
          clearTimeout(timer);
          // A second ticket usually follows in the same flight.
          setTimeout(resolve, 50);
        };
        const stop = (): void => {
          clearTimeout(timer);
          resolve();
        };
        socket.once("close", stop);
        options.signal?.addEventListener("abort", stop, { once: true });
      });
    }
    const cipher = socket.getCipher();
    const chain = peerChain(socket.getPeerCertificate(true));
    const alpn = socket.alpnProtocol;
    const now = (options.now ?? Date.now)();
    const staple = stapled.ocsp;
    return {
      address,
      port,
      servername: options.servername,
      protocol,
      cipher: { name: cipher.name, standardName: cipher.standardName, version: cipher.version },
      alpn: typeof alpn === "string" ? alpn : null,
      chain: chain.certs,
      chainTruncated: chain.truncated,
      ocsp: staple ? parseOcspStaple(staple, chain.certs[0] ?? null, chain.certs[1] ?? null, now) : null,
      session: sessionInfo(sessions),
      bytesRead: connection.bytes(),
      durationMs: Date.now() - started,
    };
  } finally {
    connection.close();
  }
}

/**
 * Client-initiated renegotiation (internet.nl: informational; allowed is a
 * denial-of-service lever). Connects with TLS 1.2 at most and asks OpenSSL to
 * renegotiate. A server that refuses answers with a no_renegotiation alert or
 * a handshake failure, or ignores the request (then the timeout decides:
 * not accepted).
 */
export async function probeClientRenegotiation(address: string, port: number, options: HandshakeOptions): Promise<RenegotiationResult> {
  let connection: Connection;
  try {
    // Unsafe legacy renegotiation allowed on our side: the question is what the server permits, not what OpenSSL would.
    connection = await open(address, port, options, { maxVersion: "TLSv1.2", secureOptions: constants.SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION });
  } catch (error) {
    // A server without TLS 1.2 and below cannot renegotiate at all.
    if (error instanceof HandshakeError && /protocol version|unsupported protocol|no protocols available/i.test(error.message)) {
      return { tested: false, accepted: false, protocol: null, detail: `no TLS 1.2 handshake (${error.message}); renegotiation does not exist in TLS 1.3` };
    }
    throw error;
  }
  const socket = connection.socket;
  const protocol = socket.getProtocol();
  try {
    return await new Promise<RenegotiationResult>((resolve) => {
      const done = (accepted: boolean, detail: string): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        resolve({ tested: true, accepted, protocol, detail });
      };
      const timer = setTimeout(() => done(false, `the server did not complete the renegotiation within ${options.timeoutMs} ms`), options.timeoutMs);
      const onAbort = (): void => done(false, "aborted before the renegotiation finished");
      options.signal?.addEventListener("abort", onAbort, { once: true });
      // A refused renegotiation is the expected way to fail (open()'s own listeners only tidy up by then).
      socket.on("error", (error: Error) => done(false, `refused: ${tlsReason(error)}`));
      socket.on("close", () => done(false, "refused: the server closed the connection"));
      const started = socket.renegotiate({ rejectUnauthorized: false }, (error: Error | null) => {
        if (error) done(false, `refused: ${tlsReason(error)}`);
        else done(true, "the server completed a client-initiated renegotiation");
      });
      if (!started) done(false, "OpenSSL could not start a renegotiation on this connection");
    });
  } finally {
    connection.close();
  }
}

/** Leaf first; stops at a self-issued certificate, a loop, or MAX_CHAIN_CERTS. */
function peerChain(leaf: DetailedPeerCertificate | Record<string, never>): { certs: Buffer[]; truncated: boolean } {
  const certs: Buffer[] = [];
  const seen = new Set<string>();
  // Node gives {} when there is no peer certificate, and issuerCertificate is absent at the top.
  let current = ("raw" in leaf ? leaf : undefined) as DetailedPeerCertificate | undefined;
  while (current?.raw) {
    const key = current.fingerprint256;
    if (seen.has(key)) break;
    if (certs.length >= MAX_CHAIN_CERTS) return { certs, truncated: true };
    seen.add(key);
    certs.push(Buffer.from(current.raw));
    current = current.issuerCertificate;
  }
  return { certs, truncated: false };
}

function sessionInfo(sessions: readonly Buffer[]): SessionTicketInfo {
  const info: SessionTicketInfo = { received: sessions.length > 0, count: sessions.length, ticket: false, lifetimeHintSeconds: null, maxEarlyData: 0, parseError: null };
  for (const session of sessions) {
    let facts: SessionFacts;
    try {
      facts = readSession(session);
    } catch (error) {
      info.parseError = error instanceof Error ? error.message : String(error);
      continue;
    }
    info.ticket ||= facts.hasTicket;
    if (facts.lifetimeHintSeconds !== null) info.lifetimeHintSeconds = Math.max(info.lifetimeHintSeconds ?? 0, facts.lifetimeHintSeconds);
    info.maxEarlyData = Math.max(info.maxEarlyData, facts.maxEarlyData);
  }
  return info;
}

function isIpLiteral(name: string): boolean {
  return /^[\d.]+$/.test(name) || name.includes(":");
}

function networkReason(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ECONNRESET") return "connection reset by the server";
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return "host unreachable";
  return error.message;
}

/** OpenSSL's messages are long ("...:ssl3_read_bytes:tlsv1 alert handshake failure:..."); Node puts the reason in `reason`. */
function tlsReason(error: Error): string {
  const { code, reason } = error as NodeJS.ErrnoException & { reason?: unknown };
  if (code === "ECONNRESET") return "connection reset by the server";
  if (typeof reason === "string" && reason !== "") return reason.replace(/^(?:tlsv1|sslv3) alert /, "alert ");
  const parts = (error.message.split("\n")[0] ?? "").split(":");
  // OpenSSL 3: "<thread>:error:<code>:<library>:<function>:<reason>:<file>:<line>:".
  const text = parts[1] === "error" && parts[5] ? parts[5] : error.message.split("\n")[0] ?? "TLS error";
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

function reasonText(reason: unknown): string {
  return reason instanceof Error ? reason.message : "signal";
}
