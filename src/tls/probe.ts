/**
 * Raw handshake probes: send one hand-built ClientHello over TCP, read the
 * server's first answer, hang up. Enough to learn which protocol versions and
 * cipher suites a server accepts, including those node:tls cannot offer.
 */
import { connect } from "node:net";
import { LEGACY_SUITES, TLS13_SUITES } from "./cipher-suites.ts";
import { buildClientHello, PROTOCOL_VERSIONS, TLS13, versionName } from "./client-hello.ts";
import { type Alert, DEFAULT_MAX_BYTES, type ServerHello, ServerHelloReader } from "./server-hello.ts";

export interface OfferOptions {
  /** The one protocol version offered (SSL3 .. TLS13). */
  version: number;
  suites: readonly number[];
  servername?: string | null;
  /** Connect and read together must finish within this; default 5 s. */
  timeoutMs?: number;
  groups?: readonly number[];
  signatureAlgorithms?: readonly number[];
  /** Cap on bytes read for the answer; default 64 KiB. */
  maxBytes?: number;
}

export type OfferResult =
  | { accepted: { version: number; suite: number; helloRetry: boolean; hello: ServerHello } }
  | { refused: { alert: Alert | null; reason: string } }
  | { error: string };

export const DEFAULT_TIMEOUT_MS = 5000;

/** Offers one version and a list of suites; answers what the server chose, how it refused, or why the probe failed. */
export function offer(host: string, port: number, options: OfferOptions): Promise<OfferResult> {
  const where = `${host}:${port}`;
  let record: Buffer;
  try {
    record = buildClientHello(options).record;
  } catch (error) {
    return Promise.resolve({ error: error instanceof Error ? error.message : String(error) });
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const reader = new ServerHelloReader(options.maxBytes ?? DEFAULT_MAX_BYTES);
  return new Promise((resolve) => {
    let settled = false;
    let connected = false;
    const socket = connect({ host, port });
    const finish = (result: OfferResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => {
      finish({ error: connected ? `no answer from ${where} within ${timeoutMs} ms` : `cannot connect to ${where} within ${timeoutMs} ms` });
    }, timeoutMs);
    socket.on("connect", () => {
      connected = true;
      socket.write(record);
    });
    socket.on("data", (chunk: Buffer) => {
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
        case "hello-retry-request":
          finish(checkChoice(where, options, answer.hello, answer.kind === "hello-retry-request"));
      }
    });
    // Many servers refuse a hello by closing or resetting the connection instead of sending an alert.
    socket.on("end", () => {
      finish({ refused: { alert: null, reason: "connection closed without a ServerHello" } });
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (connected) finish({ refused: { alert: null, reason: `connection ${error.code === "ECONNRESET" ? "reset" : `failed (${error.code ?? error.message})`} without a ServerHello` } });
      else finish({ error: `cannot connect to ${where}: ${error.code ?? error.message}` });
    });
  });
}

/** A server that picks what was not offered breaks the protocol (RFC 8446 §4.1.3); that is an error, not acceptance. */
function checkChoice(where: string, options: OfferOptions, hello: ServerHello, helloRetry: boolean): OfferResult {
  if (!options.suites.includes(hello.cipherSuite)) {
    return { error: `${where} chose cipher suite 0x${hello.cipherSuite.toString(16).padStart(4, "0")}, which was not offered` };
  }
  if (hello.version > options.version || (options.version === TLS13 && hello.version !== TLS13)) {
    return { error: `${where} answered ${versionName(hello.version)} to a ${versionName(options.version)} hello` };
  }
  return { accepted: { version: hello.version, suite: hello.cipherSuite, helloRetry, hello } };
}

/** Every suite code a hello of this version can carry. */
export function suitesFor(version: number): number[] {
  return (version === TLS13 ? TLS13_SUITES : LEGACY_SUITES).map((suite) => suite.code);
}

export type ProbeOptions = Omit<OfferOptions, "version" | "suites">;

export interface SuiteEnumeration {
  /** Accepted suites in the order the server chose them (its preference order when it enforces one). */
  suites: number[];
  handshakes: number;
  /** Set when a probe failed, so the list may be incomplete. */
  error: string | null;
}

/**
 * Finds every suite of the table the server accepts at this version in one
 * handshake per accepted suite plus one: offer all, remove the chosen one, repeat
 * until the server refuses.
 */
export async function acceptedSuites(host: string, port: number, version: number, options: ProbeOptions = {}): Promise<SuiteEnumeration> {
  const remaining = suitesFor(version);
  const suites: number[] = [];
  let handshakes = 0;
  while (remaining.length > 0) {
    handshakes++;
    const result = await offer(host, port, { ...options, version, suites: remaining });
    if ("error" in result) return { suites, handshakes, error: result.error };
    if ("refused" in result) break;
    // An older version in answer means this version is not spoken at all.
    if (result.accepted.version !== version) break;
    suites.push(result.accepted.suite);
    remaining.splice(remaining.indexOf(result.accepted.suite), 1);
  }
  return { suites, handshakes, error: null };
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
