/**
 * The measuring half of the throughput benches: settings that resolve from
 * the DNS lab's root, a run of one suite over many domains at a fixed
 * concurrency, and the report (domains per minute, peak RSS, statuses, each
 * test that did not pass with an example summary).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultSettings, type CheckSettings } from "../../src/checks/context.ts";
import { checksOf } from "../../src/checks/registry.ts";
import { loadBgpOrigins, loadVrps } from "../../src/checks/routing-data.ts";
import { checkAndScore } from "../../src/checks/run.ts";
import type { CheckStatus, Suite } from "../../src/checks/types.ts";
import { parseRecords } from "../../src/dns/presentation.ts";
import { createResolver } from "../../src/dns/resolver.ts";

const lab = fileURLToPath(new URL("../../lab/", import.meta.url));

/** Settings resolving from the DNS lab's root (validated), trusting CA_PEM, with the lab's RPKI data. */
export function labSettings(caPem: string, extra: Partial<CheckSettings> = {}): CheckSettings {
  const resolver = createResolver({
    rootHints: parseRecords(readFileSync(join(lab, "dns/run/root.hints"), "utf8"), "root.hints"),
    trustAnchors: parseRecords(readFileSync(join(lab, "dns/run/root-anchor.ds"), "utf8"), "root-anchor.ds"),
    allowPrivate: true,
  });
  const vrps = join(lab, "net/rpki/vrps.json");
  const origins = join(lab, "net/rpki/bgp-origins.txt");
  return defaultSettings(resolver, {
    allowPrivate: true,
    extraCa: [caPem],
    routing: { vrps: loadVrps(vrps), origins: loadBgpOrigins(origins), sources: { vrps, origins } },
    ...extra,
  });
}

/** dNNN.ZONE for the INDEX-th domain (from 0). */
export const benchDomain = (index: number, zone: string): string => `d${String(index + 1).padStart(3, "0")}.${zone}`;

export interface SuiteRun {
  suite: Suite;
  domains: number;
  concurrency: number;
  seconds: number;
  statuses: Map<CheckStatus, number>;
  /** "id status" → how many domains, for every test that did not pass. */
  notPassed: Map<string, number>;
  /** "id status" → the first such test's summary. */
  example: Map<string, string>;
}

/** Runs SUITE over DOMAINS, CONCURRENCY domains at a time, tallying every test's status. */
export async function runSuite(suite: Suite, domains: string[], concurrency: number, settings: CheckSettings): Promise<SuiteRun> {
  const result: SuiteRun = { suite, domains: domains.length, concurrency, seconds: 0, statuses: new Map(), notPassed: new Map(), example: new Map() };
  let next = 0;
  const begin = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, domains.length) }, async () => {
    while (next < domains.length) {
      const domain = domains[next++] ?? "";
      const report = await checkAndScore(domain, suite, settings);
      for (const test of report.tests) {
        result.statuses.set(test.status, (result.statuses.get(test.status) ?? 0) + 1);
        if (test.status === "passed") continue;
        const key = `${test.id} ${test.status}`;
        result.notPassed.set(key, (result.notPassed.get(key) ?? 0) + 1);
        if (!result.example.has(key)) result.example.set(key, test.summary);
      }
    }
  }));
  result.seconds = (performance.now() - begin) / 1000;
  return result;
}

/** Prints RUN: the conditions (NETWORK: round trips and how the delay is made), the rate, peak RSS, statuses, and why tests did not pass (WHY). */
export function printRun(run: SuiteRun, network: string, why: string): void {
  console.log(`${run.suite} suite: ${String(checksOf(run.suite).length)} checks registered; ${String(run.domains)} domains, ${String(run.concurrency)} at a time, ${network}`);
  console.log(`  ${run.seconds.toFixed(1)} s: ${((run.domains / run.seconds) * 60).toFixed(0)} domains/minute`);
  console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  console.log(`  test statuses: ${[...run.statuses].map(([status, count]) => `${status} ${String(count)}`).join(", ") || "none (no checks registered)"}`);
  console.log(`  not passed (${why}):`);
  for (const [key, count] of [...run.notPassed].sort()) console.log(`    ${key} ×${String(count)}: ${run.example.get(key) ?? ""}`);
}
