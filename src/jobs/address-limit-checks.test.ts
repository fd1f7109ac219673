/**
 * The checks obey settings.addressLimit: several domains on one address,
 * checked at once, never hold more connections to it than the limit, for
 * HTTP exchanges, the TLS prober's hellos and node:tls handshakes. Real
 * servers on loopback count the TCP connections open at once.
 */
import assert from "node:assert/strict";
import http from "node:http";
import net, { type AddressInfo, type Server } from "node:net";
import tls from "node:tls";
import { after, before, describe, test } from "node:test";
import { DomainContext, defaultSettings, type CheckSettings } from "../checks/context.ts";
import { fetchOnce } from "../checks/http/fetch.ts";
import { fixedResolver, testCertificate } from "../checks/http/test-support.ts";
import { tlsAssessment } from "../checks/web/tls/engine-checks.ts";
import type { TlsAssessment } from "../tls/assess.ts";
import { handshakeOf } from "../checks/web/tls/cert-probe.ts";
import { LocalAddressLimiter } from "./address-limit.ts";

/**
 * A TCP relay in front of `target` that counts the connections open at once
 * (peak), each from its first byte to the client's end: counted at the
 * server's accept, a closed connection's end and its successor's accept can
 * arrive in either order.
 */
function countingRelay(target: () => number): { server: Server; peak: () => number; reset: () => Promise<void> } {
  let open = 0;
  let peak = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: "127.0.0.1", port: target() });
    let counted = false;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      if (counted) open--;
      upstream.destroy();
      client.destroy();
    };
    client.once("data", () => {
      if (ended) return;
      counted = true;
      open++;
      peak = Math.max(peak, open);
    });
    client.pipe(upstream);
    upstream.pipe(client);
    for (const socket of [client, upstream]) {
      socket.once("end", end);
      socket.once("close", end);
      socket.once("error", end);
    }
  });
  // Starts a measure once the connections of the one before have closed.
  const reset = async (): Promise<void> => {
    while (open > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    peak = 0;
  };
  return { server, peak: () => peak, reset };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

const domains = ["a.example", "b.example", "c.example", "d.example"];
const resolver = fixedResolver(Object.fromEntries(domains.map((domain) => [domain, { A: ["127.0.0.1"] }])));
const certificate = testCertificate();

describe("checks within the per-address limit", () => {
  const web = http.createServer((_request, response) => setTimeout(() => response.end("ok"), 40));
  const secure = certificate ? tls.createServer({ key: certificate.key, cert: certificate.cert }, (socket) => setTimeout(() => socket.end(), 30)) : null;
  let webPort = 0;
  let securePort = 0;
  const webCount = countingRelay(() => webPort);
  const secureCount = countingRelay(() => securePort);
  let httpPort = 0;
  let httpsPort = 0;
  before(async () => {
    webPort = await listen(web);
    httpPort = await listen(webCount.server);
    if (secure) {
      securePort = await listen(secure);
      httpsPort = await listen(secureCount.server);
    }
  });
  after(() => {
    for (const server of [web, webCount.server, secureCount.server]) server.close();
    secure?.close();
  });

  const settings = (limit: number | null): CheckSettings =>
    defaultSettings(resolver, {
      allowPrivate: true,
      timeoutMs: 5000,
      webPorts: { http: httpPort, https: httpsPort },
      ...(limit === null ? {} : { addressLimit: new LocalAddressLimiter(limit) }),
    });

  async function fetchAll(limit: number | null): Promise<number> {
    await webCount.reset();
    const config = settings(limit);
    await Promise.all(
      domains.flatMap((domain) => {
        const ctx = new DomainContext(domain, config);
        return Array.from({ length: 4 }, (_, index) => fetchOnce(ctx, { scheme: "http", host: domain, address: "127.0.0.1", port: httpPort, path: `/${index}`, bodyLimit: 100 }).finally(() => ctx.close()));
      }),
    );
    return webCount.peak();
  }

  test("HTTP: 16 exchanges of four domains hold at most 2 connections at once with a limit of 2 (and more without)", async () => {
    assert.ok((await fetchAll(null)) > 2, "without the limit, the domains' exchanges overlap");
    assert.ok((await fetchAll(2)) <= 2);
  });

  test("TLS: the prober's hellos and the handshakes of four domains stay within the limit", { skip: certificate ? false : "openssl is missing" }, async () => {
    const count = secureCount;
    const assessAll = async (limit: number | null): Promise<TlsAssessment[]> => {
      await count.reset();
      const config = settings(limit);
      const contexts = domains.map((domain) => new DomainContext(domain, config));
      const [assessments] = await Promise.all([
        Promise.all(contexts.map((ctx) => tlsAssessment(ctx, "127.0.0.1", httpsPort))),
        Promise.all(contexts.map((ctx) => handshakeOf(ctx, "127.0.0.1"))),
      ]);
      for (const ctx of contexts) ctx.close();
      return assessments;
    };
    await assessAll(null);
    assert.ok(count.peak() > 3, `without the limit, the domains' hellos overlap (${count.peak()})`);
    const assessments = await assessAll(3);
    assert.ok(assessments.every((assessment) => assessment.acceptedVersions.length > 0), `the assessments worked: ${JSON.stringify(assessments.map((assessment) => [assessment.acceptedVersions, assessment.errors.slice(0, 2)]))}`);
    assert.ok(assessments.reduce((sum, assessment) => sum + assessment.handshakes, 0) > 12, "enough hellos to overlap");
    assert.ok(count.peak() <= 3, `peak ${count.peak()} connections`);
  });
});
