/**
 * The network options `dns`, `check` and `serve` share (interfaces.md §2,
 * §5): the resolver built from --root-hints, --trust-anchor, --resolver and
 * --allow-private, and the files --ca-file, --rpki-vrps and --bgp-origins
 * name. Every bad value is a UsageError naming the option and the input.
 */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { Command } from "commander";
import { PresentationError, parseRecords } from "../../dns/presentation.ts";
import { createResolver, type Resolver } from "../../dns/resolver.ts";
import type { ResourceRecord } from "../../dns/types.ts";
import { loadBgpOrigins, loadVrps, type RoutingData } from "../../checks/routing-data.ts";
import { CheckInputError } from "../../checks/errors.ts";
import { UsageError } from "../output.ts";

export interface ResolverFlags {
  rootHints?: string;
  trustAnchor?: string;
  resolver?: string;
  allowPrivate?: boolean;
}

/** Adds --root-hints, --trust-anchor, --resolver and --allow-private to `command`. */
export function addResolverOptions(command: Command): Command {
  return command
    .option("--root-hints <file>", "root servers in zone-file form (default: IANA root hints)")
    .option("--trust-anchor <file>", "DS or DNSKEY records of the trust anchor (default: IANA root KSKs)")
    .option("--resolver <addr[:port]>", "ask this recursive resolver instead of iterating (still validated here)")
    .option("--allow-private", "allow loopback and private addresses (labs)");
}

/** The validating resolver the flags describe. */
export function resolverFromFlags(flags: ResolverFlags, tuning: { timeoutMs?: number; concurrency?: number } = {}): Resolver {
  return createResolver({
    ...(flags.rootHints ? { rootHints: readRecordFile(flags.rootHints, "--root-hints") } : {}),
    ...(flags.trustAnchor ? { trustAnchors: readRecordFile(flags.trustAnchor, "--trust-anchor") } : {}),
    ...(flags.resolver ? { upstream: parseServer(flags.resolver) } : {}),
    allowPrivate: flags.allowPrivate ?? false,
    ...(tuning.timeoutMs === undefined ? {} : { timeoutMs: tuning.timeoutMs }),
    ...(tuning.concurrency === undefined ? {} : { concurrency: tuning.concurrency }),
  });
}

export function readRecordFile(path: string, option: string): ResourceRecord[] {
  const text = readOptionFile(path, option);
  try {
    const records = parseRecords(text, path);
    if (records.length === 0) throw new UsageError(`${option} ${path}: holds no records`);
    return records;
  } catch (error) {
    if (error instanceof PresentationError) throw new UsageError(`${option} ${error.message}`);
    throw error;
  }
}

/** "192.0.2.53", "192.0.2.53:5353", "::1", "[::1]:5353". */
export function parseServer(text: string): { address: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const [address, port] = bracketed ? [bracketed[1] ?? "", bracketed[2]] : isIP(text) === 6 ? [text, undefined] : (text.split(":") as [string, string | undefined]);
  const portNumber = port === undefined ? 53 : Number(port);
  if (isIP(address) === 0 || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) {
    throw new UsageError(`--resolver ${text}: expected an IP address with an optional port, like 192.0.2.53:53 or [2001:db8::53]:53`);
  }
  return { address, port: portNumber };
}

export function positiveInteger(text: string, option: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value <= 0) throw new UsageError(`${option} ${text}: expected a positive whole number`);
  return value;
}

/**
 * The certificates of a --ca-file (PEM, one or more), each checked to parse,
 * so that a wrong file is named now rather than making every trust check fail.
 */
export function readCaFile(path: string): string[] {
  const text = readOptionFile(path, "--ca-file");
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new UsageError(`--ca-file ${path}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  blocks.forEach((block, index) => {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new UsageError(`--ca-file ${path}: certificate ${index + 1} cannot be read (${error instanceof Error ? error.message : String(error)})`);
    }
  });
  return blocks;
}

/**
 * Route origin validation data: both files or neither (one alone cannot
 * validate anything). Without them the RPKI checks are not_tested.
 */
export function readRouting(vrpsPath: string | undefined, originsPath: string | undefined): RoutingData | null {
  if (vrpsPath === undefined && originsPath === undefined) return null;
  if (vrpsPath === undefined || originsPath === undefined) {
    throw new UsageError(`${vrpsPath === undefined ? "--bgp-origins" : "--rpki-vrps"} needs ${vrpsPath === undefined ? "--rpki-vrps" : "--bgp-origins"} too: route origin validation needs both the ROAs and the announced origins`);
  }
  return { vrps: load("--rpki-vrps", () => loadVrps(vrpsPath)), origins: load("--bgp-origins", () => loadBgpOrigins(originsPath)), sources: { vrps: vrpsPath, origins: originsPath } };
}

/** The loaders name the file and the entry; the message also names the option. */
function load<T>(option: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof CheckInputError) throw new UsageError(`${option} ${error.message}`);
    throw error;
  }
}

/** A file an option names, or a UsageError naming the option, the path and why. */
export function readOptionFile(path: string, option: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`${option} ${path}: cannot read it (${error instanceof Error && "code" in error ? String(error.code) : String(error)})`);
  }
}

/** `--dkim-selectors s1,google`: the DKIM selectors the mail checks look for (check, serve, worker). */
export function parseDkimSelectors(list: string): string[] {
  const selectors = list.split(",").map((selector) => selector.trim().toLowerCase()).filter(Boolean);
  const bad = selectors.find((selector) => !/^[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})*$/.test(selector));
  if (selectors.length === 0 || bad !== undefined) throw new UsageError(`--dkim-selectors ${list}: expected DNS labels separated by commas, like s1,google${bad ? ` ("${bad}" is not one)` : ""}`);
  return selectors;
}
