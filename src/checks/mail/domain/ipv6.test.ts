/**
 * mail.ipv6.mx-aaaa on fixed answers, and mail.ipv6.mx-reachable against
 * real SMTP-greeting servers on ::1 (skipped where the host has no IPv6
 * loopback).
 */
import assert from "node:assert/strict";
import net, { type AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { mxAaaa, mxReachable } from "./ipv6.ts";
import { runCheck, type Zone } from "./test-support.ts";

const mx: Zone = { "example.org|MX": { answer: [["MX", "10 mx1.example.org."], ["MX", "20 mx2.example.org."]] } };

describe("mail.ipv6.mx-aaaa", () => {
  it("passes when every MX has an AAAA, fails naming the ones without", async () => {
    const both = { ...mx, "mx1.example.org|AAAA": { answer: [["AAAA", "2a01:4f8::1"]] }, "mx2.example.org|AAAA": { answer: [["AAAA", "2a01:4f8::2"]] } } satisfies Zone;
    assert.equal((await runCheck(mxAaaa, both)).status, "passed");
    const one = await runCheck(mxAaaa, { ...both, "mx2.example.org|AAAA": {} });
    assert.equal(one.status, "failed");
    assert.match(one.summary, /1 of 2 .*mx2\.example\.org/);
    // A public name pointing at loopback does not count.
    const refused = await runCheck(mxAaaa, { ...both, "mx2.example.org|AAAA": { answer: [["AAAA", "::1"]] } });
    assert.equal(refused.status, "failed");
    assert.match(refused.summary, /only refused/);
  });
  it("is not tested for null MX or no MX, an error when the MX lookup fails", async () => {
    const nullMx = await runCheck(mxAaaa, { "example.org|MX": { answer: [["MX", "0 ."]] } });
    assert.equal(nullMx.status, "not_tested");
    assert.match(nullMx.summary, /null MX/);
    assert.equal((await runCheck(mxAaaa, {})).status, "not_tested");
    assert.equal((await runCheck(mxAaaa, { "example.org|MX": { rcode: "SERVFAIL" } })).status, "error");
  });
});

async function ipv6Loopback(): Promise<boolean> {
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "::1", resolve));
    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}

const hasIpv6 = await ipv6Loopback();

describe("mail.ipv6.mx-reachable against SMTP servers on ::1", { skip: hasIpv6 ? false : "no IPv6 loopback" }, () => {
  let greeting = "220-mx.example.org ESMTP\r\n220 ready\r\n";
  let silent = false;
  const received: string[] = [];
  const server = net.createServer((socket) => {
    socket.on("data", (data) => received.push(data.toString()));
    socket.on("error", () => undefined);
    if (!silent) socket.write(greeting);
  });
  let port = 0;
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, "::1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  const zone = { ...mx, "mx1.example.org|AAAA": { answer: [["AAAA", "::1"]] }, "mx2.example.org|AAAA": { answer: [["AAAA", "::1"]] } } satisfies Zone;
  const run = (overrides: Partial<{ port: number }> = {}) => runCheck(mxReachable, zone, { settings: { allowPrivate: true, smtpPort: overrides.port ?? port, timeoutMs: 400 } });

  it("passes on a (multi-line) 220 greeting and says QUIT", async () => {
    const outcome = await run();
    assert.equal(outcome.status, "passed", outcome.summary);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(received.some((data) => data.includes("QUIT")));
  });
  it("fails on a 554 greeting, on silence within the timeout, and on a closed port", async () => {
    greeting = "554 no service here\r\n";
    const refused = await run();
    assert.equal(refused.status, "failed");
    assert.match(refused.summary, /greets with 554/);
    silent = true;
    const started = Date.now();
    const quiet = await run();
    assert.equal(quiet.status, "failed");
    assert.match(quiet.summary, /no complete greeting within 400 ms/);
    assert.ok(Date.now() - started < 2000);
    silent = false;
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "::1", resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    closed.close();
    const outcome = await run({ port: closedPort });
    assert.equal(outcome.status, "failed");
    assert.match(outcome.summary, /ECONNREFUSED/);
  });
  it("never connects to a loopback address without allowPrivate", async () => {
    const outcome = await runCheck(mxReachable, zone, { settings: { smtpPort: port, timeoutMs: 400 } });
    assert.equal(outcome.status, "not_tested");
  });
});
