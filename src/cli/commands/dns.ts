/** `baseline dns NAME [TYPE]`: a validating lookup, printed like `delv +rtrace`. */
import type { Command } from "commander";
import type { Resolution } from "../../dns/resolver.ts";
import { addResolverOptions, positiveInteger, resolverFromFlags } from "./network-options.ts";

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
  const command = program
    .command("dns")
    .description("look up a name with DNSSEC validation (like delv)")
    .argument("<name>", "domain name, e.g. www.example.org")
    .argument("[type]", "record type", "A")
    .option("--json", "print JSON");
  addResolverOptions(command)
    .option("--timeout <ms>", "timeout per query in milliseconds", "2000")
    .option("--concurrency <n>", "queries in flight at most", "64")
    .action(async (name: string, type: string, options: DnsOptions) => {
      const resolver = resolverFromFlags(options, {
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
