/**
 * Raw handshake probes: send one hand-built ClientHello over TCP, read the
 * server's first answer, hang up. Enough to learn which protocol versions and
 * cipher suites a server accepts, including those node:tls cannot offer.
 */
import { connect, type Socket } from "node:net";
import type { Connector, Gate } from "./connection.ts";
import { LEGACY_SUITES, TLS13_SUITES } from "./cipher-suites.ts";
import { buildClientHello, PROTOCOL_VERSIONS, TLS13, versionName } from "./client-hello.ts";
import { type Alert, DEFAULT_MAX_BYTES, type ServerHello, ServerHelloReader, type ServerKeyExchange } from "./server-hello.ts";

export interface OfferOptions {
  /** The one protocol version offered (SSL3 .. TLS13). */
  version: number;
  suites: readonly number[];
  servername?: string | null;
  /** Connect and read together must finish within this; default 5 s. */
  timeoutMs?: number;
  groups?: readonly number[];
  signatureAlgorithms?: readonly number[];
  /** Cap on bytes read for the answer; default 64 KiB, or KEY_EXCHANGE_MAX_BYTES with readKeyExchange. */
  maxBytes?: number;
  /** Key shares to send in a TLS 1.3 hello (see ClientHelloOptions.keyShares). */
  keyShares?: readonly number[];
  /** Compression methods to offer (see ClientHelloOptions.compressionMethods). */
  compressionMethods?: readonly number[];
  /** Read on past a TLS 1.2-or-older ServerHello to the ServerKeyExchange (curve, DH prime, signature algorithm). */
  readKeyExchange?: boolean;
  /** Aborts the probe: it ends at once with an error. */
  signal?: AbortSignal;
  /** Runs the connection when a slot is free (a per-host connection limit); default: at once. */
  gate?: Gate;
  /**
   * Opens the connection instead of a plain TCP connect, e.g. smtpConnector()
   * for TLS after SMTP STARTTLS. The preamble has its own bounds; the probe's
   * timeout starts when the socket is handed over. Its failure is the probe's error.
   */
  connect?: Connector;
}

/** Cap when reading to the ServerKeyExchange: a certificate chain comes first, rarely over 32 KiB. */
export const KEY_EXCHANGE_MAX_BYTES = 128 * 1024;

export type OfferResult =
  | { accepted: { version: number; suite: number; helloRetry: boolean; hello: ServerHello; keyExchange?: ServerKeyExchange } }
  | { refused: { alert: Alert | null; reason: string } }
  | { error: string };

export const DEFAULT_TIMEOUT_MS = 5000;

/** Offers one version and a list of suites; answers what the server chose, how it refused, or why the probe failed. */
export function offer(host: string, port: number, options: OfferOptions): Promise<OfferResult> {
  return options.gate ? options.gate(() => offerNow(host, port, options)) : offerNow(host, port, options);
}

function offerNow(host: string, port: number, options: OfferOptions): Promise<OfferResult> {
  const where = `${host}:${port}`;
  let record: Buffer;
  try {
    record = buildClientHello(options).record;
  } catch (error) {
    return Promise.resolve({ error: error instanceof Error ? error.message : String(error) });
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const readKeyExchange = options.readKeyExchange ?? false;
  const reader = new ServerHelloReader(options.maxBytes ?? (readKeyExchange ? KEY_EXCHANGE_MAX_BYTES : DEFAULT_MAX_BYTES), { readKeyExchange });
  const signal = options.signal;
  if (signal?.aborted) return Promise.resolve({ error: `probe of ${where} aborted: ${abortReason(signal)}` });
  return new Promise((resolve) => {
    let settled = false;
    let connected = false;
    let socket: Socket | null = null;
    // Ends a connector still speaking its preamble when the probe is over.
    const preamble = new AbortController();
    const finish = (result: OfferResult) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      preamble.abort();
      socket?.destroy();
      resolve(result);
    };
    /** A ServerHello already read ends the probe as acceptance, whatever cut the key exchange short. */
    const finishHeld = (reason: string): boolean => {
      const held = reader.interrupted(reason);
      if (held?.kind !== "server-hello") return false;
      finish(checkChoice(where, options, held.hello, false, held.keyExchange));
      return true;
    };
    const onAbort = () => finish({ error: `probe of ${where} aborted: ${signal ? abortReason(signal) : "aborted"}` });
    signal?.addEventListener("abort", onAbort, { once: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const startTimer = () => {
      timer = setTimeout(() => {
        if (finishHeld(`no ServerKeyExchange within ${timeoutMs} ms`)) return;
        finish({ error: connected ? `no answer from ${where} within ${timeoutMs} ms` : `cannot connect to ${where} within ${timeoutMs} ms` });
      }, timeoutMs);
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
          opened.write(record);
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
        opened.write(record);
      });
    }
    function onData(chunk: Buffer) {
      const answer = reader.push(chunk);
      switch (answer.kind) {
        case "incomplete":
          return;
        case "alert":
          finish({ refused: { alert: answer.alert, reason: `alert ${answer.alert.name}` } });
          return;
        case "not-tls":
          finish({ error: `${where} did not answer TLS: ${answer.reason}` });
          return;
        case "server-hello":
          finish(checkChoice(where, options, answer.hello, false, answer.keyExchange));
          return;
        case "hello-retry-request":
          finish(checkChoice(where, options, answer.hello, true));
      }
    }
    // Many servers refuse a hello by closing or resetting the connection instead of sending an alert.
    function onEnd() {
      if (finishHeld("connection closed before ServerKeyExchange")) return;
      finish({ refused: { alert: null, reason: "connection closed without a ServerHello" } });
    }
    function onError(error: NodeJS.ErrnoException) {
      if (connected && finishHeld(`connection failed before ServerKeyExchange (${error.code ?? error.message})`)) return;
      if (connected) finish({ refused: { alert: null, reason: `connection ${error.code === "ECONNRESET" ? "reset" : `failed (${error.code ?? error.message})`} without a ServerHello` } });
      else finish({ error: `cannot connect to ${where}: ${error.code ?? error.message}` });
    }
  });
}

/** A server that picks what was not offered breaks the protocol (RFC 8446 §4.1.3); that is an error, not acceptance. */
/** Why the signal was aborted, for the probe's error line. */
export function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : typeof reason === "string" ? reason : "aborted";
}

function checkChoice(where: string, options: OfferOptions, hello: ServerHello, helloRetry: boolean, keyExchange?: ServerKeyExchange): OfferResult {
  if (!options.suites.includes(hello.cipherSuite)) {
    return { error: `${where} chose cipher suite 0x${hello.cipherSuite.toString(16).padStart(4, "0")}, which was not offered` };
  }
  // Answering another version than the one offered: that version is not spoken (a client would abort, RFC 8446 §4.1.3).
  if (hello.version > options.version || (options.version === TLS13 && hello.version !== TLS13)) {
    return { refused: { alert: null, reason: `answered ${versionName(hello.version)} to a ${versionName(options.version)} hello` } };
  }
  return { accepted: { version: hello.version, suite: hello.cipherSuite, helloRetry, hello, ...(keyExchange ? { keyExchange } : {}) } };
}

/** Every suite code a hello of this version can carry. */
export function suitesFor(version: number): number[] {
  return (version === TLS13 ? TLS13_SUITES : LEGACY_SUITES).map((suite) => suite.code);
}

export type ProbeOptions = Omit<OfferOptions, "version" | "suites">;

export interface SuiteEnumeration {
  /** Accepted suites: the server's preference order when it enforces one, else the order they were found in. */
  suites: number[];
  /** true when the server picks by its own order, false when it follows the client's, null when it cannot be told (fewer than two suites, or a probe failed). */
  serverPreference: boolean | null;
  handshakes: number;
  /** Set when a probe failed, so the list may be incomplete. */
  error: string | null;
}

/** At most this many suites per hello: 128 bytes of suites keeps a hello well under ~1 KB, the size some middleboxes and old stacks choke on. */
export const MAX_SUITES_PER_HELLO = 64;
/** How often a chunk a server hung up on is halved again (64 → 32 → 16 → 8) before the hang-up is taken as a plain refusal. */
export const MAX_SPLIT_DEPTH = 3;

type Pick = { suite: number } | { refused: { byHangUp: boolean } } | { error: string };

/**
 * Finds every suite of the table the server accepts at this version, in about
 * one handshake per accepted suite plus one per chunk, then learns the server's
 * preference order.
 *
 * Enumeration: the table is offered in chunks of MAX_SUITES_PER_HELLO; within a
 * chunk the chosen suite is removed and the rest offered again until the server
 * refuses. Some servers are intolerant of long or unknown suite lists and hang up
 * (close or reset) instead of answering; a chunk that gets a hang-up is offered
 * again as two halves, down to MAX_SPLIT_DEPTH levels, so one intolerant answer
 * does not end the enumeration. A hang-up on a list no longer than one the server
 * already answered is a refusal (many servers refuse by hanging up), so it is not
 * split again.
 *
 * Preference: chunks hide the server's global order, so a final pass offers the
 * found suites in the order found and then reversed, as testssl.sh does. A server
 * that picks the same suite both times enforces its own order; one that picks
 * each list's first suite follows the client's. Only then is the order learned,
 * by offering the found suites and removing the chosen one until one is left
 * (more than MAX_SUITES_PER_HELLO found suites are ordered per chunk and then
 * merged by offering the chunks' heads).
 */
export async function acceptedSuites(host: string, port: number, version: number, options: ProbeOptions = {}): Promise<SuiteEnumeration> {
  let handshakes = 0;
  let tolerated = 0;
  const pick = async (suites: readonly number[]): Promise<Pick> => {
    handshakes++;
    const result = await offer(host, port, { ...options, version, suites });
    if ("error" in result) return { error: result.error };
    if ("refused" in result) {
      if (result.refused.alert !== null) tolerated = Math.max(tolerated, suites.length);
      return { refused: { byHangUp: result.refused.alert === null } };
    }
    tolerated = Math.max(tolerated, suites.length);
    // An older version in answer means this version is not spoken at all.
    if (result.accepted.version !== version) return { refused: { byHangUp: false } };
    return { suite: result.accepted.suite };
  };

  const found: number[] = [];
  let splits = 0;
  /** Enumerates one chunk; answers an error that stops everything, or null. */
  const enumerate = async (chunk: readonly number[], depth: number): Promise<string | null> => {
    const remaining = [...chunk];
    while (remaining.length > 0) {
      const answer = await pick(remaining);
      if ("error" in answer) return answer.error;
      if ("suite" in answer) {
        found.push(answer.suite);
        remaining.splice(remaining.indexOf(answer.suite), 1);
        continue;
      }
      if (answer.refused.byHangUp && remaining.length > tolerated && remaining.length > 1 && depth < MAX_SPLIT_DEPTH) {
        splits++;
        const half = Math.ceil(remaining.length / 2);
        for (const part of [remaining.slice(0, half), remaining.slice(half)]) {
          const error = await enumerate(part, depth + 1);
          if (error !== null) return error;
        }
      }
      return null;
    }
    return null;
  };

  // Once halving showed the size the server answers, the remaining chunks start at that size instead of being reset again.
  const table = suitesFor(version);
  let size = MAX_SUITES_PER_HELLO;
  for (let at = 0; at < table.length; ) {
    const chunk = table.slice(at, at + size);
    at += chunk.length;
    const splitsBefore = splits;
    const error = await enumerate(chunk, 0);
    if (error !== null) return { suites: found, serverPreference: null, handshakes, error };
    if (splits > splitsBefore && tolerated > 0) size = Math.min(size, tolerated);
  }
  if (found.length < 2) return { suites: found, serverPreference: null, handshakes, error: null };

  const sample = found.slice(0, MAX_SUITES_PER_HELLO);
  const forward = await pick(sample);
  const backward = await pick([...sample].reverse());
  if (!("suite" in forward) || !("suite" in backward)) {
    const failed = "error" in forward ? forward : "error" in backward ? backward : null;
    return { suites: found, serverPreference: null, handshakes, error: failed?.error ?? "the server refused suites it had accepted, so its preference cannot be told" };
  }
  if (forward.suite !== backward.suite) return { suites: found, serverPreference: false, handshakes, error: null };

  /** The answer of a probe that should have picked one of the suites already found. */
  const orderLost = (answer: Pick): SuiteEnumeration => ({
    suites: found,
    serverPreference: true,
    handshakes,
    error: "error" in answer ? answer.error : "the server refused suites it had accepted while its order was probed",
  });

  const ordered: number[][] = [];
  for (const chunk of chunks(found, MAX_SUITES_PER_HELLO)) {
    const rest = [...chunk];
    const order: number[] = [];
    while (rest.length > 1) {
      // The forward pass already answered the first chunk's top suite.
      const answer = order.length === 0 && ordered.length === 0 ? forward : await pick(rest);
      if (!("suite" in answer)) return orderLost(answer);
      order.push(answer.suite);
      rest.splice(rest.indexOf(answer.suite), 1);
    }
    ordered.push([...order, ...rest]);
  }
  const suites: number[] = [];
  while (ordered.length > 1) {
    const answer = await pick(ordered.map((list) => list[0] ?? 0).slice(0, MAX_SUITES_PER_HELLO));
    if (!("suite" in answer)) return orderLost(answer);
    const list = ordered.find((candidate) => candidate[0] === answer.suite);
    if (list === undefined) return { suites: found, serverPreference: true, handshakes, error: "the server chose a suite that was not offered while its order was probed" };
    suites.push(answer.suite);
    list.shift();
    if (list.length === 0) ordered.splice(ordered.indexOf(list), 1);
  }
  suites.push(...(ordered[0] ?? []));
  return { suites, serverPreference: true, handshakes, error: null };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface VersionSupport {
  /** Versions the server accepted, oldest first. */
  versions: number[];
  /** Versions whose probe failed (timeout, not TLS, ...), with why. */
  errors: { version: number; error: string }[];
}

/** Offers each of SSLv3 .. TLS 1.3 alone (in parallel, one connection each) with every suite of that version. */
export async function acceptedVersions(host: string, port: number, options: ProbeOptions = {}): Promise<VersionSupport> {
  const results = await Promise.all(
    PROTOCOL_VERSIONS.map(async (version) => ({ version, result: await offer(host, port, { ...options, version, suites: suitesFor(version) }) })),
  );
  const versions: number[] = [];
  const errors: { version: number; error: string }[] = [];
  for (const { version, result } of results) {
    if ("error" in result) errors.push({ version, error: result.error });
    else if ("accepted" in result && result.accepted.version === version) versions.push(version);
  }
  return { versions, errors };
}
