import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadCatalog } from "../../catalog/load.ts";
import { analyzeTender } from "../analyze.ts";
import { ingestFile } from "../ingest/index.ts";
import { TenderPool, type PoolResult } from "./pool.ts";

const MIB = 1024 * 1024;
/** A stall limit small enough for a test, yet far above the worker's 250 ms between progress reports. */
const STALL_MS = 600;
const scripted = new URL("./fixtures/scripted-worker.ts", import.meta.url);

/** The error of a file's one failure, or "" when its result is not a failure. */
function errorOf(result: PoolResult | undefined): string {
  return result !== undefined && "error" in result ? result.error : "";
}

async function collect(results: AsyncIterable<PoolResult>): Promise<PoolResult[]> {
  const all: PoolResult[] = [];
  for await (const result of results) all.push(result);
  return all;
}

/** How long reading and analysing the file takes on this thread: the test means something only if it is well over the stall limit. */
async function directMs(path: string): Promise<number> {
  const catalog = loadCatalog();
  const started = performance.now();
  for (const item of await ingestFile(path)) if (!("error" in item)) analyzeTender(item, catalog, { assumeIct: true });
  return performance.now() - started;
}

describe("tender pool: progress and stalls (review L1 of issue 15)", () => {
  let folder: string;
  before(() => {
    folder = mkdtempSync(join(tmpdir(), "baseline-pool-"));
  });
  after(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  // Before L1 only PDFs reported progress: these documents were stopped "without progress" once the stall limit passed.
  const slowDocuments: [string, string, () => string][] = [
    ["HTML of many short headings (tokenizer)", "headings.html", () => `<html><body>${"<h2>x</h2><li>The supplier shall use DNSSEC.</li>".repeat(120_000)}</body></html>`],
    ["plain text of many paragraphs (passage and detection loops)", "paragraphs.txt", () => "The supplier shall sign the zone with DNSSEC and publish DMARC records.\n\n".repeat(80_000)],
  ];
  for (const [name, file, content] of slowDocuments) {
    it(`review L1: ${name} that takes longer than the stall limit while moving is read fully`, async () => {
      const path = join(folder, file);
      writeFileSync(path, content());
      const direct = await directMs(path);
      assert.ok(direct > STALL_MS * 1.5, `the document must take well over ${STALL_MS} ms to be a test (took ${Math.round(direct)} ms)`);
      const pool = new TenderPool({ size: 1, stallMs: STALL_MS, assumeIct: true });
      try {
        const results = await collect(pool.analyzeFile(path));
        assert.equal(results.length, 1);
        const [result] = results;
        assert.ok(result && !("error" in result), `expected an analysis, got ${JSON.stringify(result)}`);
        assert.ok(result.requested.some((entry) => entry.standard === "dnssec"), "the document was read to the end and analysed");
      } finally {
        await pool.close();
      }
    });
  }

  it("review L1: a reader stuck without progress (an endless loop) is still stopped at the stall limit", async () => {
    const pool = new TenderPool({ size: 1, stallMs: 300, workerUrl: scripted });
    try {
      const started = Date.now();
      const results = await collect(pool.analyzeFile(JSON.stringify({ spin: true })));
      assert.equal(results.length, 1);
      assert.match(errorOf(results[0]), /longer than 0\.3 s without progress; stopped/);
      assert.ok(Date.now() - started < 5000);
      // The worker was replaced: the pool still reads the next file.
      assert.deepEqual(await collect(pool.analyzeFile(JSON.stringify({ runMs: 10 }))), []);
    } finally {
      await pool.close();
    }
  });

  it("review L1: a reader that keeps reporting progress is still stopped at the hard time limit", async () => {
    const pool = new TenderPool({ size: 1, stallMs: 300, timeLimitMs: 1000, workerUrl: scripted });
    try {
      const results = await collect(pool.analyzeFile(JSON.stringify({ progressMs: 50 })));
      assert.match(errorOf(results[0]), /longer than 1 s; stopped/);
    } finally {
      await pool.close();
    }
  });
});

describe("tender pool: memory budget (review L2 of issue 15)", () => {
  it("review L2: over the process budget, the worker holding the memory is stopped, not the longest-running one", async () => {
    // Headroom enough for the first worker's own start-up (loading modules costs tens of MiB, more on a
    // loaded machine: 150 MiB was once exceeded by the innocent file alone), far below what the hungry one holds.
    const pool = new TenderPool({ size: 2, workerUrl: scripted, memoryBudgetBytes: process.memoryUsage.rss() + 400 * MIB, stallMs: 5000 });
    try {
      // The innocent file starts first and takes longest; the hungry one starts later and holds 700 MiB.
      const innocent = collect(pool.analyzeFile(JSON.stringify({ holdMb: 5, progressMs: 50, runMs: 2500 })));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const hungry = collect(pool.analyzeFile(JSON.stringify({ holdMb: 700, progressMs: 50, runMs: 4000 })));
      const [innocentResults, hungryResults] = await Promise.all([innocent, hungry]);
      assert.deepEqual(innocentResults, [], "the file that started first finished normally");
      assert.equal(hungryResults.length, 1);
      assert.match(errorOf(hungryResults[0]), /used more than .* of memory; stopped/);
    } finally {
      await pool.close();
    }
  });
});
