import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { defaultSettings, DomainContext, TargetRefusedError } from "../context.ts";
import { fetchOnce, fetchShared, followRedirects, webPorts, type FetchTarget } from "./fetch.ts";
import { fixedResolver, httpServer, serverPair, testSettings, type ServerPair } from "./test-support.ts";

describe("fetch through the domain context", () => {
  const pairs: ServerPair[] = [];
  after(() => Promise.all(pairs.map((pair) => pair.close())));

  it("reads the web ports from the settings, 80 and 443 by default", () => {
    const resolver = fixedResolver({});
    const lab = new DomainContext("example.test", testSettings(resolver, { http: 8080, https: 8443 }));
    assert.deepEqual(webPorts(lab), { http: 8080, https: 8443 });
    const plain = new DomainContext("example.test", defaultSettings(resolver));
    assert.deepEqual(webPorts(plain), { http: 80, https: 443 });
    lab.close();
    plain.close();
  });

  it("shares one exchange between callers, and keeps connectionsPerHost at once per address", async () => {
    let active = 0;
    let peak = 0;
    let requests = 0;
    const pair = await serverPair(() => httpServer((req, res) => {
      requests++;
      active++;
      peak = Math.max(peak, active);
      setTimeout(() => {
        active--;
        res.end(req.url);
      }, 50);
    }), false);
    pairs.push(pair);
    const ctx = new DomainContext("example.test", testSettings(fixedResolver({}), { http: pair.port, https: pair.port }, { connectionsPerHost: 2 }));
    const target = (path: string): FetchTarget => ({ scheme: "http", host: "example.test", address: "127.0.0.1", port: pair.port, path, bodyLimit: 1024 });
    const shared = await Promise.all([fetchShared(ctx, target("/a")), fetchShared(ctx, target("/a"))]);
    assert.equal(requests, 1);
    assert.equal(shared[0], shared[1]);
    const bodies = await Promise.all(["/1", "/2", "/3", "/4", "/5"].map((path) => fetchOnce(ctx, target(path))));
    assert.deepEqual(bodies.map((response) => response.body.toString()), ["/1", "/2", "/3", "/4", "/5"]);
    assert.equal(peak, 2);
    ctx.close();
  });

  it("checks the policy before connecting, refuses a redirect to a name without addresses, and bounds redirects", async () => {
    let requests = 0;
    const pair = await serverPair(() => httpServer((_req, res) => {
      requests++;
      res.writeHead(302, { location: "http://10.0.0.1/next" });
      res.end();
    }), false);
    pairs.push(pair);
    const strict = new DomainContext("example.test", { ...testSettings(fixedResolver({}), { http: pair.port, https: pair.port }), allowPrivate: false });
    await assert.rejects(fetchOnce(strict, { scheme: "http", host: "example.test", address: "127.0.0.1", port: pair.port, path: "/", bodyLimit: 0 }), TargetRefusedError);
    assert.equal(requests, 0);
    strict.close();

    // With loopback allowed (a lab) every literal passes; a redirect to a name DNS does not know is refused.
    const lab = new DomainContext("example.test", testSettings(fixedResolver({}), { http: pair.port, https: pair.port }));
    const redirecting = await serverPair(() => httpServer((_req, res) => {
      res.writeHead(301, { location: "https://nowhere.example.test/" });
      res.end();
    }), false);
    pairs.push(redirecting);
    await assert.rejects(
      followRedirects(lab, { scheme: "http", host: "example.test", address: "127.0.0.1", port: redirecting.port, path: "/", bodyLimit: 0 }),
      /redirect host nowhere\.example\.test has no address that may be tested/,
    );
    await assert.rejects(
      followRedirects(lab, { scheme: "http", host: "example.test", address: "127.0.0.1", port: redirecting.port, path: "/", bodyLimit: 0 }, { httpsOnly: false, maxRedirects: 0 }),
      /more than 0 redirects/,
    );
    lab.close();
  });
});
