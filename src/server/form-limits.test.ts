// Body limits counted while reading (finding 4).
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { serve, type ServerType } from "@hono/node-server";
import { loadCatalog } from "../catalog/load.ts";
import { openTestStore, type TestStore } from "../store/test-databases.ts";
import { createApp, MAX_FORM_FIELDS } from "./app.ts";
import { LoginLimiter } from "./auth.ts";
import { formType, readLimitedBody } from "./form-limits.ts";
import { seedIfEmpty } from "./seed.ts";
import { createTestAccounts, testBrowser } from "./test-browser.ts";

const form = (body: string, type: string): Request => new Request("http://localhost/login", { method: "POST", body, headers: { "content-type": type } });

// Review M3: the counter and the parser (undici's Request.formData) must read the same boundary.
const multipart = (boundary: string, fields: number): string => `--${boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\n\r\n`.repeat(fields) + `--${boundary}--\r\n`;
// Deliberately the parser Hono calls (undici's formData), deprecated or not: the counter must agree with it.
// eslint-disable-next-line @typescript-eslint/no-deprecated
const parsedFields = async (body: string, type: string): Promise<number> => [...(await new Response(body, { headers: { "content-type": type } }).formData()).keys()].length;

describe("body limits", () => {
  it("refuses a urlencoded body past its field limit, and keeps one within it readable (finding 4)", async () => {
    assert.deepEqual(await readLimitedBody(form("a=1&".repeat(60), "application/x-www-form-urlencoded"), { maxBytes: 16_384, maxFields: 50 }), { refused: "fields" });
    const read = await readLimitedBody(form("email=a%40b.org&password=x", "application/x-www-form-urlencoded"), { maxBytes: 16_384, maxFields: 50 });
    assert.ok("request" in read);
    assert.equal(await read.request.text(), "email=a%40b.org&password=x");
  });

  it("counts multipart parts, a boundary split between chunks included", async () => {
    const data = new FormData();
    for (let n = 0; n < 30; n++) data.append(`field${n}`, "x".repeat(100));
    const encoded = new Response(data);
    const type = encoded.headers.get("content-type") ?? "";
    const bytes = new Uint8Array(await encoded.arrayBuffer());
    // Seven-byte chunks: nearly every boundary line is cut in two.
    const chunked = (): ReadableStream<Uint8Array> => {
      let at = 0;
      return new ReadableStream({
        pull(controller) {
          if (at >= bytes.length) {
            controller.close();
            return;
          }
          controller.enqueue(bytes.slice(at, at + 7));
          at += 7;
        },
      });
    };
    const request = (): Request => new Request("http://localhost/import", { method: "POST", body: chunked(), duplex: "half", headers: { "content-type": type } });
    assert.deepEqual(await readLimitedBody(request(), { maxBytes: 1e6, maxFields: 29 }), { refused: "fields" });
    const read = await readLimitedBody(request(), { maxBytes: 1e6, maxFields: 30 });
    assert.ok("request" in read);
    assert.deepEqual(new Uint8Array(await read.request.arrayBuffer()), bytes, "the body as sent");
  });

  it("refuses a declared length past the byte limit without reading, and an undeclared one as it arrives", async () => {
    const big = new Request("http://localhost/login", { method: "POST", body: "x".repeat(20_000), headers: { "content-type": "text/plain", "content-length": "20000" } });
    assert.deepEqual(await readLimitedBody(big, { maxBytes: 16_384, maxFields: 50 }), { refused: "bytes" });
    assert.equal(big.bodyUsed, false);
    assert.deepEqual(await readLimitedBody(form("x".repeat(20_000), "text/plain"), { maxBytes: 16_384, maxFields: 50 }), { refused: "bytes" });
  });

  it("finding 4 (review M3): a decoy boundary= inside another parameter does not hide the real one", async () => {
    const type = 'multipart/form-data; x="boundary=zz"; boundary=BB';
    assert.deepEqual(formType(type), { kind: "multipart", boundary: "BB" });
    // The parser reads 60 fields with BB; so must the counter.
    assert.equal(await parsedFields(multipart("BB", 60), type), 60);
    assert.deepEqual(await readLimitedBody(form(multipart("BB", 60), type), { maxBytes: 1e6, maxFields: 50 }), { refused: "fields" });
    // Quoted values are unescaped as the parser does; a key is matched whole.
    assert.deepEqual(formType('multipart/form-data; boundary="B\\"B;x"'), { kind: "multipart", boundary: 'B"B;x' });
    assert.deepEqual(formType("multipart/form-data; xboundary=zz; Boundary=BB"), { kind: "multipart", boundary: "BB" });
    const sent = new Response(new FormData()).headers.get("content-type") ?? "";
    assert.deepEqual(formType(sent), { kind: "multipart", boundary: sent.split("boundary=")[1] }, "what a fetch client sends");
  });

  it("finding 4 (review M3): refuses a form Content-Type that could be read two ways", async () => {
    for (const type of [
      "multipart/form-data; boundary=AA; boundary=BB",
      "multipart/form-data; boundary =zz; boundary=BB",
      // Fetch splits on the comma and parses the LAST media type: multipart, while Hono and the counter saw urlencoded.
      "application/x-www-form-urlencoded; x=1, multipart/form-data; boundary=BB",
      "multipart/form-data; boundary=AA, multipart/form-data; boundary=BB",
      "multipart/form-data",
      "multipart/form-data; boundary=",
      `multipart/form-data; boundary=${"b".repeat(71)}`,
    ]) {
      assert.deepEqual(formType(type), { kind: "ambiguous" }, type);
      assert.deepEqual(await readLimitedBody(form(multipart("BB", 3), type), { maxBytes: 1e6, maxFields: 50 }), { refused: "form" }, type);
    }
    // The comma case really is a bypass without this: undici parses it as multipart with BB.
    assert.equal(await parsedFields(multipart("BB", 3), "application/x-www-form-urlencoded; x=1, multipart/form-data; boundary=BB"), 3);
    // A quoted comma splits nothing.
    assert.deepEqual(formType('multipart/form-data; boundary="a,b"'), { kind: "multipart", boundary: "a,b" });
    assert.deepEqual(formType("application/json"), { kind: "none" });
  });

  it("finding 4 (review M3): fails closed when a multipart body never shows its delimiter", async () => {
    const type = "multipart/form-data; boundary=BB";
    // Past the preamble allowance without "--BB": refused while reading, whatever follows.
    assert.deepEqual(await readLimitedBody(form("x".repeat(2000) + multipart("ZZ", 100), type), { maxBytes: 1e6, maxFields: 50 }), { refused: "form" });
    // A short body without it: refused at its end.
    assert.deepEqual(await readLimitedBody(form(multipart("ZZ", 2), type), { maxBytes: 1e6, maxFields: 50 }), { refused: "form" });
    // A short preamble (RFC 2046, which the parser skips) is still read.
    const read = await readLimitedBody(form(`preamble\r\n${multipart("BB", 2)}`, type), { maxBytes: 1e6, maxFields: 50 });
    assert.ok("request" in read);
    assert.equal(await parsedFields(await read.request.text(), type), 2);
  });
});

describe("body limits over HTTP (finding 4, review M3)", () => {
  let store: TestStore;
  let server: ServerType;
  let origin = "";
  let cookie = "";
  let csrf = "";

  before(async () => {
    store = await openTestStore("sqlite", { name: "form_limits_http" });
    await seedIfEmpty(store, loadCatalog());
    await createTestAccounts(store, ["editor"]);
    const app = createApp({ store, catalog: loadCatalog(), limiter: new LoginLimiter(), secureCookies: false });
    const browser = testBrowser(app);
    await browser.login("editor@example.org");
    cookie = browser.cookie;
    csrf = await browser.csrf("/institutions/new");
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info: AddressInfo) => {
        origin = `http://127.0.0.1:${info.port}`;
        resolve();
      });
    });
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await store.close();
  });

  const post = (type: string, boundary: string, fields: number): Promise<Response> => {
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${csrf}\r\n` + multipart(boundary, fields);
    return fetch(`${origin}/institutions/new`, { method: "POST", body, headers: { cookie, "content-type": type } });
  };

  it("a signed-in decoy-boundary post past the field limit gets 413, an ambiguous one 400", async () => {
    assert.ok(cookie, "signed in");
    const decoy = await post('multipart/form-data; x="boundary=zz"; boundary=BB', "BB", MAX_FORM_FIELDS + 500);
    assert.equal(decoy.status, 413);
    assert.match(await decoy.text(), /too many fields/);
    const twice = await post("multipart/form-data; boundary=AA; boundary=BB", "AA", 3);
    assert.equal(twice.status, 400);
    assert.match(await twice.text(), /does not hold well-formed form data/);
  });
});
