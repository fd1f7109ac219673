/**
 * One DNS query to one name server over a chosen transport, UDP or TCP, to
 * see whether it answers there (web.ipv6.ns-reachable). The resolver's
 * transport (src/dns/transport.ts) picks TCP only after a truncated UDP
 * answer; reachability needs each transport on its own, so this sends one
 * query per transport itself, with the same wire code and the same rules for
 * what counts as the answer (from the address asked, same id, QR set, same
 * question).
 */
import { createSocket } from "node:dgram";
import { isIPv6, Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Message, Question } from "../../../dns/types.ts";
import { buildQuery, canonicalName, parseMessage, typeCode } from "../../../dns/wire.ts";

export type ProbeTransport = "udp" | "tcp";

export interface ProbeResult {
  transport: ProbeTransport;
  /** Whether a matching answer came back in time. */
  answered: boolean;
  rcode: string | null;
  authoritative: boolean | null;
  rttMs: number | null;
  /** Why there is no answer (timeout, refused connection, ...). */
  error: string | null;
}

const MAX_TCP_ANSWER = 65535;

export async function probeDns(address: string, port: number, question: Question, transport: ProbeTransport, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  const { id, bytes } = buildQuery(question, { dnssecOk: false, recursionDesired: false });
  const started = performance.now();
  try {
    const message = await (transport === "udp" ? udp(address, port, bytes, id, question, timeoutMs, signal) : tcp(address, port, bytes, id, question, timeoutMs, signal));
    return { transport, answered: true, rcode: message.rcode, authoritative: message.flags.aa, rttMs: Math.round(performance.now() - started), error: null };
  } catch (error) {
    if (signal?.aborted) throw error;
    return { transport, answered: false, rcode: null, authoritative: null, rttMs: null, error: error instanceof Error ? error.message : String(error) };
  }
}

function udp(address: string, port: number, bytes: Uint8Array, id: number, question: Question, timeoutMs: number, signal?: AbortSignal): Promise<Message> {
  const socket = createSocket(isIPv6(address) ? "udp6" : "udp4");
  return withTimeout(`no UDP answer from ${server(address, port)} within ${timeoutMs} ms`, timeoutMs, signal, () => socket.close(), (settle, fail) => {
    socket.on("error", fail);
    socket.on("message", (packet, remote) => {
      if (remote.port !== port || !sameAddress(remote.address, address)) return;
      const message = matching(packet, id, question);
      if (message) settle(message);
    });
    socket.bind(0, () => {
      try {
        socket.send(bytes, port, address, (error) => {
          if (error) fail(error);
        });
      } catch (error) {
        fail(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

function tcp(address: string, port: number, bytes: Uint8Array, id: number, question: Question, timeoutMs: number, signal?: AbortSignal): Promise<Message> {
  const socket = new Socket();
  return withTimeout(`no TCP answer from ${server(address, port)} within ${timeoutMs} ms`, timeoutMs, signal, () => socket.destroy(), (settle, fail) => {
    let received = Buffer.alloc(0);
    socket.on("error", (error: NodeJS.ErrnoException) => fail(new Error(`TCP to ${server(address, port)}: ${error.code ?? error.message}`)));
    socket.on("close", () => fail(new Error(`${server(address, port)} closed the TCP connection without answering`)));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= 2) {
        const length = received.readUInt16BE(0);
        if (received.length < 2 + length) return;
        const message = matching(received.subarray(2, 2 + length), id, question);
        received = received.subarray(2 + length);
        if (message) {
          settle(message);
          return;
        }
      }
      if (received.length > MAX_TCP_ANSWER + 2) fail(new Error(`${server(address, port)} sent more than ${MAX_TCP_ANSWER} octets without a matching answer`));
    });
    socket.connect({ host: address, port }, () => {
      const framed = Buffer.alloc(2 + bytes.length);
      framed.writeUInt16BE(bytes.length, 0);
      framed.set(bytes, 2);
      socket.write(framed);
    });
  });
}

/** The first of answer, failure, timeout or abort wins; `close` runs once. */
function withTimeout<T>(timeoutMessage: string, timeoutMs: number, signal: AbortSignal | undefined, close: () => void, start: (settle: (value: T) => void, fail: (error: Error) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (outcome: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      close();
      outcome();
    };
    const onAbort = (): void => finish(() => reject(signal?.reason instanceof Error ? signal.reason : new Error("aborted")));
    const timer = setTimeout(() => finish(() => reject(new Error(timeoutMessage))), timeoutMs);
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      start((value) => finish(() => resolve(value)), (error) => finish(() => reject(error)));
    } catch (error) {
      finish(() => reject(error instanceof Error ? error : new Error(String(error))));
    }
  });
}

function matching(packet: Uint8Array, id: number, question: Question): Message | undefined {
  let message: Message;
  try {
    message = parseMessage(packet);
  } catch {
    return undefined;
  }
  if (message.id !== id || !message.flags.qr || message.questions.length !== 1) return undefined;
  const [echoed] = message.questions as [Question];
  return canonicalName(echoed.name) === canonicalName(question.name) && typeCode(echoed.type) === typeCode(question.type) ? message : undefined;
}

function sameAddress(a: string, b: string): boolean {
  return a === b || (isIPv6(a) && isIPv6(b) && new URL(`http://[${a}]/`).hostname === new URL(`http://[${b}]/`).hostname);
}

function server(address: string, port: number): string {
  return isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}
