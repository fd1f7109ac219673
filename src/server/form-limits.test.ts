// Body limits counted while reading (finding 4).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readLimitedBody } from "./form-limits.ts";

const form = (body: string, type: string): Request => new Request("http://localhost/login", { method: "POST", body, headers: { "content-type": type } });

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
});
