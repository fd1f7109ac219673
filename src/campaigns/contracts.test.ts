/**
 * Contracts, exemptions and compliance on both databases: the requirement
 * set from the catalog (categories, CPV codes) or from an analysed tender,
 * validation naming each bad field, the audit log, schedules, the JSON
 * import (all or nothing), and the compliance view from stored runs
 * (failing since the first run of the streak, exempted until, not yet
 * checked, standards no check covers).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { loadCatalog } from "../catalog/load.ts";
import type { DomainReport } from "../checks/types.ts";
import { listAudit, ValidationError } from "../store/index.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../store/test-databases.ts";
import { analyzeTender } from "../tenders/analyze.ts";
import { contractCompliance, supplierCompliance } from "./compliance.ts";
import { fakeReport } from "./contracts-test-support.ts";
import { catalogStandards, contractFromTender, createContract, deleteContract, getContract, importContracts, listContracts, setAssets, updateContract } from "./contracts.ts";
import { addExemption, listExemptions, removeExemption } from "./exemptions.ts";
import { createRun, finishRunIfComplete, getRun, recordResult } from "./runs.ts";

const catalog = loadCatalog();

/** A finished run of the contract with the given reports, created at `at`. */
async function storedRun(store: TestStore, contractId: string, at: Date, reports: DomainReport[]): Promise<string> {
  const { run } = await createRun(store.db, { subjectKind: "contract", subjectId: contractId, slot: at.toISOString(), targets: reports.map((report) => ({ domain: report.domain, suite: report.suite })), onlyStandards: null, now: at });
  for (const report of reports) await recordResult(store.db, { runId: run.id, domain: report.domain, suite: report.suite, report, now: at });
  assert.ok(await finishRunIfComplete(store.db, run.id, at));
  return run.id;
}

test("the catalog's mandatory set for web hosting, and from a CPV code", () => {
  assert.deepEqual(catalogStandards(catalog, { categories: ["web-hosting"] }), ["https", "hsts", "tls", "dnssec", "ipv6", "rpki", "security-txt"]);
  assert.ok(catalogStandards(catalog, { categories: ["web-hosting"], level: "all" }).includes("caa"));
  assert.ok(catalogStandards(catalog, { cpv: ["72415000-2"] }).includes("https"));
});

test("an analysed tender becomes a contract's draft: buyer, language, what was bought, the standards it requested", () => {
  const analysis = analyzeTender(
    {
      source: "/uploads/hosting-tender.txt",
      format: "text",
      title: "Hébergement du site de la ville",
      authority: "Ville de Lyon",
      cpv: ["72415000"],
      declaredLanguage: "fr",
      passages: [
        { text: "Le titulaire doit fournir le site exclusivement en HTTPS avec HSTS, et la zone DNS doit être signée avec DNSSEC.", role: "requirement" },
        { text: "Le site doit être joignable en IPv6.", role: "requirement" },
      ],
    },
    catalog,
  );
  const draft = contractFromTender(analysis);
  assert.equal(draft.buyer, "Ville de Lyon");
  assert.equal(draft.language, "fr");
  assert.deepEqual(draft.cpvCodes, ["72415000"]);
  for (const standard of ["https", "hsts", "dnssec", "ipv6"]) assert.ok(draft.standards?.includes(standard), `${standard} in ${String(draft.standards)}`);
  assert.ok(!draft.standards?.includes("dane"), "a standard the tender did not ask for is not required");
  assert.match(draft.source ?? "", /Hébergement/);
});

for (const dialect of TEST_DIALECTS) {
  describe(`contracts on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    before(async () => (store = await openTestStore(dialect, { name: "contracts_test" })));
    after(() => store.close());

    test("created from categories: the catalog's set, assets normalised, schedule set, audited (no secret)", async () => {
      const now = new Date("2026-12-07T15:00:00Z");
      const contract = await createContract(
        store.db,
        catalog,
        { title: "Web hosting", buyer: "City of Ghent", supplier: "ACME Hosting", language: "nl", categories: ["web-hosting"], schedule: "Weekly", webhookSecret: "s3cret", assets: [{ domain: "WWW.Acme.example.", suite: "web" }, { domain: "acme.example", suite: "mail" }, { domain: "www.acme.example", suite: "web" }] },
        "user-1",
        now,
      );
      assert.deepEqual(contract.standards, catalogStandards(catalog, { categories: ["web-hosting"] }));
      assert.deepEqual(contract.assets, [{ domain: "acme.example", suite: "mail" }, { domain: "www.acme.example", suite: "web" }]);
      assert.equal(contract.schedule, "weekly");
      assert.equal(contract.nextRunAt, "2026-12-14T02:00:00.000Z");
      const { items } = await listAudit(store.db, { entity: "contract", entityId: contract.id });
      assert.equal(items[0]?.action, "create");
      assert.ok(!JSON.stringify(items).includes("s3cret"));
    });

    test("bad input is refused, naming each field", async () => {
      await assert.rejects(
        createContract(store.db, catalog, { title: "", buyer: "B", supplier: "S", categories: ["web-hostin"], cpvCodes: ["72415000-3"], alertEmails: ["not-mail"], deadlineOn: "2026-02-30", schedule: "every minute" }, null),
        (error: unknown) => {
          assert.ok(error instanceof ValidationError);
          const paths = error.issues.map((issue) => issue.path);
          for (const path of ["title", "alertEmails.0", "deadlineOn"]) assert.ok(paths.includes(path), `${path} in ${paths.join(", ")}`);
          return true;
        },
      );
      await assert.rejects(createContract(store.db, catalog, { title: "T", buyer: "B", supplier: "S", categories: ["web-hostin"], cpvCodes: ["72415000-3"], schedule: "every minute" }, null), (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.match(error.message, /categories\.0: unknown category "web-hostin"/);
        assert.match(error.message, /cpvCodes\.0: .*check digit/);
        assert.match(error.message, /schedule: /);
        return true;
      });
      await assert.rejects(createContract(store.db, catalog, { title: "T", buyer: "B", supplier: "S", standards: ["https"], assets: [{ domain: "192.0.2.1", suite: "web" }] }, null), /assets\.0\.domain: .*IP address/);
      await assert.rejects(createContract(store.db, catalog, { title: "T", buyer: "B", supplier: "S" }, null), /standards: give the standards/);
    });

    test("update: a changed schedule restarts, a changed deadline may alert again; assets replaced; delete", async () => {
      const contract = await createContract(store.db, catalog, { title: "Mail", buyer: "B", supplier: "Post Ltd", standards: ["dmarc", "spf"], schedule: "manual", deadlineOn: "2026-01-01" }, null);
      await store.db.updateTable("contracts").set({ deadline_alerted_at: "2026-01-02T00:00:00.000Z" }).where("id", "=", contract.id).execute();
      const now = new Date("2026-12-07T15:00:00Z");
      const updated = await updateContract(store.db, catalog, contract.id, { title: "Mail service", buyer: "B", supplier: "Post Ltd", standards: ["dmarc", "spf", "dkim"], schedule: "daily", deadlineOn: "2027-01-01" }, "user-2", now);
      assert.equal(updated.nextRunAt, "2026-12-08T02:00:00.000Z");
      assert.equal(updated.deadlineAlertedAt, null);
      assert.deepEqual(updated.standards, ["dmarc", "spf", "dkim"]);
      const assets = await setAssets(store.db, contract.id, [{ domain: "post.example", suite: "mail" }], "user-2");
      assert.deepEqual(assets, [{ domain: "post.example", suite: "mail" }]);
      assert.deepEqual((await getContract(store.db, contract.id))?.assets, assets);
      const { items } = await listAudit(store.db, { entity: "contract", entityId: contract.id });
      assert.deepEqual(items.map((item) => item.action).sort(), ["create", "update", "update"]);
      // A run under way when the contract goes: it goes too, so that no check goes on and no alert is raised for nothing.
      const { run } = await createRun(store.db, { subjectKind: "contract", subjectId: contract.id, slot: "manual:delete-test", targets: [{ domain: "post.example", suite: "mail" }] });
      await deleteContract(store.db, contract.id, "user-2");
      assert.equal(await getContract(store.db, contract.id), undefined);
      assert.equal(await getRun(store.db, run.id), undefined, "the contract's runs are deleted with it");
      assert.equal(await recordResult(store.db, { runId: run.id, domain: "post.example", suite: "mail", report: fakeReport("post.example", "mail", { dmarc: "passed" }) }), false);
    });

    test("import: every contract valid or nothing written, the bad one named", async () => {
      const before = (await listContracts(store.db)).length;
      const good = { title: "Imported A", buyer: "B", supplier: "Importer", categories: ["email-service"], assets: [{ domain: "a.example", suite: "mail" }] };
      await assert.rejects(importContracts(store.db, catalog, JSON.stringify([good, { title: "Imported B", buyer: "B", supplier: "Importer", standards: ["nope"] }]), null), /contract 2: standards\.0: unknown standard "nope"/);
      assert.equal((await listContracts(store.db)).length, before);
      await assert.rejects(importContracts(store.db, catalog, "{", null), /not JSON/);
      const created = await importContracts(store.db, catalog, JSON.stringify([good, { ...good, title: "Imported C" }]), null);
      assert.equal(created.length, 2);
      assert.deepEqual(created[0]?.assets, [{ domain: "a.example", suite: "mail" }]);
      assert.equal((await listContracts(store.db, { supplier: "IMPORTER" })).length, 2);
    });

    test("exemptions: only of a required standard, audited, removable", async () => {
      const contract = await createContract(store.db, catalog, { title: "Exempt", buyer: "B", supplier: "S", standards: ["https", "dane"] }, null);
      await assert.rejects(addExemption(store.db, contract.id, { standard: "dmarc", reason: "r", decidedBy: "me" }, null), /does not require "dmarc"/);
      await assert.rejects(addExemption(store.db, contract.id, { standard: "dane", reason: "", decidedBy: "me" }, null), /reason: /);
      await assert.rejects(addExemption(store.db, contract.id, { standard: "dane", reason: "r", decidedBy: "me", expiresOn: "2027-02-31" }, null), /expiresOn: not a calendar date/);
      const exemption = await addExemption(store.db, contract.id, { standard: "dane", reason: "No DNSSEC at the registrar", decidedBy: "CISO", expiresOn: "2027-06-30" }, "user-3");
      assert.deepEqual((await listExemptions(store.db, contract.id)).map((item) => [item.standard, item.expiresOn]), [["dane", "2027-06-30"]]);
      assert.equal((await listAudit(store.db, { entity: "exemption", entityId: exemption.id })).items[0]?.userId, "user-3");
      await removeExemption(store.db, contract.id, exemption.id, "user-3");
      assert.equal((await listExemptions(store.db, contract.id)).length, 0);
    });

    test("compliance: a run that could not test a standard does not break its failing streak", async () => {
      const contract = await createContract(store.db, catalog, { title: "Streak", buyer: "City", supplier: "Streak Co", standards: ["dnssec"], assets: [{ domain: "streak.example", suite: "web" }] }, null);
      const day = (n: number): Date => new Date(Date.UTC(2026, 9, n, 2));
      const unreachable = fakeReport("streak.example", "web", { dnssec: "failed" });
      unreachable.tests = unreachable.tests.map((item) => ({ ...item, status: "error" as const, summary: "the name servers did not answer" }));
      await storedRun(store, contract.id, day(1), [fakeReport("streak.example", "web", { dnssec: "failed" })]);
      await storedRun(store, contract.id, day(2), [unreachable]);
      await storedRun(store, contract.id, day(3), [fakeReport("streak.example", "web", { dnssec: "failed" })]);
      const view = await contractCompliance(store.db, contract, new Date("2026-12-07T12:00:00Z"));
      const cell = view.cells.find((item) => item.standard === "dnssec");
      assert.equal(cell?.state, "failing");
      assert.equal(cell.failingSince, day(1).toISOString(), "failing since the first run: the one in between said nothing");
    });

    test("compliance: failing since the streak's first run, exempted until, not yet checked, paper-only standards", async () => {
      const contract = await createContract(
        store.db,
        catalog,
        { title: "Hosting 2", buyer: "City", supplier: "Compliance Co", standards: ["https", "hsts", "dnssec", "iso-27001"], deadlineOn: "2026-06-01", assets: [{ domain: "site.example", suite: "web" }, { domain: "other.example", suite: "web" }] },
        null,
      );
      const day = (n: number): Date => new Date(Date.UTC(2026, 10, n, 2));
      // hsts: passed, failed, passed, failed, failed → failing since run 4. https passes; dnssec fails from run 1.
      const statuses: ("passed" | "failed")[] = ["passed", "failed", "passed", "failed", "failed"];
      const runs: string[] = [];
      for (const [index, hsts] of statuses.entries()) runs.push(await storedRun(store, contract.id, day(index + 1), [fakeReport("site.example", "web", { https: "passed", hsts, dnssec: "failed" })]));
      const view = await contractCompliance(store.db, contract, new Date("2026-12-07T12:00:00Z"));
      const cell = (domain: string, standard: string) => view.cells.find((item) => item.domain === domain && item.standard === standard);
      assert.equal(cell("site.example", "https")?.state, "compliant");
      assert.equal(cell("site.example", "hsts")?.state, "failing");
      assert.equal(cell("site.example", "hsts")?.failingSince, day(4).toISOString());
      assert.equal(cell("site.example", "dnssec")?.failingSince, day(1).toISOString());
      assert.equal(cell("site.example", "hsts")?.tests[0]?.summary, "hsts failed on site.example");
      assert.equal(cell("other.example", "https")?.state, "unchecked");
      assert.deepEqual(view.manualStandards, ["iso-27001"]);
      assert.equal(view.deadlinePassed, true);
      assert.deepEqual(view.counts, { compliant: 1, failing: 2, exempted: 0, unchecked: 3 });

      await addExemption(store.db, contract.id, { standard: "dnssec", reason: "Registrar migration", decidedBy: "CISO", expiresOn: "2026-12-31" }, null);
      const exempted = await contractCompliance(store.db, contract, new Date("2026-12-07T12:00:00Z"));
      const dnssec = exempted.cells.find((item) => item.domain === "site.example" && item.standard === "dnssec");
      assert.equal(dnssec?.state, "exempted");
      assert.equal(dnssec.checked, "failing");
      assert.equal(dnssec.exemption?.expiresOn, "2026-12-31");
      // After its last day the exemption no longer holds.
      const later = await contractCompliance(store.db, contract, new Date("2027-01-01T00:00:00Z"));
      assert.equal(later.cells.find((item) => item.domain === "site.example" && item.standard === "dnssec")?.state, "failing");

      const supplier = await supplierCompliance(store.db, "compliance co", new Date("2026-12-07T12:00:00Z"));
      assert.equal(supplier.supplier, "Compliance Co");
      assert.equal(supplier.contracts.length, 1);
      assert.equal(supplier.counts.exempted, 2, "dnssec on both assets");
    });
  });
}
