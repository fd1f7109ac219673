/** `baseline dns NAME [TYPE]`: a validating lookup, printed like `delv +rtrace`. */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { Command } from "commander";
import { PresentationError, parseRecords } from "../../dns/presentation.ts";
import { createResolver, type Resolution } from "../../dns/resolver.ts";
import type { ResourceRecord } from "../../dns/types.ts";
import { UsageError } from "../output.ts";

interface DnsOptions {
  json?: boolean;
  rootHints?: string;
  trustAnchor?: string;
  resolver?: string;
  allowPrivate?: boolean;
  timeout: string;
  concurrency: string;
}

export function registerDnsCommand(program: Command): void {
  program
    .command("dns")
    .description("look up a name with DNSSEC validation (like delv)")
    .argument("<name>", "domain name, e.g. www.example.org")
    .argument("[type]", "record type", "A")
    .option("--json", "print JSON")
    .option("--root-hints <file>", "root servers in zone-file form (default: IANA root hints)")
    .option("--trust-anchor <file>", "DS or DNSKEY records of the trust anchor (default: IANA root KSKs)")
    .option("--resolver <addr[:port]>", "ask this recursive resolver instead of iterating (still validated here)")
    .option("--allow-private", "allow loopback and private server addresses (labs)")
    .option("--timeout <ms>", "timeout per query in milliseconds", "2000")
    .option("--concurrency <n>", "queries in flight at most", "64")
    .action(async (name: string, type: string, options: DnsOptions) => {
      const resolver = createResolver({
        ...(options.rootHints ? { rootHints: readRecordFile(options.rootHints, "--root-hints") } : {}),
        ...(options.trustAnchor ? { trustAnchors: readRecordFile(options.trustAnchor, "--trust-anchor") } : {}),
        ...(options.resolver ? { upstream: parseServer(options.resolver) } : {}),
        allowPrivate: options.allowPrivate ?? false,
        timeoutMs: positiveInteger(options.timeout, "--timeout"),
        concurrency: positiveInteger(options.concurrency, "--concurrency"),
      });
      const resolution = await resolver.resolve(name, type);
      if (options.json) {
        const { name: qname, type: qtype, rcode, security, reason, answer, chain } = resolution;
        process.stdout.write(`${JSON.stringify({ name: qname, type: qtype, rcode, security, reason, answer, chain })}\n`);
      } else {
        process.stdout.write(describe(resolution));
      }
    });
}

function describe(resolution: Resolution): string {
  const lines: string[] = [];
  for (const referral of resolution.referrals) lines.push(`;; referral from ${referral.from} to ${referral.to} (${referral.servers.join(", ")})`);
  if (resolution.chain.length > 0) lines.push(";; chain of trust:");
  for (const link of resolution.chain) {
    const ds = link.dsKeyTags.length > 0 ? `DS ${link.dsKeyTags.join(", ")}` : "no DS";
    const keys = link.dnskeyTags.length > 0 ? ` -> DNSKEY ${link.dnskeyTags.join(", ")}` : "";
    lines.push(`;;   ${link.zone.padEnd(24)} ${link.security.padEnd(13)} ${ds}${keys}${link.note ? `  (${link.note})` : ""}`);
  }
  const negative = resolution.answer.length === 0 && resolution.rcode !== "SERVFAIL";
  switch (resolution.security) {
    case "secure":
      lines.push(negative ? `; negative response (${resolution.rcode}), fully validated` : "; fully validated");
      break;
    case "insecure":
      lines.push(negative ? `; negative response (${resolution.rcode}), unsigned` : "; unsigned answer");
      break;
    default:
      lines.push(`; ${resolution.security}: ${resolution.reason ?? "no reason given"}`, `; status: ${resolution.rcode}`);
  }
  for (const record of resolution.answer) lines.push(`${record.name}\t${record.ttl}\tIN\t${record.type}\t${record.data}`);
  return `${lines.join("\n")}\n`;
}

function readRecordFile(path: string, option: string): ResourceRecord[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`${option} ${path}: cannot read it (${error instanceof Error && "code" in error ? String(error.code) : String(error)})`);
  }
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

function positiveInteger(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new UsageError(`${option} ${text}: expected a positive whole number`);
  return value;
}
