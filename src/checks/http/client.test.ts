import assert from "node:assert/strict";
import https from "node:https";
import type { Server } from "node:net";
import { after, before, describe, it } from "node:test";
import { httpExchange, HttpProbeError, type HttpRequest } from "./client.ts";
import { httpServer, httpsServer, rawServer, serverPair, testCertificate, type ServerPair } from "./test-support.ts";

const certificate = testCertificate();

function request(port: number, overrides: Partial<HttpRequest> = {}): HttpRequest {
  return { scheme: "http", host: "www.example.test", address: "127.0.0.1", port, path: "/", bodyLimit: 1024 * 1024, timeoutMs: 1500, ...overrides };
}

async function failure(pending: Promise<unknown>): Promise<HttpProbeError> {
  try {
    await pending;
  } catch (error) {
    assert.ok(error instanceof HttpProbeError, `expected HttpProbeError, got ${String(error)}`);
    return error;
  }
  assert.fail("the exchange should have failed");
}

describe("httpExchange", () => {
  const pairs: ServerPair[] = [];
  after(() => Promise.all(pairs.map((pair) => pair.close())));
  const start = async (pair: Promise<ServerPair>): Promise<number> => {
    const started = await pair;
    pairs.push(started);
    return started.port;
  };

  it("sends the name as Host and SNI to the given address (IPv4 and IPv6), ALPN http/1.1, no certificate check", { skip: certificate ? false : "openssl is missing" }, async () => {
    if (!certificate) return;
    const seen: string[] = [];
    const port = await start(serverPair(() => httpsServer(certificate, (req, res) => {
      seen.push(`${req.headers.host ?? ""} ${(req.socket as unknown as { servername?: string | false }).servername || ""} ${req.socket.localAddress ?? ""} ${req.headers["accept-encoding"] ?? ""}`);
      res.end("hello");
    })));
    const v4 = await httpExchange(request(port, { scheme: "https" }));
    const v6 = await httpExchange(request(port, { scheme: "https", address: "::1" }));
    assert.equal(v4.body.toString(), "hello");
    assert.equal(v6.status, 200);
    assert.match(v4.tls?.protocol ?? "", /TLSv1\.[23]/);
    assert.equal(v4.tls?.alpn, "http/1.1");
    assert.deepEqual(seen, [`www.example.test:${port} www.example.test 127.0.0.1 identity`, `www.example.test:${port} www.example.test ::1 identity`]);
    assert.equal(v6.url, `https://www.example.test:${port}/`);
  });

  it("reaches a TLS 1.0-only server with a legacy suite, so its headers can still be judged", { skip: certificate ? false : "openssl is missing" }, async () => {
    if (!certificate) return;
    const legacy = (): Server => https.createServer({ key: certificate.key, cert: certificate.cert, minVersion: "TLSv1", maxVersion: "TLSv1", ciphers: "ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0" }, (req, res) => res.end("old"));
    const port = await start(serverPair(legacy, false));
    const response = await httpExchange(request(port, { scheme: "https" }));
    assert.equal(response.body.toString(), "old");
  });

  it("stops reading a 50 MB body at the cap and closes the connection", async () => {
    let sent = 0;
    const port = await start(serverPair(() => httpServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = (): void => {
        while (sent < 50 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once("drain", pump);
            return;
          }
        }
        res.end();
      };
      res.on("close", () => res.removeAllListeners("drain"));
      pump();
    }), false));
    const began = Date.now();
    const response = await httpExchange(request(port, { bodyLimit: 100 * 1024 }));
    assert.equal(response.body.length, 100 * 1024);
    assert.equal(response.bodyTruncated, true);
    assert.ok(Date.now() - began < 1000, `took ${Date.now() - began} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(sent < 20 * 1024 * 1024, `the server got to send ${sent} bytes`);
  });

  it("returns at the headers when asked for headers only, however much body follows", async () => {
    const port = await start(serverPair(() => rawServer((socket) => {
      socket.once("data", () => {
        socket.write("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 99999999\r\n\r\n");
        const timer = setInterval(() => socket.write(Buffer.alloc(1024)), 5);
        socket.on("close", () => clearInterval(timer));
      });
    }), false));
    const response = await httpExchange(request(port, { bodyLimit: 0, acceptEncoding: "gzip, br" }));
    assert.equal(response.status, 200);
    assert.deepEqual(response.headers, [["content-encoding", "gzip"], ["content-length", "99999999"]]);
    assert.equal(response.body.length, 0);
    assert.equal(response.bodyTruncated, true);
    await new Promise((resolve) => setTimeout(resolve, 50));
  });

  it("times out a server that accepts and stays silent", async () => {
    const port = await start(serverPair(() => rawServer(() => undefined), false));
    const began = Date.now();
    const error = await failure(httpExchange(request(port, { timeoutMs: 400 })));
    assert.equal(error.kind, "timeout");
    assert.equal(error.connected, true);
    assert.match(error.message, /no complete answer within 400 ms \(connected\)/);
    assert.ok(Date.now() - began < 1000);
  });

  it("times out headers sent one byte per second", async () => {
    const port = await start(serverPair(() => rawServer((socket) => {
      const text = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
      let at = 0;
      const timer = setInterval(() => {
        if (at < text.length && !socket.destroyed) socket.write(text[at++] ?? "");
      }, 1000);
      socket.on("close", () => clearInterval(timer));
    }), false));
    const began = Date.now();
    const error = await failure(httpExchange(request(port, { timeoutMs: 1200 })));
    assert.equal(error.kind, "timeout");
    assert.ok(Date.now() - began < 2000);
  });

  it("refuses a 10 MB header at the header cap", async () => {
    let written = 0;
    const port = await start(serverPair(() => rawServer((socket) => {
      socket.once("data", () => {
        socket.write("HTTP/1.1 200 OK\r\nX-Big: ");
        const chunk = "a".repeat(64 * 1024);
        const pump = (): void => {
          while (written < 10 * 1024 * 1024 && !socket.destroyed) {
            written += chunk.length;
            if (!socket.write(chunk)) {
              socket.once("drain", pump);
              return;
            }
          }
        };
        pump();
      });
    }), false));
    const began = Date.now();
    const error = await failure(httpExchange(request(port)));
    assert.equal(error.kind, "headers-too-large");
    assert.match(error.message, /exceed 32 KiB/);
    assert.ok(Date.now() - began < 1000);
  });

  it("reports garbage instead of TLS as a TLS failure", async () => {
    const port = await start(serverPair(() => rawServer((socket) => {
      socket.once("data", () => socket.end("this is not TLS at all, just some text\r\n".repeat(20)));
    }), false));
    const error = await failure(httpExchange(request(port, { scheme: "https" })));
    assert.equal(error.kind, "tls");
    assert.match(error.message, /TLS handshake failed/);
  });

  it("reports garbage instead of HTTP as a protocol failure", async () => {
    const port = await start(serverPair(() => rawServer((socket) => {
      socket.once("data", () => socket.end("SSH-2.0-OpenSSH_9.6\r\n"));
    }), false));
    const error = await failure(httpExchange(request(port)));
    assert.equal(error.kind, "protocol");
  });

  it("retries once after a connection reset, not more", async () => {
    let connections = 0;
    let resets = 1;
    const port = await start(serverPair(() => rawServer((socket) => {
      connections++;
      if (resets-- > 0) {
        socket.resetAndDestroy();
        return;
      }
      socket.once("data", () => socket.end("HTTP/1.1 204 No Content\r\n\r\n"));
    }), false));
    const response = await httpExchange(request(port));
    assert.equal(response.status, 204);
    assert.equal(connections, 2);

    connections = 0;
    resets = 10;
    const error = await failure(httpExchange(request(port)));
    assert.equal(error.kind, "reset");
    assert.equal(connections, 2);
  });

  it("reports a refused connection as not connected", async () => {
    const port = await start(serverPair(() => rawServer(() => undefined), false));
    const closed = pairs.pop();
    await closed?.close();
    const error = await failure(httpExchange(request(port)));
    assert.equal(error.kind, "refused");
    assert.equal(error.connected, false);
  });

  describe("with the abort signal", () => {
    let port = 0;
    before(async () => {
      port = await start(serverPair(() => rawServer(() => undefined), false));
    });
    it("stops at once when the domain's deadline passes", async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error("the domain's deadline of 100 ms passed")), 100);
      const began = Date.now();
      const error = await failure(httpExchange(request(port, { timeoutMs: 5000, signal: controller.signal })));
      assert.equal(error.kind, "aborted");
      assert.match(error.message, /deadline of 100 ms/);
      assert.ok(Date.now() - began < 1000);
    });
  });
});
