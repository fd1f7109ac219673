/**
 * A webhook receiver that keeps the connection busy (a byte now and then,
 * never the end of its answer) is given up after the delivery's timeout in
 * all: a socket's idle timeout alone never fires while bytes trickle in,
 * and the delivery (and the tick that retries alerts) would wait for ever.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { postJson } from "./delivery.ts";

test("a webhook that trickles its answer is given up after the timeout in all", { timeout: 10_000 }, async () => {
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/plain" });
    const timer = setInterval(() => response.write("."), 100);
    timers.add(timer);
    response.on("close", () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const started = Date.now();
    await assert.rejects(postJson(`http://127.0.0.1:${port}/hook`, "{}", { "content-type": "application/json" }, { allowPrivate: true, timeoutMs: 600 }), /did not answer within 600 ms/);
    assert.ok(Date.now() - started < 3000, `gave up after ${Date.now() - started} ms`);
  } finally {
    for (const timer of timers) clearInterval(timer);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
