/**
 * The policy pre-fill (POST /policies/prefill) under load and with documents
 * the tender reader refuses: review L8 of issue 15 (finding 10's "every
 * validation message in the visitor's language", and a bounded wait).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadCatalog } from "../../catalog/load.ts";
import { openTestStore, type TestStore } from "../../store/test-databases.ts";
import { createApp } from "../app.ts";
import { LoginLimiter } from "../auth.ts";
import { createTestAccounts, testBrowser, type TestBrowser } from "../test-browser.ts";
import { MAX_PREFILLS_IN_FLIGHT } from "./exchange.ts";

describe("policy pre-fill (review L8)", () => {
  let store: TestStore;
  let editor: TestBrowser;
  let csrf = "";

  before(async () => {
    store = await openTestStore("sqlite", { name: "prefill_test" });
    await createTestAccounts(store, ["editor"]);
    editor = testBrowser(createApp({ store, catalog: loadCatalog(), limiter: new LoginLimiter(), secureCookies: false }));
    await editor.login("editor@example.org");
    csrf = await editor.csrf("/policies/prefill");
  });
  after(() => store.close());

  const upload = (name: string, content: string, query = ""): Promise<Response> => {
    const form = new FormData();
    form.set("csrf", csrf);
    form.set("file", new File([content], name));
    return editor.upload(`/policies/prefill${query}`, form);
  };

  // First, while the pool's one worker is still starting (it loads the catalog and the readers):
  // every upload sent at once is then in flight together.
  it("answers 503 at once past the pre-fills that may read or wait, and reads again after (review L8)", async () => {
    const document = "Government websites shall use HTTPS with HSTS and sign their domains with DNSSEC.\n".repeat(50);
    const sent = MAX_PREFILLS_IN_FLIGHT + 3;
    const replies = await Promise.all(Array.from({ length: sent }, () => upload("policy.txt", document, "?lang=fr")));
    const busy = replies.filter((reply) => reply.status === 503);
    assert.ok(busy.length >= 1, `statuses ${replies.map((reply) => reply.status).join(",")}`);
    assert.ok(replies.length - busy.length <= MAX_PREFILLS_IN_FLIGHT, `statuses ${replies.map((reply) => reply.status).join(",")}`);
    for (const reply of replies) if (reply.status !== 503) assert.equal(reply.status, 303);
    const [first] = busy;
    assert.ok(first);
    assert.equal(first.headers.get("retry-after"), "60");
    assert.match(await first.text(), /D&#39;autres documents sont en cours de lecture/);
    // The places are given back: one more upload is read.
    assert.equal((await upload("policy.txt", "Sign the zone with DNSSEC.")).status, 303);
  });

  it("shows the reader's refusal in the visitor's language, unknown details as written (review L8)", async () => {
    const french = await upload("politique.docx", "not a zip", "?lang=fr");
    assert.equal(french.status, 400);
    const text = await french.text();
    assert.match(text, /politique\.docx: DOCX endommagé : ce n&#39;est pas un fichier zip/);
    assert.doesNotMatch(text, /corrupt DOCX/);
    const spanish = await upload("política.pdf", "not a PDF at all", "?lang=es");
    assert.equal(spanish.status, 400);
    assert.match(await spanish.text(), /PDF dañado: sin cabecera %PDF-/);
    const english = await upload("policy.pdf", "not a PDF at all");
    assert.match(await english.text(), /policy\.pdf: corrupt PDF: no %PDF- header/);
  });
});
