/**
 * Alert delivery with real parts: e-mail through a private Postfix on
 * loopback (test/support/postfix-sink.ts) into a Maildir read back, the
 * webhook to a node:http server on loopback that verifies the HMAC, bounded
 * retries, the refusal of private addresses, missed deadlines (once, not for
 * exempted standards), the Atom feed (parsed back), the feed tokens, and a
 * whole campaign: a contract's second run regresses and the alert arrives
 * by e-mail and webhook and is in the feed.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { XMLParser } from "fast-xml-parser";
import { loadCatalog } from "../catalog/load.ts";
import { defaultSettings } from "../checks/context.ts";
import { fixedResolver } from "../checks/http/test-support.ts";
import type { Suite } from "../checks/types.ts";
import { EmbeddedQueue } from "../jobs/embedded.ts";
import { createUser } from "../store/index.ts";
import { openTestStore, skipReason, TEST_DIALECTS, type TestStore } from "../store/test-databases.ts";
import { bodyText, postfixSinkSkipReason, startPostfixSink, type PostfixSink } from "../../test/support/postfix-sink.ts";
import { insertAlert, listAlerts, type AlertRecord } from "./alerts.ts";
import { fakeReport } from "./contracts-test-support.ts";
import { createContract } from "./contracts.ts";
import { AlertDeliverer, atomFeed, feedToken, smtpUrlProblem, verifyFeedToken, webhookSignature } from "./delivery.ts";
import { CampaignEngine } from "./engine.ts";
import { addExemption } from "./exemptions.ts";
import { createRun, finishRunIfComplete, getRun, recordResult } from "./runs.ts";

const catalog = loadCatalog();

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
  valid: boolean;
}

/** A webhook receiver on loopback: checks the signature with `secret`, answers `status()`. */
async function webhookReceiver(secret: string, status: () => number = () => 204): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const timestamp = String(request.headers["x-baseline-timestamp"] ?? "");
      const expected = `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
      received.push({ headers: request.headers, body, valid: request.headers["x-baseline-signature"] === expected });
      response.statusCode = status();
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function regressionAlert(store: TestStore, contractId: string, title = "Hosting: 1 test(s) got worse on 1 domain(s)"): Promise<AlertRecord> {
  return insertAlert(store.db, {
    subjectKind: "contract",
    subjectId: contractId,
    runId: null,
    kind: "regression",
    title,
    detail: { subjectName: "Hosting", changes: [{ domain: "site.example", suite: "web", testId: "web.hsts.probe", standard: "hsts", before: "passed", after: "failed" }] },
  });
}

test("the signature is HMAC-SHA256 of timestamp.body", () => {
  assert.equal(webhookSignature("key", "1700000000", "{}"), `sha256=${createHmac("sha256", "key").update("1700000000.{}").digest("hex")}`);
});

test("the Atom feed: one entry per alert, ids as urn:uuid, text escaped, RFC 4287 elements", () => {
  const alerts: AlertRecord[] = [
    { id: "6f1c2b7e-0000-4000-8000-000000000001", subjectKind: "contract", subjectId: "c1", runId: null, kind: "regression", title: "Web <&> \"hosting\"", detail: { subjectName: "Web", changes: [{ domain: "a.example", suite: "web", testId: "web.hsts.probe", standard: "hsts", before: "passed", after: "failed" }] }, createdAt: "2026-12-07T10:00:00.000Z", emailState: "sent", webhookState: "none" },
    { id: "6f1c2b7e-0000-4000-8000-000000000002", subjectKind: "contract", subjectId: "c1", runId: null, kind: "deadline", title: "Deadline\u0007 passed", detail: { subjectName: "Web", deadline: "2026-12-01", failing: [] }, createdAt: "2026-12-06T10:00:00.000Z", emailState: "sent", webhookState: "none" },
  ];
  const xml = atomFeed(alerts, { id: "http://127.0.0.1/alerts.atom", title: "Alerts", baseUrl: "http://127.0.0.1:8080/", selfUrl: "http://127.0.0.1:8080/alerts.atom?user=u&token=t" });
  const parsed = new XMLParser({ ignoreAttributes: false }).parse(xml) as { feed: { "@_xmlns": string; updated: string; entry: { id: string; title: string; summary: { "#text": string }; link: { "@_href": string } }[] } };
  assert.equal(parsed.feed["@_xmlns"], "http://www.w3.org/2005/Atom");
  assert.equal(parsed.feed.updated, "2026-12-07T10:00:00.000Z");
  assert.equal(parsed.feed.entry.length, 2);
  assert.equal(parsed.feed.entry.at(0)?.id, "urn:uuid:6f1c2b7e-0000-4000-8000-000000000001");
  assert.ok(xml.includes("Web &lt;&amp;&gt; &quot;hosting&quot;"));
  assert.ok(!xml.includes("\u0007"), "control characters are not XML");
  assert.equal(parsed.feed.entry.at(0)?.link["@_href"], "http://127.0.0.1:8080/contracts/c1");
  assert.match(parsed.feed.entry.at(0)?.summary["#text"] ?? "", /a\.example \(web\) web\.hsts\.probe \[hsts\]: passed → failed/);
});

for (const dialect of TEST_DIALECTS) {
  describe(`alert delivery on ${dialect}`, { skip: await skipReason(dialect) }, () => {
    let store: TestStore;
    before(async () => (store = await openTestStore(dialect, { name: "delivery_test", file: true })));
    after(() => store.close());

    test("webhook: signed JSON to a receiver on loopback (allowed), states recorded; no e-mail recipients → none", async () => {
      const receiver = await webhookReceiver("hook-secret");
      try {
        const contract = await createContract(store.db, catalog, { title: "Hosting", buyer: "City", supplier: "ACME", standards: ["hsts"], webhookUrl: receiver.url, webhookSecret: "hook-secret" }, null);
        const alert = await regressionAlert(store, contract.id);
        const deliverer = new AlertDeliverer({ store, allowPrivate: true, timeoutMs: 2000 });
        await deliverer.deliver(alert);
        assert.equal(receiver.received.length, 1);
        assert.ok(receiver.received.at(0)?.valid, "signature verifies");
        assert.equal(receiver.received.at(0)?.headers["x-baseline-event"], "regression");
        const payload = JSON.parse(receiver.received.at(0)?.body ?? "{}") as { id: string; subject: { id: string }; changes: unknown[] };
        assert.equal(payload.id, alert.id);
        assert.equal(payload.subject.id, contract.id);
        assert.equal(payload.changes.length, 1);
        const [stored] = await listAlerts(store.db, { subjectId: contract.id });
        assert.equal(stored?.webhookState, "sent");
        assert.equal(stored.emailState, "none");
      } finally {
        await receiver.close();
      }
    });

    test("webhook: loopback refused without --allow-private; a failing receiver is retried a bounded number of times", async () => {
      let answer = 500;
      const receiver = await webhookReceiver("s", () => answer);
      try {
        const contract = await createContract(store.db, catalog, { title: "Retry", buyer: "City", supplier: "ACME", standards: ["hsts"], webhookUrl: receiver.url, webhookSecret: "s" }, null);
        const refused = await regressionAlert(store, contract.id);
        await new AlertDeliverer({ store, timeoutMs: 2000 }).deliver(refused);
        assert.equal(receiver.received.length, 0, "nothing sent to a loopback address");
        const [afterRefusal] = await listAlerts(store.db, { subjectId: contract.id });
        assert.match(afterRefusal?.webhookState ?? "", /^failed: attempt 1 of 5: .*127\.0\.0\.1.*--allow-private/);
        await store.db.deleteFrom("alerts").where("id", "=", refused.id).execute();

        const alert = await regressionAlert(store, contract.id);
        const deliverer = new AlertDeliverer({ store, allowPrivate: true, timeoutMs: 2000, maxAttempts: 3 });
        await deliverer.deliver(alert);
        assert.equal(await deliverer.retry(), 1);
        assert.equal(await deliverer.retry(), 1);
        assert.equal(await deliverer.retry(), 0, "three attempts, then no more");
        assert.equal(receiver.received.length, 3);
        const [failed] = await listAlerts(store.db, { subjectId: contract.id });
        assert.match(failed?.webhookState ?? "", /^failed: attempt 3 of 3: webhook answered HTTP 500/);

        // A "sending" state left by a process that died mid-attempt is taken up once stale, within the bound.
        const stuck = await regressionAlert(store, contract.id, "stuck");
        await store.db.updateTable("alerts").set({ webhook_state: "sending: attempt 1", email_state: "none", created_at: new Date(Date.now() - 10 * 60_000).toISOString() }).where("id", "=", stuck.id).execute();
        const sent = (): number => receiver.received.length;
        const calls = sent();
        assert.equal(await deliverer.retry(), 1);
        assert.equal(sent(), calls + 1);
        assert.match((await listAlerts(store.db, { subjectId: contract.id })).find((item) => item.id === stuck.id)?.webhookState ?? "", /^failed: attempt 2 of 3/);
        await store.db.deleteFrom("alerts").where("id", "=", stuck.id).execute();

        // A receiver back in service gets the next alert's retry.
        const second = await regressionAlert(store, contract.id, "second");
        await deliverer.deliver(second);
        answer = 200;
        assert.equal(await deliverer.retry(), 1);
        assert.equal((await listAlerts(store.db, { subjectId: contract.id })).find((item) => item.id === second.id)?.webhookState, "sent");
      } finally {
        await receiver.close();
      }
    });

    test("e-mail without an SMTP server configured: failed, saying so", async () => {
      const contract = await createContract(store.db, catalog, { title: "No SMTP", buyer: "City", supplier: "ACME", standards: ["hsts"], alertEmails: ["ciso@city.example"] }, null);
      const alert = await regressionAlert(store, contract.id);
      await new AlertDeliverer({ store }).deliver(alert);
      const [stored] = await listAlerts(store.db, { subjectId: contract.id });
      assert.match(stored?.emailState ?? "", /^failed: attempt 1 of 5: no SMTP server configured/);
    });

    test("a missed deadline: one alert while requirements fail, none for exempted ones", async () => {
      const now = new Date("2026-12-07T12:00:00Z");
      const late = await createContract(store.db, catalog, { title: "Late", buyer: "City", supplier: "Slow Ltd", standards: ["https", "hsts"], deadlineOn: "2026-12-01", assets: [{ domain: "slow.example", suite: "web" }] }, null);
      const exempt = await createContract(store.db, catalog, { title: "Exempt", buyer: "City", supplier: "Slow Ltd", standards: ["https", "hsts"], deadlineOn: "2026-12-01", assets: [{ domain: "slow2.example", suite: "web" }] }, null);
      const early = await createContract(store.db, catalog, { title: "Not yet", buyer: "City", supplier: "Slow Ltd", standards: ["https", "hsts"], deadlineOn: "2027-01-01", assets: [{ domain: "slow3.example", suite: "web" }] }, null);
      // The deadline is today: the supplier has the day (the contract's page says "passed" from tomorrow too).
      const today = await createContract(store.db, catalog, { title: "Today", buyer: "City", supplier: "Slow Ltd", standards: ["https", "hsts"], deadlineOn: "2026-12-07", assets: [{ domain: "slow4.example", suite: "web" }] }, null);
      for (const [contract, domain] of [[late, "slow.example"], [exempt, "slow2.example"], [early, "slow3.example"], [today, "slow4.example"]] as const) {
        const { run } = await createRun(store.db, { subjectKind: "contract", subjectId: contract.id, slot: "2026-12-02T02:00:00.000Z", targets: [{ domain, suite: "web" }], now: new Date("2026-12-02T02:00:00Z") });
        await recordResult(store.db, { runId: run.id, domain, suite: "web", report: fakeReport(domain, "web", { https: "passed", hsts: "failed" }) });
        await finishRunIfComplete(store.db, run.id);
      }
      await addExemption(store.db, exempt.id, { standard: "hsts", reason: "Legacy clients", decidedBy: "CIO", expiresOn: null }, null);
      const deliverer = new AlertDeliverer({ store });
      const alerts = await deliverer.checkDeadlines(now);
      assert.deepEqual(alerts.map((alert) => alert.subjectId), [late.id]);
      assert.equal(alerts[0]?.kind, "deadline");
      assert.deepEqual(alerts.at(0)?.detail.failing, [{ domain: "slow.example", suite: "web", standard: "hsts", testId: "web.hsts.probe", status: "failed" }]);
      assert.equal((await deliverer.checkDeadlines(now)).length, 0, "once per contract");
    });

    test("feed tokens: per user, verified, revoked by a new password", async () => {
      const user = await createUser(store.db, { email: `feed-${dialect}@city.example`, name: "Feed", role: "viewer", passwordHash: "scrypt$stand-in-hash" }, null);
      const token = await feedToken(store.db, user.id);
      assert.ok(token && token.length === 32);
      assert.equal(await verifyFeedToken(store.db, user.id, token), true);
      assert.equal(await verifyFeedToken(store.db, user.id, `${token.slice(0, 31)}${token.endsWith("A") ? "B" : "A"}`), false);
      assert.equal(await verifyFeedToken(store.db, "someone-else", token), false);
      await store.db.updateTable("users").set({ password_hash: "changed" }).where("id", "=", user.id).execute();
      assert.equal(await verifyFeedToken(store.db, user.id, token), false);
    });
  });
}

describe("a contract's regression by e-mail through Postfix, webhook and feed", { skip: postfixSinkSkipReason() }, () => {
  let store: TestStore;
  let sink: PostfixSink;
  before(async () => {
    store = await openTestStore("sqlite", { name: "delivery_postfix", file: true });
    sink = await startPostfixSink();
  });
  after(async () => {
    await sink.stop();
    await store.close();
  });

  test("e-mail: an alert reaches the Postfix sink with its subject and changes", async () => {
    const contract = await createContract(store.db, catalog, { title: "Mail alert", buyer: "City", supplier: "ACME", standards: ["hsts"], alertEmails: ["ciso@city.example", "buyer@city.example"] }, null);
    const alert = await regressionAlert(store, contract.id, "Mail alert: 1 test(s) got worse on 1 domain(s)");
    const deliverer = new AlertDeliverer({ store, smtpUrl: sink.url, mailFrom: "baseline@city.example", baseUrl: "https://baseline.city.example" });
    try {
      await deliverer.deliver(alert);
      const message = await sink.waitFor((text) => text.includes(alert.id));
      assert.match(message, /^Subject: \[Baseline\] Mail alert: 1 test\(s\) got worse/m);
      assert.match(message, /^From: baseline@city\.example/m);
      const text = bodyText(message);
      assert.match(text, /site\.example \(web\) web\.hsts\.probe \[hsts\]: passed → failed/);
      assert.ok(text.includes(`https://baseline.city.example/contracts/${contract.id}`), text);
      assert.equal(sink.messages().filter((text) => text.includes(alert.id)).length, 2, "one delivery per recipient");
      const [stored] = await listAlerts(store.db, { subjectId: contract.id });
      assert.equal(stored?.emailState, "sent");
    } finally {
      deliverer.close();
    }
  });

  test("the engine: a second run regresses, the alert goes by e-mail and webhook, and is in the feed", async () => {
    const receiver = await webhookReceiver("engine-secret");
    let hsts: "passed" | "failed" = "passed";
    const check = (domain: string, suite: Suite): Promise<ReturnType<typeof fakeReport>> => Promise.resolve(fakeReport(domain, suite, { https: "passed", hsts }));
    const deliverer = new AlertDeliverer({ store, smtpUrl: sink.url, allowPrivate: true, timeoutMs: 5000 });
    const engine = new CampaignEngine({ store, settings: defaultSettings(fixedResolver({})), queue: new EmbeddedQueue(store, { concurrency: 2, pollMs: 20 }), check, deliver: deliverer.deliver, onTick: deliverer.onTick, tickMs: 60_000 });
    const contract = await createContract(store.db, catalog, { title: "Engine contract", buyer: "City", supplier: "ACME", standards: ["https", "hsts"], alertEmails: ["soc@city.example"], webhookUrl: receiver.url, webhookSecret: "engine-secret", assets: [{ domain: "shop.example", suite: "web" }] }, null);
    await engine.start();
    try {
      const waitDone = async (id: string): Promise<void> => {
        for (let i = 0; i < 500; i++) {
          if ((await getRun(store.db, id))?.status === "done") return;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        throw new Error("run not done");
      };
      await waitDone((await engine.runNow("contract", contract.id)).id);
      hsts = "failed";
      await waitDone((await engine.runNow("contract", contract.id)).id);
      // afterRun delivers once the run is marked done; wait for both channels.
      let alert: AlertRecord | undefined;
      for (let i = 0; i < 500; i++) {
        alert = (await listAlerts(store.db, { subjectId: contract.id })).find((item) => item.kind === "regression");
        if (alert && alert.emailState === "sent" && alert.webhookState === "sent") break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(alert?.emailState, "sent");
      assert.equal(alert.webhookState, "sent");
      const message = await sink.waitFor((text) => text.includes(alert.id));
      assert.match(message, /Engine contract: 1 test\(s\) got worse/);
      assert.equal(receiver.received.length, 1);
      assert.ok(receiver.received.at(0)?.valid);
      const feed = atomFeed(await listAlerts(store.db, { subjectKind: "contract" }), { id: "x", title: "t", baseUrl: "http://127.0.0.1", selfUrl: "http://127.0.0.1/alerts.atom" });
      assert.ok(feed.includes(`urn:uuid:${alert.id}`));
    } finally {
      await engine.stop();
      deliverer.close();
      await receiver.close();
    }
  });
});

test("an SMTP URL that is not one is refused, naming the option", () => {
  assert.equal(smtpUrlProblem("foo bar"), "--smtp-url foo bar: expected smtp://host:port or smtps://host:port");
  assert.match(smtpUrlProblem("http://mail.example:25") ?? "", /^--smtp-url http:\/\/mail\.example:25: expected/);
  assert.equal(smtpUrlProblem("smtp://127.0.0.1:2525"), null);
  assert.equal(smtpUrlProblem("smtps://user:secret@mail.example:465"), null);
  assert.throws(() => new AlertDeliverer({ store: undefined as never, smtpUrl: "foo" }), /--smtp-url foo: expected/);
});
