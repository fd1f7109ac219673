/**
 * SSL 2.0 probe. SSLv2 is not a TLS version with another number: its hello has
 * its own record header and layout (the SSL 2.0 specification, Netscape 1995,
 * §2.6: CLIENT-HELLO, SERVER-HELLO, ERROR), so it gets its own few bytes here.
 * One hello offers every SSLv2 cipher kind; a SERVER-HELLO in answer means the
 * server speaks SSLv2, and lists the cipher kinds it shares with the client.
 * Bounded like the TLS probes: a timeout, a byte cap, the signal and the gate.
 */
import { connect, type Socket } from "node:net";
import { randomBytes } from "node:crypto";
import { SSL2 } from "./client-hello.ts";
import type { Connector, Gate } from "./connection.ts";
import { abortReason, DEFAULT_TIMEOUT_MS } from "./probe.ts";

/** SSLv2 cipher kinds (3 bytes each) and their names. */
export const SSL2_CIPHERS: ReadonlyMap<number, string> = new Map([
  [0x010080, "SSL_CK_RC4_128_WITH_MD5"],
  [0x020080, "SSL_CK_RC4_128_EXPORT40_WITH_MD5"],
  [0x030080, "SSL_CK_RC2_128_CBC_WITH_MD5"],
  [0x040080, "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5"],
  [0x050080, "SSL_CK_IDEA_128_CBC_WITH_MD5"],
  [0x060040, "SSL_CK_DES_64_CBC_WITH_MD5"],
  [0x0700c0, "SSL_CK_DES_192_EDE3_CBC_WITH_MD5"],
]);

export function ssl2CipherName(kind: number): string {
  return SSL2_CIPHERS.get(kind) ?? `SSL2_0x${kind.toString(16).padStart(6, "0")}`;
}

/** A CLIENT-HELLO with a 2-byte record header, every cipher kind and a 16-byte challenge. */
export function buildSsl2ClientHello(challenge: Buffer = randomBytes(16)): Buffer {
  const specs = Buffer.concat([...SSL2_CIPHERS.keys()].map((kind) => Buffer.from([kind >> 16, (kind >> 8) & 0xff, kind & 0xff])));
  const body = Buffer.alloc(9);
  body.writeUInt8(1, 0); // MSG-CLIENT-HELLO
  body.writeUInt16BE(SSL2, 1);
  body.writeUInt16BE(specs.length, 3);
  body.writeUInt16BE(0, 5); // no session id
  body.writeUInt16BE(challenge.length, 7);
  const message = Buffer.concat([body, specs, challenge]);
  return Buffer.concat([Buffer.from([0x80 | (message.length >> 8), message.length & 0xff]), message]);
}

export type Ssl2Answer =
  | { kind: "incomplete" }
  | { kind: "server-hello"; ciphers: number[] }
  | { kind: "refused"; reason: string }
  | { kind: "not-ssl2"; reason: string };

/** Reads the first SSLv2 message of a server's bytes. TLS alerts and SSLv2 ERROR messages are refusals. */
export function readSsl2Answer(bytes: Buffer): Ssl2Answer {
  if (bytes.length === 0) return { kind: "incomplete" };
  const first = bytes.readUInt8(0);
  // A TLS record instead (an alert, or a handshake record of a server that took the hello for TLS).
  if (first === 21) return { kind: "refused", reason: "TLS alert" };
  if (first === 22) return { kind: "refused", reason: "answered with a TLS record" };
  if ((first & 0x80) === 0) {
    // A 3-byte header (with padding) is allowed for a SERVER-HELLO too, but no server sends one to a clear hello.
    return { kind: "not-ssl2", reason: `first byte 0x${first.toString(16)} is no SSLv2 record header` };
  }
  if (bytes.length < 2) return { kind: "incomplete" };
  const length = ((first & 0x7f) << 8) | bytes.readUInt8(1);
  if (bytes.length < 2 + length) return { kind: "incomplete" };
  const message = bytes.subarray(2, 2 + length);
  const type = message.readUInt8(0);
  if (type === 0) return { kind: "refused", reason: `SSLv2 ERROR ${message.length >= 3 ? message.readUInt16BE(1) : "?"}` };
  if (type !== 4 || message.length < 11) return { kind: "not-ssl2", reason: `SSLv2 message type ${type} (${message.length} bytes) where SERVER-HELLO was expected` };
  const version = message.readUInt16BE(3);
  const certificateLength = message.readUInt16BE(5);
  const specsLength = message.readUInt16BE(7);
  if (version !== SSL2) return { kind: "not-ssl2", reason: `SERVER-HELLO with version 0x${version.toString(16)}` };
  if (11 + certificateLength + specsLength > message.length || specsLength % 3 !== 0) return { kind: "not-ssl2", reason: "SERVER-HELLO lengths run past the message" };
  const specs = message.subarray(11 + certificateLength, 11 + certificateLength + specsLength);
  const ciphers: number[] = [];
  for (let i = 0; i < specs.length; i += 3) ciphers.push(specs.readUIntBE(i, 3));
  return { kind: "server-hello", ciphers };
}

export type Ssl2Result = { accepted: { ciphers: number[] } } | { refused: { reason: string } } | { error: string };

/** An SSLv2 record holds at most 32767 bytes; nothing more is read. */
const MAX_BYTES = 2 + 0x7fff;

export interface Ssl2Options {
  timeoutMs?: number;
  signal?: AbortSignal;
  gate?: Gate;
  /** Opens the connection instead of a plain TCP connect (see OfferOptions.connect). */
  connect?: Connector;
}

export function probeSsl2(host: string, port: number, options: Ssl2Options = {}): Promise<Ssl2Result> {
  const task = () => probeNow(host, port, options);
  return options.gate ? options.gate(task) : task();
}

function probeNow(host: string, port: number, options: Ssl2Options): Promise<Ssl2Result> {
  const where = `${host}:${port}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { signal } = options;
  if (signal?.aborted) return Promise.resolve({ error: `probe of ${where} aborted: ${abortReason(signal)}` });
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    let connected = false;
    let settled = false;
    let socket: Socket | null = null;
    const preamble = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (result: Ssl2Result) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      preamble.abort();
      socket?.destroy();
      resolve(result);
    };
    const onAbort = () => finish({ error: `probe of ${where} aborted: ${signal ? abortReason(signal) : "aborted"}` });
    signal?.addEventListener("abort", onAbort, { once: true });
    // Some TLS servers and load balancers never answer bytes they cannot parse; an SSLv2 server answers at once.
    // So silence after connecting means "no SSLv2", not "unknown" (which would leave the versions check undecided).
    const startTimer = () => {
      timer = setTimeout(
        () => finish(connected ? { refused: { reason: `no answer to an SSLv2 hello within ${timeoutMs} ms` } } : { error: `cannot connect to ${where} within ${timeoutMs} ms` }),
        timeoutMs,
      );
    };
    const attach = (opened: Socket) => {
      socket = opened;
      opened.on("data", onData);
      opened.on("end", onEnd);
      opened.on("error", onError);
    };
    if (options.connect) {
      options.connect(host, port, preamble.signal).then(
        (opened) => {
          if (settled) {
            opened.destroy();
            return;
          }
          attach(opened);
          connected = true;
          startTimer();
          opened.write(buildSsl2ClientHello());
          opened.resume();
        },
        (error: unknown) => {
          finish({ error: error instanceof Error ? error.message : String(error) });
        },
      );
    } else {
      startTimer();
      const opened = connect({ host, port });
      attach(opened);
      opened.on("connect", () => {
        connected = true;
        opened.write(buildSsl2ClientHello());
      });
    }
    function onData(chunk: Buffer) {
      received = Buffer.concat([received, chunk]);
      const answer = readSsl2Answer(received);
      if (answer.kind === "incomplete") {
        if (received.length > MAX_BYTES) finish({ error: `${where}: no complete SSLv2 answer within ${MAX_BYTES} bytes` });
        return;
      }
      if (answer.kind === "server-hello") finish({ accepted: { ciphers: answer.ciphers } });
      else if (answer.kind === "refused") finish({ refused: { reason: answer.reason } });
      // Bytes that are not SSLv2 in answer to an SSLv2 hello: the server does not speak it.
      else finish({ refused: { reason: answer.reason } });
    }
    function onEnd() {
      finish({ refused: { reason: "connection closed without a SERVER-HELLO" } });
    }
    function onError(error: NodeJS.ErrnoException) {
      if (connected) finish({ refused: { reason: `connection ${error.code === "ECONNRESET" ? "reset" : "failed"} without a SERVER-HELLO` } });
      else finish({ error: `cannot connect to ${where}: ${error.code ?? error.message}` });
    }
  });
}
