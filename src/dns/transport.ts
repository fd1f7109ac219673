/**
 * Sending one DNS query to one server and getting its answer: UDP first,
 * TCP when the answer is truncated (RFC 7766), timeouts and bounded retries,
 * and limits on how many queries are in flight per server and overall.
 *
 * Off-path spoofing is made hard the usual way (RFC 5452 §9): every attempt
 * uses a fresh socket on a random source port and a random id, and an answer
 * counts only when it comes from the address and port asked, carries the
 * id, has QR set and repeats the question. Anything else (including
 * packets that do not parse) is dropped and the wait goes on.
 *
 * @example
 *   const transport = new DnsTransport({ timeoutMs: 1500 });
 *   const { message, rttMs } = await transport.query({ address: "192.0.2.53", port: 53 }, { name: "example.org.", type: "DNSKEY" });
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { isIP, isIPv6, Socket as TcpSocket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Message, Question, ServerAddress } from "./types.ts";
import { buildQuery, canonicalName, parseMessage, typeCode } from "./wire.ts";

export interface DnsTransportOptions {
  /** Per attempt, in milliseconds. */
  timeoutMs?: number;
  /** Attempts after the first one that timed out (0-10). */
  retries?: number;
  maxInFlightPerServer?: number;
  maxInFlight?: number;
  /** A TCP answer announcing more octets than this is refused. */
  maxTcpResponseBytes?: number;
}

export interface QueryOptions {
  /**
   * Timeout of the first attempt, e.g. from the server's measured round trip;
   * each retry doubles it, never beyond the transport's own timeout.
   */
  timeoutMs?: number;
  dnssecOk?: boolean;
  checkingDisabled?: boolean;
  recursionDesired?: boolean;
  signal?: AbortSignal;
}

export interface QueryResult {
  message: Message;
  rttMs: number;
  transport: "udp" | "tcp";
}

/** No acceptable answer arrived in any attempt. */
export class DnsTimeoutError extends Error {
  override name = "DnsTimeoutError";
  readonly server: ServerAddress;
  readonly question: Question;

  constructor(server: ServerAddress, question: Question, attempts: number, timeoutMs: number) {
    super(`no answer from ${formatServer(server)} for ${question.name} ${question.type} (${attempts} attempts of ${timeoutMs} ms)`);
    this.server = server;
    this.question = question;
  }
}

/** A TCP answer that cannot be used: too large, or the connection ended before it was complete. */
export class DnsTransportError extends Error {
  override name = "DnsTransportError";
}

const MAX_RETRIES = 10;

export class DnsTransport {
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #maxTcpResponseBytes: number;
  readonly #perServerLimit: number;
  readonly #overall: Limiter;
  readonly #perServer = new Map<string, Limiter>();

  constructor(options: DnsTransportOptions = {}) {
    this.#timeoutMs = positiveInteger(options.timeoutMs ?? 2000, "timeoutMs");
    this.#retries = options.retries ?? 2;
    if (!Number.isInteger(this.#retries) || this.#retries < 0 || this.#retries > MAX_RETRIES) {
      throw new RangeError(`retries must be an integer from 0 to ${MAX_RETRIES}, not ${this.#retries}`);
    }
    this.#perServerLimit = positiveInteger(options.maxInFlightPerServer ?? 16, "maxInFlightPerServer");
    this.#overall = new Limiter(positiveInteger(options.maxInFlight ?? 256, "maxInFlight"));
    this.#maxTcpResponseBytes = positiveInteger(options.maxTcpResponseBytes ?? 65535, "maxTcpResponseBytes");
  }

  /**
   * Asks `server` one question. Rejects with DnsTimeoutError when every
   * attempt timed out, with the signal's reason when aborted, and with the
   * socket's error when the network refuses (e.g. ECONNREFUSED over TCP).
   */
  async query(server: ServerAddress, question: Question, options: QueryOptions = {}): Promise<QueryResult> {
    options.signal?.throwIfAborted();
    // An address, never a host name: the engine must not hand names to the system resolver.
    if (!isIP(server.address)) throw new TypeError(`server address "${server.address}" is not an IP address`);
    if (!Number.isInteger(server.port) || server.port < 1 || server.port > 0xffff) throw new TypeError(`server port ${server.port} is not a port number`);
    const key = `${normalizeAddress(server.address)}|${server.port}`;
    const limiter = this.#perServer.get(key) ?? new Limiter(this.#perServerLimit);
    this.#perServer.set(key, limiter);
    // Per server first: a query waiting for its busy server then holds no slot that other servers could use.
    try {
      return await limiter.run(() => this.#overall.run(() => this.#attempts(server, question, options), options.signal), options.signal);
    } finally {
      if (limiter.idle) this.#perServer.delete(key);
    }
  }

  async #attempts(server: ServerAddress, question: Question, options: QueryOptions): Promise<QueryResult> {
    const first = Math.min(this.#timeoutMs, Math.max(1, options.timeoutMs ?? this.#timeoutMs));
    for (let attempt = 0; attempt <= this.#retries; attempt++) {
      const timeoutMs = Math.min(this.#timeoutMs, first * 2 ** attempt);
      const udp = await udpExchange(server, question, options, timeoutMs);
      if (!udp) continue;
      if (!udp.message.flags.tc) return { ...udp, transport: "udp" };
      const tcp = await tcpExchange(server, question, options, this.#timeoutMs, this.#maxTcpResponseBytes);
      if (tcp) return { ...tcp, transport: "tcp" };
    }
    throw new DnsTimeoutError(server, question, this.#retries + 1, this.#timeoutMs);
  }
}

interface Exchange {
  message: Message;
  rttMs: number;
}

/**
 * One attempt over the given transport only: no retry, no TCP fallback, no
 * limiter. For reachability tests, which must know whether a server answers
 * over UDP and over TCP each on its own. Resolves with the answer, or with
 * undefined when none came within `timeoutMs`; rejects on a socket error
 * (refused connection, closed without answering) or abort.
 */
export async function queryOnce(server: ServerAddress, question: Question, transport: "udp" | "tcp", options: QueryOptions & { timeoutMs: number }): Promise<QueryResult | undefined> {
  const exchanged = transport === "udp"
    ? await udpExchange(server, question, options, options.timeoutMs)
    : await tcpExchange(server, question, options, options.timeoutMs, 65535);
  return exchanged && { ...exchanged, transport };
}

/**
 * One UDP attempt: resolves with the answer, with undefined on timeout, or
 * rejects on a socket error or abort. The socket is closed in every case.
 */
function udpExchange(server: ServerAddress, question: Question, options: QueryOptions, timeoutMs: number): Promise<Exchange | undefined> {
  const { id, bytes } = buildQuery(question, queryFlags(options));
  const expectedAddress = normalizeAddress(server.address);
  const socket: UdpSocket = createSocket(isIPv6(server.address) ? "udp6" : "udp4");
  return exchange<Exchange | undefined>(timeoutMs, options.signal, () => socket.close(), (settle, fail) => {
    const started = performance.now();
    socket.on("error", fail);
    socket.on("message", (packet, remote) => {
      if (normalizeAddress(remote.address) !== expectedAddress || remote.port !== server.port) return;
      const message = acceptable(packet, id, question);
      if (message) settle({ message, rttMs: performance.now() - started });
    });
    // Binding to port 0 lets the system pick a random source port for this attempt only.
    socket.bind(0, () => {
      try {
        socket.send(bytes, server.port, server.address, (error) => {
          if (error) fail(error);
        });
      } catch (error) {
        // Closed already (aborted or timed out while binding): nothing left to do.
        fail(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

/** One TCP attempt (RFC 7766 §8: each message preceded by its two-octet length). */
function tcpExchange(server: ServerAddress, question: Question, options: QueryOptions, timeoutMs: number, maxResponseBytes: number): Promise<Exchange | undefined> {
  const { id, bytes } = buildQuery(question, queryFlags(options));
  const socket = new TcpSocket();
  return exchange<Exchange | undefined>(timeoutMs, options.signal, () => socket.destroy(), (settle, fail) => {
    const started = performance.now();
    let received = Buffer.alloc(0);
    socket.on("error", fail);
    socket.on("close", () => fail(new DnsTransportError(`${formatServer(server)} closed the TCP connection before answering ${question.name} ${question.type}`)));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      // Several messages may arrive on one connection; only a matching one ends the wait.
      while (received.length >= 2) {
        const length = received.readUInt16BE(0);
        if (length > maxResponseBytes) {
          fail(new DnsTransportError(`${formatServer(server)} announced a TCP answer of ${length} octets (limit ${maxResponseBytes})`));
          return;
        }
        if (received.length < 2 + length) return;
        const message = acceptable(received.subarray(2, 2 + length), id, question);
        received = received.subarray(2 + length);
        if (message) {
          settle({ message, rttMs: performance.now() - started });
          return;
        }
      }
    });
    socket.setNoDelay(true);
    socket.connect({ host: server.address, port: server.port }, () => {
      const framed = Buffer.alloc(2 + bytes.length);
      framed.writeUInt16BE(bytes.length, 0);
      framed.set(bytes, 2);
      socket.write(framed);
    });
  });
}

/**
 * Runs one network exchange with a timer and an abort signal: the first of
 * answer, timeout (undefined), error or abort wins, and `close` runs once.
 */
function exchange<T>(
  timeoutMs: number,
  signal: AbortSignal | undefined,
  close: () => void,
  start: (settle: (value: T) => void, fail: (error: Error) => void) => void,
): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (outcome: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      close();
      outcome();
    };
    const onAbort = (): void => finish(() => reject(signal?.reason as Error));
    const timer = setTimeout(() => finish(() => resolve(undefined)), timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      start((value) => finish(() => resolve(value)), (error) => finish(() => reject(error)));
    } catch (error) {
      finish(() => reject(error instanceof Error ? error : new Error(String(error))));
    }
  });
}

/** The parsed packet when it answers query `id` for `question`, else undefined. */
function acceptable(packet: Uint8Array, id: number, question: Question): Message | undefined {
  let message: Message;
  try {
    message = parseMessage(packet);
  } catch {
    return undefined;
  }
  if (message.id !== id || !message.flags.qr || message.questions.length !== 1) return undefined;
  const [echoed] = message.questions as [Question];
  const sameQuestion =
    canonicalName(echoed.name) === canonicalName(question.name) &&
    typeCode(echoed.type) === typeCode(question.type) &&
    (echoed.class ?? "IN").toUpperCase() === (question.class ?? "IN").toUpperCase();
  return sameQuestion ? message : undefined;
}

function queryFlags(options: QueryOptions): { dnssecOk?: boolean; checkingDisabled?: boolean; recursionDesired?: boolean } {
  const flags: { dnssecOk?: boolean; checkingDisabled?: boolean; recursionDesired?: boolean } = {};
  if (options.dnssecOk !== undefined) flags.dnssecOk = options.dnssecOk;
  if (options.checkingDisabled !== undefined) flags.checkingDisabled = options.checkingDisabled;
  if (options.recursionDesired !== undefined) flags.recursionDesired = options.recursionDesired;
  return flags;
}

/** One spelling per address, so that "::1" and "0:0::1" match when comparing where an answer came from. */
function normalizeAddress(address: string): string {
  if (!isIPv6(address)) return address;
  return new URL(`http://[${address}]/`).hostname;
}

function formatServer(server: ServerAddress): string {
  return isIPv6(server.address) ? `[${server.address}]:${server.port}` : `${server.address}:${server.port}`;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, not ${value}`);
  return value;
}

/** At most `max` tasks at once; the others wait in arrival order. */
class Limiter {
  readonly #max: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(max: number) {
    this.#max = max;
  }

  get idle(): boolean {
    return this.#active === 0 && this.#waiting.length === 0;
  }

  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal);
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #acquire(signal: AbortSignal | undefined): Promise<void> {
    if (this.#active < this.#max) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#waiting.indexOf(grant);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal?.reason as Error);
      };
      // The slot passes straight from the releasing task to this one, so #active does not change.
      const grant = (): void => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(grant);
    });
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#active--;
  }
}
