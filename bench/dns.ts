/**
 * DNS engine benchmark against Unbound, on the lab (lab/dns), in one run:
 *
 * 1. Cold cache: 1,000 distinct names (wildcard answers that each need a
 *    signature check and a denial-of-existence proof, from an NSEC zone and
 *    an NSEC3 zone) resolved and validated by a fresh Baseline resolver, and
 *    by Unbound right after a restart of the lab (so its caches are empty
 *    too), with the same concurrency. Prints Baseline's time over Unbound's.
 * 2. Warm cache: the same names again from Baseline's cache, in-process,
 *    as validated lookups per second; Unbound's warm rate over UDP is shown
 *    for reference (it includes the network round trip, ours does not).
 * 3. Memory: heap growth with a cache bounded to 1,000 entries while
 *    20,000 distinct names pass through it.
 *
 * Run: `node bench/dns.ts` (starts the lab when it is not running; needs
 * root for the lab's loopback servers). Not part of the test suite.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseRecords } from "../src/dns/presentation.ts";
import { createResolver, type Resolver } from "../src/dns/resolver.ts";
import { DnsTransport } from "../src/dns/transport.ts";

const lab = fileURLToPath(new URL("../lab/dns/", import.meta.url));
const run = `${lab}run/`;
const NAMES = 1000;
const CONCURRENCY = 32;

function labCommand(script: string): void {
  const result = spawnSync("bash", [`${lab}${script}`], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${script} failed: ${result.stderr}`);
}

function newResolver(cacheSize = 10_000): Resolver {
  return createResolver({
    rootHints: parseRecords(readFileSync(`${run}root.hints`, "utf8"), "root.hints"),
    trustAnchors: parseRecords(readFileSync(`${run}root-anchor.ds`, "utf8"), "root-anchor.ds"),
    allowPrivate: true,
    cacheSize,
    timeoutMs: 2000,
  });
}

async function pool<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
}

function names(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${prefix}${index}.${index % 2 === 0 ? "wild.secure." : "wild-nsec3.secure."}`);
}

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

labCommand("stop.sh");
labCommand("start.sh");
const unboundAddress = readFileSync(`${run}unbound.addr`, "utf8").trim().split(":")[0] ?? "127.53.0.53";
const runId = Date.now().toString(36);
const coldNames = names(`b${runId}-`, NAMES);
const unboundNames = names(`u${runId}-`, NAMES);

// Unbound first, just after the lab's restart: its caches hold nothing yet.
const transport = new DnsTransport({ timeoutMs: 3000, retries: 1, maxInFlight: CONCURRENCY * 2 });
let unboundSecure = 0;
let start = process.hrtime.bigint();
await pool(unboundNames, async (name) => {
  const { message } = await transport.query({ address: unboundAddress, port: 53 }, { name, type: "A" }, { recursionDesired: true, dnssecOk: true });
  if (message.flags.ad) unboundSecure++;
});
const unboundCold = seconds(start);

const resolver = newResolver();
let baselineSecure = 0;
start = process.hrtime.bigint();
await pool(coldNames, async (name) => {
  const result = await resolver.resolve(name, "A");
  if (result.security === "secure") baselineSecure++;
});
const baselineCold = seconds(start);

const WARM_ROUNDS = 50;
start = process.hrtime.bigint();
for (let round = 0; round < WARM_ROUNDS; round++) {
  for (const name of coldNames) await resolver.resolve(name, "A");
}
const warmRate = (WARM_ROUNDS * NAMES) / seconds(start);

start = process.hrtime.bigint();
await pool(unboundNames, async (name) => {
  await transport.query({ address: unboundAddress, port: 53 }, { name, type: "A" }, { recursionDesired: true, dnssecOk: true });
});
const unboundWarmRate = NAMES / seconds(start);

const bounded = newResolver(1000);
globalThis.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
await pool(names(`m${runId}-`, 20 * NAMES), async (name) => {
  await bounded.resolve(name, "A");
});
globalThis.gc?.();
const heapGrowth = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;

console.log(`cold cache, ${NAMES} names, concurrency ${CONCURRENCY}:`);
console.log(`  baseline ${baselineCold.toFixed(2)} s (${baselineSecure} secure), unbound ${unboundCold.toFixed(2)} s (${unboundSecure} secure with AD)`);
console.log(`  ratio baseline/unbound: ${(baselineCold / unboundCold).toFixed(2)} (target <= 2)`);
console.log(`warm cache: baseline ${Math.round(warmRate)} validated lookups/s in-process (target >= 20000); unbound ${Math.round(unboundWarmRate)} queries/s over UDP`);
console.log(`memory: heap grew ${heapGrowth.toFixed(1)} MiB over ${20 * NAMES} names with a 1,000-entry cache${globalThis.gc ? "" : " (run with --expose-gc for a steadier figure)"}`);
labCommand("stop.sh");
