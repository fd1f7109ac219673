/**
 * A whole TLS assessment of one address and port with raw hellos: versions,
 * suites per version with the server's order, key exchange groups, SHA-1 for
 * the key exchange, compression, secure renegotiation, extended master
 * secret, and the post-quantum hybrid group. The result is plain data
 * (JSON-serialisable); grade.ts judges it.
 *
 * Bounds: every hello has its own timeout and byte cap (probe.ts), at most
 * `maxConnections` hellos are in flight at once, the number of hellos is bounded
 * by the tables offered, and `signal` ends everything at once. A server that is
 * silent, sends garbage, alerts mid-handshake or resets gives errors, not a hang.
 */
import { suiteName } from "./cipher-suites.ts";
import { PROTOCOL_VERSIONS, SSL2, TLS12, TLS13, versionName } from "./client-hello.ts";
import { compression, type CompressionResult, sha1KeyExchange, type Sha1Result } from "./features.ts";
import { dheGroups, type DheGroup, hybridKeyExchange, type HybridSupport, legacyCurves, tls13Groups } from "./key-exchange.ts";
import { groupName } from "./named-groups.ts";
import { probeSsl2, ssl2CipherName, type Ssl2Result } from "./sslv2.ts";
import { createGate, type Connector, type Gate } from "./connection.ts";
import { acceptedSuites, DEFAULT_TIMEOUT_MS, offer, type OfferResult, type ProbeOptions, suitesFor } from "./probe.ts";

export interface AssessOptions {
  /** SNI host name; none for a bare address. */
  servername?: string | null;
  /** Per hello: connect, send, read the answer. Default 5 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Hellos in flight at once to this address; default 8 (SMTP servers: SMTP_CONNECTIONS_PER_HOST). */
  maxConnections?: number;
  /** Opens each hello's connection, e.g. smtpConnector() for SMTP STARTTLS; default plain TCP. */
  connect?: Connector;
  /**
   * Also holds each hello's connection, inside maxConnections: the limit per
   * address across domains (checks/context.ts addressGate). Not with a
   * `connect` that takes that limit itself (it would be taken twice).
   */
  gate?: Gate;
}

export const DEFAULT_MAX_CONNECTIONS = 8;

export interface NamedCode {
  code: number;
  name: string;
}

export interface VersionProbe {
  version: string;
  code: number;
  accepted: boolean;
  /** The suite the server took from the full list, when accepted. */
  suite: NamedCode | null;
  /** renegotiation_info in the ServerHello (TLS 1.2 and older), null for TLS 1.3 or when refused. */
  secureRenegotiation: boolean | null;
  /** extended_master_secret in the ServerHello (TLS 1.2 and older), null for TLS 1.3 or when refused. */
  extendedMasterSecret: boolean | null;
  /** How the server refused, or why the probe failed. */
  detail: string | null;
  /** The alert a TLS 1.2-or-older server sent after its ServerHello instead of going on (it aborts every such handshake), else null. */
  aborted: string | null;
  error: string | null;
}

export interface SuiteList {
  version: string;
  code: number;
  /** In the server's order when it enforces one. */
  suites: NamedCode[];
  /** true: the server picks by its own order; false: it follows the client's; null: cannot be told. */
  serverPreference: boolean | null;
  handshakes: number;
  error: string | null;
}

export interface GroupsResult {
  /** TLS 1.3 groups, the server's choice first (empty without TLS 1.3). */
  tls13: NamedCode[];
  /** ECDHE curves at the newest TLS 1.2-or-older version the server speaks. */
  ecdhe: NamedCode[];
  /** DHE groups at that version. */
  dhe: DheGroup[];
  /** The version the ECDHE and DHE groups were probed at, or null. */
  legacyVersion: string | null;
  errors: string[];
}

export interface TlsAssessment {
  address: string;
  port: number;
  servername: string | null;
  startedAt: string;
  durationMs: number;
  /** Hellos sent in all. */
  handshakes: number;
  /** Names of the accepted versions, oldest first. */
  acceptedVersions: string[];
  versions: VersionProbe[];
  suites: SuiteList[];
  groups: GroupsResult;
  /** The SHA-1-only TLS 1.2 hello; null without TLS 1.2. */
  sha1KeyExchange: Sha1Result | null;
  /** DEFLATE offered at the newest TLS 1.2-or-older version; null without one. */
  compression: CompressionResult | null;
  /** X25519MLKEM768 in TLS 1.3; null without TLS 1.3. */
  hybridKeyExchange: HybridSupport | null;
  /** Probe failures that leave parts unknown, one line each. */
  errors: string[];
}

function named(code: number, name: string): NamedCode {
  return { code, name };
}

function ssl2Probe(result: Ssl2Result): VersionProbe {
  const base = { version: "SSLv2", code: SSL2, secureRenegotiation: null, extendedMasterSecret: null, aborted: null };
  if ("error" in result) return { ...base, accepted: false, suite: null, detail: null, error: result.error };
  if ("refused" in result) return { ...base, accepted: false, suite: null, detail: result.refused.reason, error: null };
  const first = result.accepted.ciphers[0];
  return { ...base, accepted: true, suite: first === undefined ? null : named(first, ssl2CipherName(first)), detail: null, error: null };
}

function versionProbe(version: number, result: OfferResult): VersionProbe {
  const base = { version: versionName(version), code: version, aborted: null };
  if ("error" in result) return { ...base, accepted: false, suite: null, secureRenegotiation: null, extendedMasterSecret: null, detail: null, error: result.error };
  if ("refused" in result) {
    return { ...base, accepted: false, suite: null, secureRenegotiation: null, extendedMasterSecret: null, detail: result.refused.reason, error: null };
  }
  const { hello } = result.accepted;
  // A server answering an older version refuses this one (the client would abort, RFC 8446 §4.1.3).
  if (result.accepted.version !== version) {
    return { ...base, accepted: false, suite: null, secureRenegotiation: null, extendedMasterSecret: null, detail: `answered ${versionName(result.accepted.version)}`, error: null };
  }
  const legacy = version !== TLS13;
  const cut = result.accepted.keyExchange;
  return {
    ...base,
    aborted: cut?.kind === "unread" && cut.reason.startsWith("alert ") ? cut.reason : null,
    accepted: true,
    suite: named(result.accepted.suite, suiteName(result.accepted.suite)),
    secureRenegotiation: legacy ? hello.secureRenegotiation : null,
    extendedMasterSecret: legacy ? hello.extendedMasterSecret : null,
    detail: null,
    error: null,
  };
}

/** Assesses `address`:`port`; throws only for bad arguments, probe failures are in `errors`. */
export async function assessTls(address: string, port: number, options: AssessOptions = {}): Promise<TlsAssessment> {
  const started = Date.now();
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  let handshakes = 0;
  const limit = createGate(maxConnections);
  const probe: ProbeOptions = {
    servername: options.servername ?? null,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    gate: (task) => {
      handshakes++;
      const outer = options.gate;
      return limit(outer ? () => outer(task) : task);
    },
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.connect ? { connect: options.connect } : {}),
  };
  const errors: string[] = [];

  const [ssl2, ...tlsResults] = await Promise.all([
    probeSsl2(address, port, probe),
    // Read on to the key exchange (TLS 1.2 and older), so that a server that aborts right after its ServerHello is seen.
    ...PROTOCOL_VERSIONS.map(async (version) => versionProbe(version, await offer(address, port, { ...probe, version, suites: suitesFor(version), readKeyExchange: true }))),
  ]);
  const ssl2Result = ssl2Probe(ssl2);
  const versionResults = [ssl2Result, ...tlsResults];
  for (const result of versionResults) if (result.error) errors.push(`${result.version}: ${result.error}`);
  // SSLv3 to TLS 1.3: the versions the other probes speak.
  const accepted = tlsResults.filter((result) => result.accepted).map((result) => result.code);
  // SSLv2's cipher kinds come with its one hello; its order cannot be asked for.
  const ssl2Suites: SuiteList[] =
    "accepted" in ssl2
      ? [{ version: "SSLv2", code: SSL2, suites: ssl2.accepted.ciphers.map((kind) => named(kind, ssl2CipherName(kind))), serverPreference: null, handshakes: 0, error: null }]
      : [];
  const newestLegacy = [...accepted].reverse().find((version) => version !== TLS13) ?? null;
  const newestLegacyProbe = versionResults.find((result) => result.code === newestLegacy) ?? null;

  const none = Promise.resolve(null);
  const [suites, tls13, curves, dhe, sha1, deflate, hybrid] = await Promise.all([
    Promise.all(
      accepted.map(async (version): Promise<SuiteList> => {
        const found = await acceptedSuites(address, port, version, probe);
        return {
          version: versionName(version),
          code: version,
          suites: found.suites.map((code) => named(code, suiteName(code))),
          serverPreference: found.serverPreference,
          handshakes: found.handshakes,
          error: found.error,
        };
      }),
    ),
    accepted.includes(TLS13) ? tls13Groups(address, port, probe) : none,
    newestLegacy !== null ? legacyCurves(address, port, newestLegacy, probe) : none,
    newestLegacy !== null ? dheGroups(address, port, newestLegacy, probe) : none,
    accepted.includes(TLS12) ? sha1KeyExchange(address, port, probe) : none,
    newestLegacy !== null && newestLegacyProbe?.suite ? compression(address, port, newestLegacy, [newestLegacyProbe.suite.code], probe) : none,
    accepted.includes(TLS13) ? hybridKeyExchange(address, port, probe) : none,
  ]);
  for (const list of suites) if (list.error) errors.push(`${list.version} suites: ${list.error}`);
  const groupErrors: string[] = [];
  if (tls13?.error) groupErrors.push(`TLS 1.3 groups: ${tls13.error}`);
  if (curves?.error) groupErrors.push(`ECDHE curves: ${curves.error}`);
  if (dhe?.error) groupErrors.push(`DHE groups: ${dhe.error}`);
  errors.push(...groupErrors);
  if (sha1?.outcome === "error") errors.push(`SHA-1 key exchange: ${sha1.detail}`);
  if (deflate?.error) errors.push(`compression: ${deflate.error}`);
  if (hybrid?.error) errors.push(`X25519MLKEM768: ${hybrid.error}`);

  return {
    address,
    port,
    servername: options.servername ?? null,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    handshakes,
    acceptedVersions: [...(ssl2Result.accepted ? [SSL2] : []), ...accepted].map(versionName),
    versions: versionResults,
    suites: [...ssl2Suites, ...suites],
    groups: {
      tls13: (tls13?.groups ?? []).map((code) => named(code, groupName(code))),
      ecdhe: (curves?.groups ?? []).map((code) => named(code, groupName(code))),
      dhe: dhe?.groups ?? [],
      legacyVersion: newestLegacy === null ? null : versionName(newestLegacy),
      errors: groupErrors,
    },
    sha1KeyExchange: sha1,
    compression: deflate,
    hybridKeyExchange: hybrid,
    errors,
  };
}
