/**
 * A bounded SMTP client that goes just far enough to start TLS (RFC 5321,
 * RFC 3207): read the 220 greeting, EHLO, look for STARTTLS among the
 * extensions, send STARTTLS, expect 220, and hand the TCP socket over to
 * the TLS layer (the raw prober or node:tls).
 *
 * Hostile servers get bounded errors: each step has its own timeout, a reply
 * line is capped (RFC 5321 §4.5.3.1.5 allows 512 octets; 4 KiB here), a whole
 * multi-line reply is capped, and the caller's signal ends everything.
 * Bytes after the STARTTLS 220 and before our first TLS byte are an error:
 * a server (or a man in the middle) injecting plaintext there is what
 * CVE-2011-0411-style STARTTLS command injection exploits, and a TLS client
 * would read them as a broken record.
 */
import { connect as netConnect, type Socket } from "node:net";
import type { Connector, Gate } from "./connection.ts";

export const SMTP_EHLO_NAME = "baseline.invalid";
export const SMTP_MAX_LINE_BYTES = 4096;
export const SMTP_MAX_REPLY_BYTES = 64 * 1024;
export const SMTP_STEP_TIMEOUT_MS = 10_000;
/** SMTP servers often limit parallel connections from one client (Postfix: smtpd_client_connection_count_limit). */
export const SMTP_CONNECTIONS_PER_HOST = 4;

export interface SmtpOptions {
  /** The name sent in EHLO; default baseline.invalid. */
  ehloName?: string;
  /** Connect, and each reply, within this; default 10 s. */
  stepTimeoutMs?: number;
  maxLineBytes?: number;
  maxReplyBytes?: number;
  signal?: AbortSignal;
}

export interface SmtpReply {
  code: number;
  /** The text of each line, without code and separator (capped to 8 lines of 200 characters for evidence). */
  lines: string[];
}

/** Which step failed: connect, timeout, closed (by the server), limit (a cap), protocol (not SMTP), reply (an unexpected code), no-starttls, aborted. */
export type SmtpErrorKind = "connect" | "timeout" | "closed" | "limit" | "protocol" | "reply" | "no-starttls" | "aborted";

export class SmtpError extends Error {
  override name = "SmtpError";
  readonly kind: SmtpErrorKind;
  readonly reply: SmtpReply | null;
  constructor(kind: SmtpErrorKind, message: string, reply: SmtpReply | null = null) {
    super(message);
    this.kind = kind;
    this.reply = reply;
  }
}

export interface StartTlsSession {
  /** The socket, paused, with no listeners of ours and no unread bytes: write the first TLS byte next. */
  socket: Socket;
  banner: SmtpReply;
  ehlo: SmtpReply;
  /** The extension keywords of the EHLO reply, upper case (capped at 32). */
  extensions: string[];
  starttls: SmtpReply;
}

const EVIDENCE_LINES = 8;
const MAX_UNSOLICITED = 4;
const EVIDENCE_LINE_CHARS = 200;

/** Reads SMTP replies from a socket; one pending reply at a time. */
class ReplyReader {
  private buffer = Buffer.alloc(0);
  private lines: string[] = [];
  private replyBytes = 0;
  private waiter: { resolve: (reply: SmtpReply) => void; reject: (error: SmtpError) => void } | null = null;
  private failure: SmtpError | null = null;
  private readonly ready: SmtpReply[] = [];
  private rejectFailed: (error: SmtpError) => void = () => undefined;
  /** Rejects when the reader fails (timeout, cap, close, abort); never resolves. */
  readonly failed: Promise<never> = new Promise<never>((_resolve, reject) => {
    this.rejectFailed = reject;
  });

  private readonly maxLine: number;
  private readonly maxReply: number;

  constructor(maxLine: number, maxReply: number) {
    this.maxLine = maxLine;
    this.maxReply = maxReply;
    // Not every step waits on `failed`; a rejection nobody awaits must not crash the process.
    this.failed.catch(() => undefined);
  }

  /** Bytes left after the last complete reply (they must be none at the STARTTLS hand-over). */
  get leftover(): number {
    return this.buffer.length + this.lines.length;
  }

  push(chunk: Buffer): void {
    if (this.failure) return;
    this.buffer = Buffer.concat([this.buffer, chunk]);
    // deliver() may fail the reader mid-chunk; stop parsing then.
    while (!this.stopped()) {
      const end = this.buffer.indexOf(0x0a);
      if (end < 0) {
        if (this.buffer.length > this.maxLine) this.fail(new SmtpError("limit", `a reply line is longer than ${this.maxLine} bytes`));
        return;
      }
      if (end + 1 > this.maxLine) { this.fail(new SmtpError("limit", `a reply line is longer than ${this.maxLine} bytes`)); return; }
      const line = this.buffer.subarray(0, end).toString("latin1").replace(/\r$/, "");
      this.buffer = this.buffer.subarray(end + 1);
      this.replyBytes += end + 1;
      if (this.replyBytes > this.maxReply) { this.fail(new SmtpError("limit", `a reply is longer than ${this.maxReply} bytes (an endless multi-line reply?)`)); return; }
      const match = /^(\d{3})([ -]?)(.*)$/.exec(line);
      if (!match?.[1]) { this.fail(new SmtpError("protocol", `not an SMTP reply line: ${JSON.stringify(line.slice(0, 80))}`)); return; }
      this.lines.push(line);
      if (match[2] === "-") continue;
      const code = Number(match[1]);
      const text = this.lines.map((l) => l.slice(4));
      if (this.lines.some((l) => l.slice(0, 3) !== match[1])) { this.fail(new SmtpError("protocol", "a multi-line reply changes its code")); return; }
      this.lines = [];
      this.replyBytes = 0;
      this.deliver({ code, lines: text });
    }
  }

  private stopped(): boolean {
    return this.failure !== null;
  }

  fail(error: SmtpError): void {
    if (this.failure) return;
    this.failure = error;
    this.rejectFailed(error);
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(error);
  }

  private deliver(reply: SmtpReply): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = null;
      waiter.resolve(reply);
      return;
    }
    // Replies nobody asked for would pile up without bound (a server streaming "250 ok" lines).
    if (this.ready.length >= MAX_UNSOLICITED) this.fail(new SmtpError("limit", `more than ${MAX_UNSOLICITED} replies nobody asked for`));
    else this.ready.push(reply);
  }

  next(): Promise<SmtpReply> {
    if (this.failure) return Promise.reject(this.failure);
    const ready = this.ready.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  get pendingReplies(): number {
    return this.ready.length;
  }
}

function forEvidence(reply: SmtpReply): SmtpReply {
  return { code: reply.code, lines: reply.lines.slice(0, EVIDENCE_LINES).map((line) => line.slice(0, EVIDENCE_LINE_CHARS)) };
}

function describe(reply: SmtpReply): string {
  return `${reply.code} ${(reply.lines[0] ?? "").slice(0, 120)}`.trim();
}

function networkReason(error: NodeJS.ErrnoException): string {
  if (error.code === "ECONNREFUSED") return "connection refused";
  if (error.code === "ECONNRESET") return "connection reset by the server";
  if (error.code === "EHOSTUNREACH" || error.code === "ENETUNREACH") return "host unreachable";
  return error.code ?? error.message;
}

/**
 * Connects to host:port, speaks SMTP up to an accepted STARTTLS and returns
 * the socket for TLS. Throws SmtpError (one line, which step failed and why).
 */
export async function smtpStartTls(host: string, port: number, options: SmtpOptions = {}): Promise<StartTlsSession> {
  const where = `${host}:${port}`;
  const stepMs = options.stepTimeoutMs ?? SMTP_STEP_TIMEOUT_MS;
  const reader = new ReplyReader(options.maxLineBytes ?? SMTP_MAX_LINE_BYTES, options.maxReplyBytes ?? SMTP_MAX_REPLY_BYTES);
  const signal = options.signal;
  if (signal?.aborted) throw new SmtpError("aborted", `SMTP with ${where} aborted`);
  const socket = netConnect({ host, port });
  let connected = false;
  const onData = (chunk: Buffer): void => reader.push(chunk);
  const onEnd = (): void => reader.fail(new SmtpError("closed", `${where} closed the connection`));
  const onError = (error: NodeJS.ErrnoException): void =>
    reader.fail(connected ? new SmtpError("closed", `${where}: ${networkReason(error)}`) : new SmtpError("connect", `cannot connect to ${where}: ${networkReason(error)}`));
  const onAbort = (): void => reader.fail(new SmtpError("aborted", `SMTP with ${where} aborted`));
  socket.on("data", onData);
  socket.on("end", onEnd);
  socket.on("error", onError);
  signal?.addEventListener("abort", onAbort, { once: true });
  const detach = (): void => {
    socket.off("data", onData);
    socket.off("end", onEnd);
    socket.off("error", onError);
    signal?.removeEventListener("abort", onAbort);
  };

  /** Waits for `promise`, failing the reader after the step timeout with `what`. */
  const step = async <T>(what: string, promise: Promise<T>): Promise<T> => {
    const timer = setTimeout(() => reader.fail(new SmtpError("timeout", `${where}: ${what} within ${stepMs} ms`)), stepMs);
    try {
      return await Promise.race([promise, reader.failed]);
    } finally {
      clearTimeout(timer);
    }
  };

  try {
    await step(
      "no connection",
      new Promise<void>((resolve) =>
        socket.once("connect", () => {
          connected = true;
          resolve();
        }),
      ),
    );
    const banner = await step("no 220 greeting", reader.next());
    if (banner.code !== 220) throw new SmtpError("reply", `${where} greeted with ${describe(banner)} instead of 220`, forEvidence(banner));
    socket.write(`EHLO ${options.ehloName ?? SMTP_EHLO_NAME}\r\n`);
    const ehlo = await step("no answer to EHLO", reader.next());
    if (ehlo.code !== 250) throw new SmtpError("reply", `${where} answered EHLO with ${describe(ehlo)}`, forEvidence(ehlo));
    // The first line is the server's name; each further line starts with an extension keyword.
    const extensions = ehlo.lines.slice(1).map((line) => (line.split(/\s+/)[0] ?? "").toUpperCase()).filter((word) => word !== "").slice(0, 32);
    if (!extensions.includes("STARTTLS")) throw new SmtpError("no-starttls", `${where} does not offer STARTTLS (EHLO extensions: ${extensions.join(", ") || "none"})`, forEvidence(ehlo));
    if (reader.pendingReplies > 0) throw new SmtpError("protocol", `${where} sent a reply nobody asked for`);
    socket.write("STARTTLS\r\n");
    const starttls = await step("no answer to STARTTLS", reader.next());
    if (starttls.code !== 220) throw new SmtpError("reply", `${where} refused STARTTLS: ${describe(starttls)}`, forEvidence(starttls));
    if (reader.leftover > 0 || reader.pendingReplies > 0) throw new SmtpError("protocol", `${where} sent plaintext after its STARTTLS reply (STARTTLS injection?)`);
    detach();
    socket.pause();
    // A late error with no listener would crash the process; the TLS layer attaches its own next.
    socket.on("error", () => undefined);
    return { socket, banner: forEvidence(banner), ehlo: forEvidence(ehlo), extensions, starttls: forEvidence(starttls) };
  } catch (error) {
    detach();
    socket.on("error", () => undefined);
    socket.destroy();
    if (error instanceof SmtpError) throw error;
    throw new SmtpError("protocol", `${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A Connector that runs the SMTP STARTTLS preamble before each TLS hello. */
export function smtpConnector(options: Omit<SmtpOptions, "signal"> = {}): Connector {
  return async (host, port, signal) => (await smtpStartTls(host, port, { ...options, signal })).socket;
}

/**
 * Holds one slot of `gate` for the whole life of each connection `inner`
 * opens (preamble and TLS), so that every probe of one mail server together
 * stays within the gate's limit: SMTP servers often cap the connections one
 * client may hold, and a tester over that cap sees refusals, not TLS.
 */
export function gateConnector(gate: Gate, inner: Connector): Connector {
  return (host, port, signal) =>
    new Promise<Socket>((resolve, reject) => {
      void gate(async () => {
        if (signal.aborted) {
          reject(new SmtpError("aborted", `connection to ${host}:${port} aborted before it started`));
          return;
        }
        let socket: Socket;
        try {
          socket = await inner(host, port, signal);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        const closed = new Promise<void>((done) => {
          if (socket.destroyed) done();
          else socket.once("close", () => done());
        });
        resolve(socket);
        await closed;
      });
    });
}
