// Portfolios on SQLite and PostgreSQL: validation names each bad field, the
// schedule sets next_run_at, the secret stays out of the audit log, domains
// are added and corrected, the limit refuses a list naming itself, and a
// deleted portfolio takes its runs with it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createInstitution } from "../store/institutions.ts";
import { listAudit } from "../store/audit.ts";
import { ConflictError, NotFoundError, ValidationError } from "../store/support.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../store/test-databases.ts";
import { EmbeddedQueue } from "../jobs/embedded.ts";
import { createRun } from "./runs.ts";
import { Scheduler } from "./scheduler.ts";
import {
  addPortfolioDomains,
  countPortfolioDomains,
  createPortfolio,
  deletePortfolio,
  getPortfolio,
  getPortfolioDomain,
  listPortfolioDomains,
  listPortfolios,
  removePortfolioDomains,
  updatePortfolio,
} from "./portfolios.ts";

const NOW = new Date("2026-12-07T15:00:00Z");

for (const dialect of TEST_DIALECTS) {
  describe(`portfolios on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    before(async () => (store = await openTestStore(dialect, { name: "portfolios_test" })));
    after(() => store.close());

    it("creates a portfolio with its schedule's next run, and audits it without the secret", async () => {
      const portfolio = await createPortfolio(
        store.db,
        { name: "  Ministries ", schedule: " Weekly ", alertEmails: ["CISO@Example.org", "ciso@example.org"], webhookUrl: "https://hooks.example.org/x", webhookSecret: "s3cret" },
        null,
        NOW,
      );
      assert.equal(portfolio.name, "Ministries");
      assert.equal(portfolio.schedule, "weekly");
      assert.equal(portfolio.nextRunAt, "2026-12-14T02:00:00.000Z", "the next Monday 02:00 UTC");
      assert.deepEqual(portfolio.alertEmails, ["ciso@example.org"], "lower case, once");
      assert.equal(portfolio.suites, "all");
      assert.deepEqual(await getPortfolio(store.db, portfolio.id), portfolio);
      const { items } = await listAudit(store.db, { entity: "portfolio", entityId: portfolio.id });
      const [created] = items;
      assert.ok(created);
      assert.equal(created.action, "create");
      assert.doesNotMatch(JSON.stringify(created.detail), /s3cret/);
      assert.match(JSON.stringify(created.detail), /"webhookSecret":"\(set\)"/);
    });

    it("names every bad field", async () => {
      await assert.rejects(
        createPortfolio(store.db, { name: " ", schedule: "every day", suites: "dns" as "web", alertEmails: ["not-an-address"], webhookUrl: "ftp://x.example" }, null),
        (error: unknown) => {
          assert.ok(error instanceof ValidationError);
          const paths = error.issues.map((issue) => issue.path).sort();
          assert.deepEqual(paths, ["alertEmails.0", "name", "schedule", "suites", "webhookUrl"]);
          assert.match(error.message, /schedule: schedule "every day": expected manual, daily, weekly, monthly or a cron expression/);
          return true;
        },
      );
      await assert.rejects(createPortfolio(store.db, { name: "x", schedule: "61 * * * *" }, null), /schedule "61 \* \* \* \*"/);
    });

    it("moves the next run only when the schedule changes, keeps the secret when not given, clears it for manual", async () => {
      const portfolio = await createPortfolio(store.db, { name: "Schools", schedule: "daily", webhookSecret: "keep-me" }, null, NOW);
      assert.equal(portfolio.nextRunAt, "2026-12-08T02:00:00.000Z");
      const later = new Date("2026-12-07T20:00:00Z");
      const renamed = await updatePortfolio(store.db, portfolio.id, { name: "Schools (all)", schedule: "daily" }, null, later);
      assert.equal(renamed.nextRunAt, portfolio.nextRunAt, "same schedule: same due time");
      assert.equal(renamed.webhookSecret, "keep-me");
      const cron = await updatePortfolio(store.db, portfolio.id, { name: "Schools (all)", schedule: "30 6 * * 1-5" }, null, later);
      assert.equal(cron.nextRunAt, "2026-12-08T06:30:00.000Z");
      const manual = await updatePortfolio(store.db, portfolio.id, { name: "Schools (all)", schedule: "manual", webhookSecret: "" }, null, later);
      assert.equal(manual.nextRunAt, null);
      assert.equal(manual.webhookSecret, null, "an empty secret field clears it");
      const { items } = await listAudit(store.db, { entity: "portfolio", entityId: portfolio.id });
      assert.deepEqual(items.map((item) => item.action), ["update", "update", "update", "create"]);
      assert.deepEqual((items[2]?.detail as Record<string, unknown>).name, ["Schools", "Schools (all)"]);
      await assert.rejects(updatePortfolio(store.db, "nope", { name: "x" }, null), NotFoundError);
    });

    it("adds domains, corrects the details of those it has, and refuses a list over the limit naming it", async () => {
      const institution = await createInstitution(store.db, { name: "Ministry of Health", kind: "government", country: "NL", region: "155", sector: "health" }, null);
      const portfolio = await createPortfolio(store.db, { name: "Health" }, null);
      const first = await addPortfolioDomains(store.db, portfolio.id, [{ domain: "a.example" }, { domain: "b.example", organisation: "B" }], null);
      assert.deepEqual(first, { added: 2, updated: 0 });
      const second = await addPortfolioDomains(store.db, portfolio.id, [{ domain: "b.example", organisation: "B corrected", institutionId: institution.id }, { domain: "c.example" }], null);
      assert.deepEqual(second, { added: 1, updated: 1 });
      assert.equal(await countPortfolioDomains(store.db, portfolio.id), 3);
      const b = await getPortfolioDomain(store.db, portfolio.id, "b.example");
      assert.ok(b);
      assert.equal(b.organisation, "B corrected");
      assert.equal(b.institutionId, institution.id);
      assert.deepEqual((await listPortfolioDomains(store.db, portfolio.id)).map((entry) => entry.domain), ["a.example", "b.example", "c.example"]);

      await assert.rejects(addPortfolioDomains(store.db, portfolio.id, [{ domain: "d.example" }, { domain: "e.example" }], null, { limit: 4 }), (error: unknown) => {
        assert.ok(error instanceof ConflictError);
        assert.equal(error.message, "the portfolio would hold 5 domains; the limit is 4 domains per portfolio");
        return true;
      });
      assert.equal(await countPortfolioDomains(store.db, portfolio.id), 3, "nothing of a refused list is kept");
      await assert.rejects(addPortfolioDomains(store.db, portfolio.id, [{ domain: "x.example", institutionId: "missing" }], null), /no institution with id missing/);

      assert.equal(await removePortfolioDomains(store.db, portfolio.id, ["a.example"], null), true);
      assert.equal(await removePortfolioDomains(store.db, portfolio.id, ["a.example"], null), false);
      const summary = (await listPortfolios(store.db)).find((entry) => entry.id === portfolio.id);
      assert.equal(summary?.domains, 2);
      const { items } = await listAudit(store.db, { entity: "portfolio", entityId: portfolio.id });
      assert.deepEqual(items.map((item) => item.action).slice(0, 3), ["remove-domains", "import", "import"]);
    });

    it("is picked up by the scheduler when due: a run of its domains, and the next time set", async () => {
      const portfolio = await createPortfolio(store.db, { name: "Scheduled", schedule: "daily", suites: "all" }, null, NOW);
      await addPortfolioDomains(store.db, portfolio.id, [{ domain: "a.example" }, { domain: "b.example" }], null);
      const due = new Date("2026-12-08T02:00:05Z");
      const scheduler = new Scheduler({ store, queue: new EmbeddedQueue(store, { concurrency: 1 }), now: () => due });
      const runs = (await scheduler.tick()).filter((run) => run.subjectId === portfolio.id);
      const [run] = runs;
      assert.ok(run && runs.length === 1);
      assert.equal(run.slot, "2026-12-08T02:00:00.000Z");
      assert.equal(run.total, 4, "two domains, web and mail");
      assert.equal((await getPortfolio(store.db, portfolio.id))?.nextRunAt, "2026-12-09T02:00:00.000Z");
      assert.equal((await scheduler.tick()).filter((run) => run.subjectId === portfolio.id).length, 0, "not due again the same day");
    });

    it("deletes a portfolio with its domains and runs", async () => {
      const portfolio = await createPortfolio(store.db, { name: "Gone" }, null);
      await addPortfolioDomains(store.db, portfolio.id, [{ domain: "a.example" }], null);
      await createRun(store.db, { subjectKind: "portfolio", subjectId: portfolio.id, slot: "s1", targets: [{ domain: "a.example", suite: "web" }] });
      await deletePortfolio(store.db, portfolio.id, null);
      assert.equal(await getPortfolio(store.db, portfolio.id), undefined);
      assert.equal(await countPortfolioDomains(store.db, portfolio.id), 0);
      assert.equal((await store.db.selectFrom("runs").select("id").where("subject_id", "=", portfolio.id).execute()).length, 0);
      await assert.rejects(deletePortfolio(store.db, portfolio.id, null), NotFoundError);
    });
  });
}
