/**
 * `baseline check DOMAIN...`: runs a suite's checks on each domain and
 * prints the text report (or JSON Lines with --json), in input order, each
 * domain as soon as it and all before it are done; --html FILE also writes
 * the standalone report. Every domain is validated before any check runs:
 * a bad one (or a bad --input line, named FILE:LINE) exits 2 with one line.
 * --fail-on failed|warning exits 1 when a test counts that status or worse
 * (labels.ts effectiveStatus: informational tests never count, a failed
 * recommended test counts as a warning).
 *
 * --suite all runs web, then mail; a suite that has no checks yet is left
 * out with one note on stderr (and `--suite mail` alone exits 2 saying so),
 * rather than printing a report with nothing in it.
 */
import { accessSync, constants, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Option, type Command } from "commander";
import { inOrder, type BatchProgress } from "../../checks/batch.ts";
import { DEFAULT_DOMAIN_DEADLINE_MS, DEFAULT_TIMEOUT_MS, defaultSettings, normalizeDomain, type CheckSettings } from "../../checks/context.ts";
import { checkAndScore } from "../../checks/run.ts";
import { renderHtmlReport } from "../../checks/report/html.ts";
import { jsonLine } from "../../checks/report/json.ts";
import { atLeast, effectiveStatus } from "../../checks/report/labels.ts";
import { renderText, SCORING_NOTE, wrap } from "../../checks/report/text.ts";
import { type DomainReport, type Suite } from "../../checks/types.ts";
import { CheckInputError } from "../../checks/errors.ts";
import { UsageError, writeFileAtomically } from "../output.ts";
import { addResolverOptions, parseDkimSelectors, positiveInteger, readCaFile, readOptionFile, readRouting, resolverFromFlags, type ResolverFlags } from "./network-options.ts";

interface CheckFlags extends ResolverFlags {
  suite: "web" | "mail" | "all";
  json?: boolean;
  html?: string;
  input?: string;
  timeout: string;
  concurrency: string;
  caFile?: string;
  rpkiVrps?: string;
  bgpOrigins?: string;
  dkimSelectors?: string;
  failOn?: "failed" | "warning";
}

/** Domains checked at once unless --concurrency says otherwise. */
export const DEFAULT_CONCURRENCY = 4;
/** A DNS query waits at most this long (or --timeout, when shorter): a dead name server must not eat a domain's whole deadline. */
const DNS_TIMEOUT_MS = 2000;

export function registerCheckCommand(program: Command, version: string): void {
  const command = program
    .command("check")
    .description("check domains against the standards (web: IPv6, DNSSEC, HTTPS, TLS, headers, security.txt, RPKI; mail: SPF, DKIM, DMARC, STARTTLS, DANE, MTA-STS, TLS-RPT)")
    .argument("[domains...]", "domain names, e.g. example.org")
    .addOption(new Option("--suite <suite>", "which checks").choices(["web", "mail", "all"]).default("web"))
    .option("--json", "print JSON (JSON Lines: one object per domain, in input order)")
    .option("--html <file>", "also write a standalone HTML report to FILE")
    .option("--input <file>", "read domains from FILE, one a line (- for standard input; blank lines and # comments ignored)");
  addResolverOptions(command)
    .option("--timeout <ms>", "timeout of each network step in milliseconds", String(DEFAULT_TIMEOUT_MS))
    .option("--concurrency <n>", "domains checked at once", String(DEFAULT_CONCURRENCY))
    .option("--ca-file <file>", "also trust the certificate authorities in this PEM file (labs)")
    .option("--rpki-vrps <file>", "validated ROA payloads (rpki-client or Routinator JSON); with --bgp-origins")
    .option("--bgp-origins <file>", "announced prefixes and their origin AS; with --rpki-vrps")
    .option("--dkim-selectors <list>", "DKIM selectors to look for, comma-separated (mail suite)")
    .addOption(new Option("--fail-on <status>", "exit 1 when a test has this status or worse").choices(["failed", "warning"]))
    .action(async (domains: string[], flags: CheckFlags) => {
      process.exitCode = await runCheckCommand(domains, flags, { version, stdout: process.stdout, stderr: process.stderr, readStdin: () => readFileSync(0, "utf8") });
    });
}

/** Where the command reads and writes; tests give their own. */
export interface CheckIo {
  version: string;
  stdout: Output;
  stderr: Output;
  readStdin: () => string;
  /** Runs one domain's suite (default: checkAndScore). */
  check?: (domain: string, suite: Suite, settings: CheckSettings) => Promise<DomainReport>;
  /** Settings instead of those the flags describe (tests). */
  settings?: CheckSettings;
  /** Colour and progress; default: from the streams and NO_COLOR. */
  colour?: boolean;
}

export interface Output {
  write(text: string): boolean;
  once?(event: "drain", listener: () => void): unknown;
  isTTY?: boolean;
}

/** Runs the command; resolves with the exit code (0, or 1 for --fail-on). Bad input throws UsageError or CheckInputError. */
export async function runCheckCommand(positional: readonly string[], flags: CheckFlags, io: CheckIo): Promise<number> {
  const domains = collectDomains(positional, flags.input, io.readStdin);
  if (domains.length === 0) throw new UsageError("check: give at least one domain, or --input FILE");
  const timeoutMs = positiveInteger(flags.timeout, "--timeout");
  const concurrency = positiveInteger(flags.concurrency, "--concurrency");
  const dkimSelectors = flags.dkimSelectors === undefined ? [] : parseDkimSelectors(flags.dkimSelectors);
  if (flags.html) assertWritableFolder(flags.html);
  const suites = suitesToRun(flags.suite);
  const settings = io.settings ?? { ...buildSettings(flags, timeoutMs), dkimSelectors };
  const check = io.check ?? checkAndScore;

  const colour = io.colour ?? (io.stdout.isTTY === true && !process.env.NO_COLOR);
  const progress = domains.length > 1 && io.stderr.isTTY === true ? new ProgressLine(io.stderr) : null;
  const reports: DomainReport[] = [];
  let failing = false;
  let first = true;
  const runDomain = async (domain: string): Promise<DomainReport[]> => {
    const results: DomainReport[] = [];
    for (const suite of suites) results.push(await check(domain, suite, settings));
    return results;
  };
  for await (const results of inOrder(domains, runDomain, { concurrency, onProgress: (state) => progress?.show(state) })) {
    for (const report of results) {
      if (flags.html) reports.push(report);
      if (flags.failOn && report.tests.some((test) => atLeast(effectiveStatus(test), flags.failOn ?? "failed"))) failing = true;
      const text = flags.json ? jsonLine(report, io.version) : `${first ? "" : "\n"}${renderText(report, { colour, version: io.version })}`;
      first = false;
      progress?.clear();
      await write(io.stdout, text);
    }
  }
  progress?.clear();
  if (!flags.json) await write(io.stdout, `\n${wrap(SCORING_NOTE, 80, "", "").join("\n")}\n`);
  if (flags.html) writeFileAtomically(flags.html, renderHtmlReport(reports, { version: io.version, generatedAt: new Date() }));
  return failing ? 1 : 0;
}

/**
 * The domains to check, normalised, in order: the arguments, then the
 * --input lines. All are validated first, so that a typo on line 9,000 is
 * reported before 8,999 domains have been checked.
 */
export function collectDomains(positional: readonly string[], input: string | undefined, readStdin: () => string): string[] {
  const domains = positional.map((domain) => normalizeDomain(domain));
  if (input !== undefined) {
    const text = input === "-" ? readStdin() : readOptionFile(input, "--input");
    domains.push(...parseDomainList(text, input === "-" ? "stdin" : input));
  }
  return domains;
}

/** One domain a line; blank lines and everything after a # ignored. A bad line throws CheckInputError naming SOURCE:LINE. */
export function parseDomainList(text: string, source: string): string[] {
  const domains: string[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const content = line.replace(/#.*$/, "").trim();
    if (content === "") return;
    try {
      domains.push(normalizeDomain(content));
    } catch (error) {
      if (error instanceof CheckInputError) throw new CheckInputError(`${source}:${index + 1}: ${error.message}`);
      throw error;
    }
  });
  return domains;
}

/** A report that cannot be written is said before the checks run, not after an hour of them. */
function assertWritableFolder(path: string): void {
  try {
    accessSync(dirname(resolve(path)), constants.W_OK);
  } catch (error) {
    throw new UsageError(`--html ${path}: cannot write there (${error instanceof Error && "code" in error ? String(error.code) : String(error)})`);
  }
}

/** The suites to run, in order; those without checks are left out with a note. */
function suitesToRun(choice: CheckFlags["suite"]): Suite[] {
  return choice === "all" ? ["web", "mail"] : [choice];
}

function buildSettings(flags: CheckFlags, timeoutMs: number): CheckSettings {
  const resolver = resolverFromFlags(flags, { timeoutMs: Math.min(timeoutMs, DNS_TIMEOUT_MS) });
  return defaultSettings(resolver, {
    allowPrivate: flags.allowPrivate ?? false,
    timeoutMs,
    domainDeadlineMs: Math.max(DEFAULT_DOMAIN_DEADLINE_MS, timeoutMs * 4),
    extraCa: flags.caFile ? readCaFile(flags.caFile) : [],
    routing: readRouting(flags.rpkiVrps, flags.bgpOrigins),
  });
}

/** Waits for a full pipe to drain, so that a long list does not pile up in memory. */
function write(output: Output, text: string): Promise<void> {
  if (output.write(text) || !output.once) return Promise.resolve();
  return new Promise((resolve) => output.once?.("drain", resolve));
}

/** "12/200 domains, 3 running" on one line of a terminal's stderr, redrawn in place. */
class ProgressLine {
  readonly #output: Output;
  #shown = false;
  #last = "";

  constructor(output: Output) {
    this.#output = output;
  }

  show(state: BatchProgress): void {
    const text = `${state.done}/${state.total} domains, ${state.running} running`;
    if (text === this.#last && this.#shown) return;
    this.#last = text;
    this.#shown = true;
    this.#output.write(`\r\u001b[K${text}`);
  }

  clear(): void {
    if (!this.#shown) return;
    this.#output.write("\r\u001b[K");
    this.#shown = false;
  }
}
