/**
 * The web HTTP checks against real web servers on 127.0.0.1 and ::1: the
 * resolver's fixed answers point the test names at them (the lab tests use
 * Baseline's real resolver and nginx on 80/443), and `webPorts` moves 80
 * and 443 to the servers' ephemeral ports.
 */
import assert from "node:assert/strict";
import type http from "node:http";
import type { Server } from "node:net";
import { after, describe, it } from "node:test";
import tls, { type TLSSocket } from "node:tls";
import { gzipSync } from "node:zlib";
import type { CheckSettings } from "../../context.ts";
import { fixedResolver, httpServer, httpsServer, rawServer, serverPair, testCertificate, testSettings, type Handler, type ServerPair, type TestCertificate } from "../../http/test-support.ts";
import { checkDomain } from "../../run.ts";
import type { CheckResult, CheckStatus } from "../../types.ts";
import { WEB_HTTP_CHECKS } from "./index.ts";

const certificate = testCertificate();
const skip = certificate ? false : "openssl is missing";
const IDS = WEB_HTTP_CHECKS.map((check) => check.id);
const DAY = 86_400_000;

const GOOD_HEADERS: Record<string, string> = {
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  "content-type": "text/html; charset=utf-8",
};
const PAGE = `<!doctype html><html><body>${"<p>The municipality's news, services and contact details.</p>\n".repeat(40)}</body></html>`;
const SECURITY_TXT = `Contact: mailto:security@example.test\nEncryption: https://example.test/pgp-key.txt\nExpires: ${new Date(Date.now() + 180 * DAY).toISOString()}\nPreferred-Languages: en, nl\n`;

const pairs: ServerPair[] = [];
after(() => Promise.all(pairs.map((pair) => pair.close())));

async function start(make: (family: 4 | 6) => Server, ipv6 = true): Promise<number> {
  const pair = await serverPair(make, ipv6);
  pairs.push(pair);
  return pair.port;
}

type Records = { A?: string[]; AAAA?: string[] };

async function run(domain: string, records: Records, ports: { http: number; https: number }, overrides: Partial<CheckSettings> = {}, others: Record<string, Records> = {}): Promise<Map<string, CheckResult>> {
  const settings = testSettings(fixedResolver({ ...others, [domain]: records }), ports, overrides);
  const report = await checkDomain(domain, "web", settings, { only: IDS });
  return new Map(report.tests.map((test) => [test.id, test]));
}

/** The evidence of a check's single address. */
function onlyAddress(test: CheckResult): Record<string, unknown> {
  const addresses = test.evidence.addresses as Record<string, unknown>[];
  assert.equal(addresses.length, 1);
  return addresses[0] ?? {};
}

function statuses(results: Map<string, CheckResult>): Record<string, CheckStatus> {
  return Object.fromEntries([...results].map(([id, result]) => [id, result.status]));
}

function result(results: Map<string, CheckResult>, id: string): CheckResult {
  const found = results.get(id);
  assert.ok(found, `no result for ${id}`);
  return found;
}

/** An HTTP server redirecting everything to HTTPS on `host`, with the HTTPS port. */
function redirector(host: () => string): Handler {
  return (req, res) => {
    res.writeHead(301, { location: `https://${host()}${req.url ?? "/"}` });
    res.end();
  };
}

function serve(res: http.ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer): void {
  res.writeHead(status, headers);
  res.end(body);
}

describe("web HTTP checks", { skip }, () => {
  it("pass a well-configured site on IPv4 and IPv6, fetching each address's first HTTPS answer once", async () => {
    if (!certificate) return;
    const pageRequests: string[] = [];
    let httpsPort = 0;
    const httpPort = await start(() => httpServer(redirector(() => `good.example.test:${httpsPort}`)));
    httpsPort = await start(() => httpsServer(certificate, (req, res) => {
      if (req.url === "/") {
        pageRequests.push(req.socket.localAddress ?? "");
        serve(res, 200, GOOD_HEADERS, PAGE);
      } else if (req.url === "/.well-known/security.txt") serve(res, 200, { "content-type": "text/plain; charset=utf-8" }, SECURITY_TXT);
      else serve(res, 404, {}, "not found");
    }));
    const results = await run("good.example.test", { A: ["127.0.0.1"], AAAA: ["::1"] }, { http: httpPort, https: httpsPort });
    assert.deepEqual(statuses(results), Object.fromEntries(IDS.map((id) => [id, "passed"])));
    assert.equal(result(results, "web.hsts").summary, "HSTS max-age is 31536000 s with includeSubDomains");
    assert.equal(result(results, "web.https.available").summary, "HTTPS answers on all 2 web addresses");
    assert.equal(result(results, "web.https.redirect").summary, "HTTP redirects to HTTPS on the same host (301)");
    assert.match(result(results, "web.ipv6.same-content").summary, /matches IPv4 \(0% different\)/);
    // Seven checks read "/" over HTTPS; each address was asked once, plus once by compression (with Accept-Encoding).
    assert.deepEqual(pageRequests.filter((address) => address === "127.0.0.1").length, 2);
    assert.deepEqual(pageRequests.filter((address) => address === "::1").length, 2);
  });

  it("fail a site without redirect, with a short HSTS, no security headers, no security.txt and other content over IPv6", async () => {
    if (!certificate) return;
    const httpPort = await start(() => httpServer((_req, res) => serve(res, 200, {}, PAGE)));
    const httpsPort = await start((family) => httpsServer(certificate, (req, res) => {
      if (req.url !== "/") { serve(res, 404, {}, "not found"); return; }
      const body = family === 4 ? PAGE : "<html><body><h1>Welcome to nginx!</h1></body></html>";
      const headers = { "strict-transport-security": "max-age=300", "referrer-policy": "unsafe-url", "content-security-policy": "default-src * 'unsafe-inline'" };
      if (/gzip/.test(req.headers["accept-encoding"] ?? "")) { serve(res, 200, { ...headers, "content-encoding": "gzip" }, gzipSync(body)); return; }
      serve(res, 200, headers, body);
    }));
    const results = await run("bad.example.test", { A: ["127.0.0.1"], AAAA: ["::1"] }, { http: httpPort, https: httpsPort });
    assert.deepEqual(statuses(results), {
      "web.ipv6.reachable": "passed", "web.ipv6.same-content": "failed", "web.https.available": "passed", "web.https.redirect": "failed",
      "web.hsts": "failed", "web.http-compression": "info", "web.headers.x-frame-options": "failed", "web.headers.x-content-type-options": "failed",
      "web.headers.referrer-policy": "failed", "web.headers.csp": "failed", "web.security-txt": "failed",
    });
    assert.equal(result(results, "web.https.redirect").summary, "HTTP answers 200 without redirecting to HTTPS");
    assert.equal(result(results, "web.hsts").summary, "HSTS max-age is 300 s; at least 31536000 s (one year) is required");
    assert.match(result(results, "web.ipv6.same-content").summary, /differs from IPv4 by \d+(\.\d)?% \(at most 10% allowed\)/);
    assert.equal(result(results, "web.security-txt").summary, "no security.txt: /.well-known/security.txt answers 404, /security.txt answers 404");
  });

  it("fail a first redirect to another host, pass a site without port 80, and leave IPv6 untested without AAAA", async () => {
    if (!certificate) return;
    const httpsPort = await start(() => httpsServer(certificate, (_req, res) => serve(res, 200, GOOD_HEADERS, PAGE)), false);
    const closedHttp = await start(() => rawServer(() => undefined), false);
    await pairs.pop()?.close();
    const onlyHttps = await run("secure.example.test", { A: ["127.0.0.1"] }, { http: closedHttp, https: httpsPort });
    assert.equal(result(onlyHttps, "web.https.redirect").status, "passed");
    assert.equal(result(onlyHttps, "web.https.redirect").summary, "HTTP does not answer and HTTPS does: only HTTPS is offered");
    assert.equal(result(onlyHttps, "web.ipv6.reachable").status, "not_tested");
    assert.equal(result(onlyHttps, "web.ipv6.same-content").status, "not_tested");

    const elsewhere = await start(() => httpServer(redirector(() => `www.example.test:${httpsPort}`)), false);
    const results = await run("apex.example.test", { A: ["127.0.0.1"] }, { http: elsewhere, https: httpsPort });
    assert.equal(result(results, "web.https.redirect").status, "failed");
    assert.match(result(results, "web.https.redirect").summary, /another host \(www\.example\.test\) first/);
  });

  it("fail IPv6 reachability when the IPv6 address does not listen on the HTTPS port the IPv4 one serves", async () => {
    if (!certificate) return;
    let httpsPort = 0;
    const httpPort = await start(() => httpServer(redirector(() => `half.example.test:${httpsPort}`)));
    httpsPort = await start(() => httpsServer(certificate, (_req, res) => serve(res, 200, GOOD_HEADERS, PAGE)), false);
    const results = await run("half.example.test", { A: ["127.0.0.1"], AAAA: ["::1"] }, { http: httpPort, https: httpsPort });
    assert.equal(result(results, "web.ipv6.reachable").status, "failed");
    assert.equal(result(results, "web.ipv6.reachable").summary, `not reachable on port ${httpsPort}, which IPv4 serves`);
    assert.equal(result(results, "web.ipv6.same-content").status, "failed");
    assert.equal(result(results, "web.https.available").status, "failed");
    assert.match(result(results, "web.https.available").summary, /^::1: HTTPS does not answer: .*connection refused$/);
  });

  it("pass an IPv6-only site: reachable on the ports it serves, nothing over IPv4 to differ from", async () => {
    if (!certificate) return;
    const httpsPort = await start(() => httpsServer(certificate, (_req, res) => serve(res, 200, GOOD_HEADERS, PAGE)));
    const results = await run("v6only.example.test", { AAAA: ["::1"] }, { http: httpsPort, https: httpsPort });
    assert.equal(result(results, "web.ipv6.reachable").status, "passed");
    assert.equal(result(results, "web.ipv6.same-content").summary, "v6only.example.test has no IPv4 address, so the IPv6 site is the only one");
    assert.equal(result(results, "web.ipv6.same-content").status, "passed");
  });

  it("refuse loopback targets unless private targets are allowed", async () => {
    const results = await run("public.example.test", { A: ["127.0.0.1"], AAAA: ["::1"] }, { http: 1, https: 2 }, { allowPrivate: false });
    for (const id of IDS) assert.equal(result(results, id).status, "error", id);
    assert.match(result(results, "web.hsts").summary, /refused by the address policy/);
  });
});

/** A TLS server that answers with whatever `onSocket` writes (a hostile HTTP answer inside TLS). */
function tlsRawServer(certificate: TestCertificate, onSocket: (socket: TLSSocket) => void): Server {
  const sockets = new Set<TLSSocket>();
  const server = tls.createServer({ key: certificate.key, cert: certificate.cert }, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    onSocket(socket);
  });
  return Object.assign(server, { closeAllConnections: () => { for (const socket of sockets) socket.destroy(); } });
}

describe("web HTTP checks against hostile servers", { skip }, () => {
  async function siteWithSecurityTxt(handler: Handler): Promise<{ http: number; https: number }> {
    if (!certificate) throw new Error("no certificate");
    const https = await start(() => httpsServer(certificate, (req, res) => {
      if (req.url === "/") { serve(res, 200, GOOD_HEADERS, PAGE); return; }
      handler(req, res);
    }), false);
    return { http: https, https };
  }

  it("follow a security.txt redirect to another host through the context's resolver, to its address", async () => {
    if (!certificate) return;
    const seen: string[] = [];
    let port = 0;
    port = await start(() => httpsServer(certificate, (req, res) => {
      seen.push(`${req.headers.host ?? ""} ${req.socket.localAddress ?? ""} ${req.url ?? ""}`);
      if (req.headers.host?.startsWith("apex.")) {
        res.writeHead(301, { location: `https://www.apex.example.test:${port}/.well-known/security.txt` });
        res.end();
        return;
      }
      serve(res, 200, { "content-type": "text/plain; charset=utf-8" }, `${SECURITY_TXT}Canonical: https://www.apex.example.test:${port}/.well-known/security.txt\n`);
    }));
    // www has only an AAAA record: the redirect leaves the IPv4 start for the name's own address.
    const results = await run("apex.example.test", { A: ["127.0.0.1"] }, { http: port, https: port }, {}, { "www.apex.example.test": { AAAA: ["::1"] } });
    const test = result(results, "web.security-txt");
    assert.equal(test.status, "passed", test.summary);
    assert.ok(seen.includes(`www.apex.example.test:${port} ::1 /.well-known/security.txt`), seen.join(", "));
    assert.deepEqual((onlyAddress(test).attempts as { redirects: unknown[] }[])[0]?.redirects, [{ url: `https://apex.example.test:${port}/.well-known/security.txt`, status: 301, location: `https://www.apex.example.test:${port}/.well-known/security.txt` }]);
  });

  it("stop an endless security.txt redirect chain after 10 redirects", async () => {
    let hops = 0;
    const ports = await siteWithSecurityTxt((req, res) => {
      hops++;
      res.writeHead(302, { location: `/loop/${hops}?from=${encodeURIComponent(req.url ?? "")}`.slice(0, 200) });
      res.end();
    });
    const began = Date.now();
    const results = await run("loop.example.test", { A: ["127.0.0.1"] }, ports);
    const test = result(results, "web.security-txt");
    assert.equal(test.status, "error");
    assert.match(test.summary, /more than 10 redirects/);
    assert.equal(hops, 22, "11 answers for each of the two paths");
    assert.equal(result(results, "web.hsts").status, "passed");
    assert.ok(Date.now() - began < 3000);
  });

  it("cut a 50 MB security.txt at 100 KiB, quickly", async () => {
    let sent = 0;
    const ports = await siteWithSecurityTxt((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      const line = Buffer.from(`Contact: mailto:security@example.test\n`.repeat(1700));
      const pump = (): void => {
        while (sent < 50 * 1024 * 1024 && !res.destroyed) {
          sent += line.length;
          if (!res.write(line)) {
            res.once("drain", pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const began = Date.now();
    const results = await run("huge.example.test", { A: ["127.0.0.1"] }, ports);
    const test = result(results, "web.security-txt");
    assert.equal(test.status, "failed");
    assert.match(test.summary, /larger than 100 KiB; reading stopped there/);
    assert.deepEqual((onlyAddress(test).fields as unknown[]).length, 32, "the complete lines read are parsed (evidence capped at 32 fields)");
    assert.equal(onlyAddress(test).bytesRead, 100 * 1024);
    assert.ok(Date.now() - began < 2000, `took ${Date.now() - began} ms`);
    assert.ok(sent < 20 * 1024 * 1024, `the server got to send ${sent} bytes`);
  });

  it("report invalid UTF-8 in security.txt by line, and the legacy location as an error", async () => {
    const ports = await siteWithSecurityTxt((req, res) => {
      if (req.url !== "/security.txt") { serve(res, 404, {}, ""); return; }
      serve(res, 200, { "content-type": "text/plain; charset=utf-8" }, Buffer.concat([Buffer.from(`${SECURITY_TXT}# Caf`), Buffer.from([0xc3, 0x28, 0x0a])]));
    });
    const results = await run("utf8.example.test", { A: ["127.0.0.1"] }, ports);
    const test = result(results, "web.security-txt");
    assert.equal(test.status, "failed");
    assert.equal(test.summary, "security.txt has 2 errors: found at /security.txt only; RFC 9116 requires /.well-known/security.txt");
    assert.deepEqual(onlyAddress(test).errors, ["found at /security.txt only; RFC 9116 requires /.well-known/security.txt", "line 5: not valid UTF-8"]);
  });

  it("end in bounded errors for a silent HTTPS server while the other checks still answer", async () => {
    const silent = await start(() => rawServer(() => undefined), false);
    const plain = await start(() => httpServer(redirector(() => `silent.example.test:${silent}`)), false);
    const began = Date.now();
    const results = await run("silent.example.test", { A: ["127.0.0.1"] }, { http: plain, https: silent }, { timeoutMs: 800 });
    assert.ok(Date.now() - began < 3000, `took ${Date.now() - began} ms`);
    assert.equal(result(results, "web.https.available").status, "failed");
    assert.match(result(results, "web.https.available").summary, /no complete answer within 800 ms \(connected\)/);
    // The redirect itself is right, but there is no HTTPS to force (internet.nl's rule).
    assert.equal(result(results, "web.https.redirect").summary, "HTTPS does not answer, so HTTP cannot redirect to it");
    assert.equal(result(results, "web.hsts").status, "not_tested");
    assert.equal(result(results, "web.security-txt").status, "error");
  });

  it("end at the domain's deadline, before the per-step timeout", async () => {
    const silent = await start(() => rawServer(() => undefined), false);
    const began = Date.now();
    const results = await run("slow.example.test", { A: ["127.0.0.1"] }, { http: silent, https: silent }, { timeoutMs: 10_000, domainDeadlineMs: 300 });
    assert.ok(Date.now() - began < 1500, `took ${Date.now() - began} ms`);
    assert.equal(result(results, "web.hsts").status, "error");
    assert.match(result(results, "web.hsts").summary, /deadline of 300 ms passed/);
  });

  it("fail HTTPS with a 10 MB header or garbage instead of TLS, each with its reason", async () => {
    if (!certificate) return;
    const big = await start(() => tlsRawServer(certificate, (socket) => {
      socket.once("data", () => socket.write(`HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(10 * 1024 * 1024)}\r\n\r\n`));
    }), false);
    const garbage = await start(() => rawServer((socket) => socket.once("data", () => socket.end("garbage, not a TLS record\r\n".repeat(10)))), false);
    const [bigResults, garbageResults] = await Promise.all([
      run("big.example.test", { A: ["127.0.0.1"] }, { http: big, https: big }),
      run("garbage.example.test", { A: ["127.0.0.1"] }, { http: garbage, https: garbage }),
    ]);
    assert.match(result(bigResults, "web.https.available").summary, /response headers exceed 32 KiB/);
    assert.match(result(garbageResults, "web.https.available").summary, /TLS handshake failed \(wrong version number\)$/);
  });
});
