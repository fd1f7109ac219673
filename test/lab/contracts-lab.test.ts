// A contract checked for real on the web lab (slow; needs root: it starts the
// DNS and web labs, see test/lab/web-lab.test.ts): a contract requiring
// HTTPS and HSTS of two lab sites, one that sends HSTS and one that does
// not, run by the campaign engine with the real checks. Only the tests of
// those two standards run; the compliance view shows the site without HSTS
// failing and the other compliant; the letter to the supplier quotes the
// check's own summary as evidence.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { contractCompliance } from "../../src/campaigns/compliance.ts";
import { createContract } from "../../src/campaigns/contracts.ts";
import { CampaignEngine } from "../../src/campaigns/engine.ts";
import { getRun } from "../../src/campaigns/runs.ts";
import { renderSupplierLetter, supplierLetter } from "../../src/campaigns/supplier-letter.ts";
import { loadCatalog } from "../../src/catalog/load.ts";
import { defaultSettings } from "../../src/checks/context.ts";
import { parseRecords } from "../../src/dns/presentation.ts";
import { createResolver } from "../../src/dns/resolver.ts";
import { EmbeddedQueue } from "../../src/jobs/embedded.ts";
import { openTestStore, type TestStore } from "../../src/store/test-databases.ts";
import { acquireLab, releaseLab } from "./lab-lock.ts";

const netDir = fileURLToPath(new URL("../../lab/net/", import.meta.url));
const dnsRun = fileURLToPath(new URL("../../lab/dns/run/", import.meta.url));

function missingTool(): string | null {
  if (process.getuid?.() !== 0) return "needs root (ports 53, 80, 443 on loopback, addresses on lo)";
  for (const tool of ["nginx", "openssl", "ip"]) {
    const found = spawnSync("bash", ["-c", `PATH=$PATH:/usr/sbin:/sbin command -v ${tool}`], { encoding: "utf8" });
    if (found.status !== 0) return `${tool} is missing (scripts/system-deps.sh installs it)`;
  }
  return null;
}

describe("a contract on the web lab (slow)", { skip: missingTool() ?? false, timeout: 600_000 }, () => {
  let store: TestStore;
  before(async () => {
    await acquireLab();
    const started = spawnSync("bash", [join(netDir, "start.sh")], { encoding: "utf8", timeout: 180_000 });
    assert.equal(started.status, 0, started.stderr);
    store = await openTestStore("sqlite", { name: "contracts_lab", file: true });
  });
  after(async () => {
    await store.close();
    spawnSync("bash", [join(netDir, "stop.sh")], { encoding: "utf8", timeout: 60_000 });
    releaseLab();
  });

  it("checks exactly the contract's standards and shows who fails them", async () => {
    const catalog = loadCatalog();
    const resolver = createResolver({
      rootHints: parseRecords(readFileSync(join(dnsRun, "root.hints"), "utf8"), "root.hints"),
      trustAnchors: parseRecords(readFileSync(join(dnsRun, "root-anchor.ds"), "utf8"), "root-anchor.ds"),
      allowPrivate: true,
      timeoutMs: 1500,
      retries: 1,
    });
    const settings = defaultSettings(resolver, { allowPrivate: true, extraCa: [readFileSync(join(netDir, "run", "ca.pem"), "utf8")], timeoutMs: 3000, domainDeadlineMs: 25_000 });
    const contract = await createContract(
      store.db,
      catalog,
      { title: "Lab hosting", buyer: "Lab city", supplier: "Lab hoster", language: "en", standards: ["https", "hsts"], assets: [{ domain: "good.web.secure", suite: "web" }, { domain: "no-hsts.web.secure", suite: "web" }] },
      null,
    );
    const engine = new CampaignEngine({ store, settings, queue: new EmbeddedQueue(store, { concurrency: 2, pollMs: 50 }), tickMs: 600_000 });
    await engine.start();
    try {
      const started = Date.now();
      const run = await engine.runNow("contract", contract.id);
      for (let i = 0; i < 1200 && (await getRun(store.db, run.id))?.status !== "done"; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal((await getRun(store.db, run.id))?.status, "done");
      const seconds = (Date.now() - started) / 1000;
      const standards = new Set((await store.db.selectFrom("result_tests").select("standard").where("run_id", "=", run.id).execute()).map((row) => row.standard));
      assert.deepEqual([...standards].sort(), ["hsts", "https"], "only the contract's standards were tested");
      const view = await contractCompliance(store.db, contract);
      const state = (domain: string, standard: string): string | undefined => view.cells.find((cell) => cell.domain === domain && cell.standard === standard)?.state;
      assert.equal(state("good.web.secure", "https"), "compliant");
      assert.equal(state("good.web.secure", "hsts"), "compliant");
      assert.equal(state("no-hsts.web.secure", "https"), "compliant");
      assert.equal(state("no-hsts.web.secure", "hsts"), "failing");
      const failing = view.cells.find((cell) => cell.domain === "no-hsts.web.secure" && cell.standard === "hsts");
      const summary = failing?.tests.find((test) => test.status === "failed")?.summary ?? "";
      assert.ok(summary.length > 0);
      const letter = (await renderSupplierLetter(supplierLetter(view, catalog, { date: "2026-12-07" }), "md")) as string;
      assert.ok(letter.includes("no-hsts.web.secure"), "the letter names the failing asset");
      assert.ok(!letter.includes("good.web.secure"), "and not the compliant one");
      console.log(`contract run on the web lab: 2 domains in ${seconds.toFixed(1)} s; no-hsts evidence: ${summary}`);
    } finally {
      await engine.stop();
    }
  });
});
