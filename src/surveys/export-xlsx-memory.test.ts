/**
 * The XLSX export keeps its memory bounded however many responses there
 * are: rows wait for the zip to take what was written before (exceljs
 * does not), so the sheet's XML never piles up in buffers. Measured as
 * the growth of the Buffers held outside the JavaScript heap, which is
 * where the XML waiting for the zip sits.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { exportXlsx } from "./export-xlsx.ts";
import { buildForm, q } from "./engine-test-support.ts";

test("10,000 responses of 2 KB text each export with a few MB of buffers, not the 40 MB of their XML", async () => {
  const form = buildForm([q("comment", "text"), q("n", "integer")]);
  const filler = "procurement ".repeat(170);
  async function* responses(): AsyncGenerator<{ id: string; submittedOn: string; answers: Record<string, string> }> {
    for (let index = 0; index < 10_000; index++) {
      // As a database cursor would, now and then.
      if (index % 1000 === 0) await Promise.resolve();
      yield { id: String(index).padStart(6, "0"), submittedOn: "2026-12-07", answers: { comment: `${index} ${filler}`, n: String(index) } };
    }
  }
  // A sink that takes its time, as a slow download does.
  const sink = new Writable({ write: (_chunk, _encoding, done) => setImmediate(done) });
  const base = process.memoryUsage().arrayBuffers;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 2);
  try {
    await exportXlsx(form, responses, sink);
  } finally {
    clearInterval(sampler);
  }
  const grownMb = (peak - base) / 1e6;
  assert.ok(grownMb < 16, `buffers grew by ${grownMb.toFixed(1)} MB`);
});
