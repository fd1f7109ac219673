// The web lab's scripted TLS answers and hostile servers
// (lab/net/hostile-server.ts), started on 127.0.0.1 with free ports and read
// with Baseline's own ClientHello builder and ServerHello reader: compression
// chosen when offered, no renegotiation_info, an X25519MLKEM768 key share or
// a HelloRetryRequest for it, a fatal alert after the ServerHello, garbage,
// silence and one header byte a second. Fast; needs nothing but Node.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startHostileServers } from "../../lab/net/hostile-server.ts";
import { buildClientHello, GROUP, TLS12, TLS13 } from "../../src/tls/client-hello.ts";
import { readServerAnswer, type ServerAnswer } from "../../src/tls/server-hello.ts";

const MODES = ["compression", "no-secure-reneg", "pq", "alert-tls", "garbage-tls", "silent", "slow-headers"];
const ECDHE_ECDSA_AES128_GCM = 0xc02b;
const TLS_AES_128_GCM = 0x1301;

let ports = new Map<string, { http: number | null; https: number }>();
let close = (): void => undefined;
const pki = mkdtempSync(join(tmpdir(), "web-lab-hostile-"));

/** Sends `hello` to the host's 443 and collects what comes back until the server closes or `ms` pass. */
function exchange(mode: string, hello: Buffer | null, ms = 1500): Promise<Buffer> {
  const port = ports.get(mode)?.https ?? 0;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(done, ms);
    socket.on("connect", () => {
      if (hello) socket.write(hello);
    });
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", done);
    socket.on("error", reject);
  });
}

function answer(bytes: Buffer): ServerAnswer {
  return readServerAnswer(bytes);
}

describe("web lab: scripted TLS and hostile servers", () => {
  before(async () => {
    // The HTTP modes complete a TLS handshake on 443: a throw-away certificate.
    const made = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(pki, "key.pem"),
      "-out", join(pki, "cert.pem"), "-subj", "/CN=hostile.test", "-days", "1"], { encoding: "utf8" });
    assert.equal(made.status, 0, made.stderr);
    const started = await startHostileServers({
      hosts: MODES.map((mode) => ({ name: mode, kind: "hostile", mode, address: "127.0.0.1", cert: join(pki, "cert.pem"), key: join(pki, "key.pem"), httpPort: 0, httpsPort: 0 })),
    });
    ports = started.ports;
    close = started.close;
  });
  after(() => {
    close();
    rmSync(pki, { recursive: true, force: true });
  });

  it("compression: chooses DEFLATE when offered, null otherwise; keeps renegotiation_info", async () => {
    const offered = answer(await exchange("compression", buildClientHello({ version: TLS12, suites: [ECDHE_ECDSA_AES128_GCM], compressionMethods: [1, 0] }).record));
    assert.ok(offered.kind === "server-hello", offered.kind);
    assert.equal(offered.hello.compression, 1);
    assert.equal(offered.hello.secureRenegotiation, true);
    const plain = answer(await exchange("compression", buildClientHello({ version: TLS12, suites: [ECDHE_ECDSA_AES128_GCM] }).record));
    assert.ok(plain.kind === "server-hello");
    assert.equal(plain.hello.compression, 0);
  });

  it("no-secure-reneg: a TLS 1.2 ServerHello without renegotiation_info", async () => {
    const reply = answer(await exchange("no-secure-reneg", buildClientHello({ version: TLS12, suites: [ECDHE_ECDSA_AES128_GCM] }).record));
    assert.ok(reply.kind === "server-hello");
    assert.equal(reply.hello.cipherSuite, ECDHE_ECDSA_AES128_GCM);
    assert.equal(reply.hello.secureRenegotiation, false);
  });

  it("pq: selects X25519MLKEM768 when shared, asks for it when only offered, else X25519", async () => {
    const mlkem = GROUP.x25519mlkem768;
    const shared = answer(await exchange("pq", buildClientHello({ version: TLS13, suites: [TLS_AES_128_GCM], groups: [mlkem, GROUP.x25519], keyShares: [mlkem] }).record));
    assert.ok(shared.kind === "server-hello");
    assert.equal(shared.hello.version, TLS13);
    assert.equal(shared.hello.keyShareGroup, mlkem);
    const asked = answer(await exchange("pq", buildClientHello({ version: TLS13, suites: [TLS_AES_128_GCM], groups: [GROUP.x25519, mlkem], keyShares: [GROUP.x25519] }).record));
    assert.ok(asked.kind === "hello-retry-request", asked.kind);
    assert.equal(asked.hello.keyShareGroup, mlkem);
    const classic = answer(await exchange("pq", buildClientHello({ version: TLS13, suites: [TLS_AES_128_GCM], groups: [GROUP.x25519] }).record));
    assert.ok(classic.kind === "server-hello");
    assert.equal(classic.hello.keyShareGroup, GROUP.x25519);
  });

  it("alert-tls: a ServerHello, then a fatal internal_error", async () => {
    const bytes = await exchange("alert-tls", buildClientHello({ version: TLS12, suites: [ECDHE_ECDSA_AES128_GCM] }).record);
    assert.equal(answer(bytes).kind, "server-hello");
    assert.deepEqual([...bytes.subarray(bytes.length - 7)], [21, 3, 3, 0, 2, 2, 80]);
  });

  it("garbage-tls: not TLS at all", async () => {
    const reply = answer(await exchange("garbage-tls", buildClientHello({ version: TLS12, suites: [ECDHE_ECDSA_AES128_GCM] }).record));
    assert.equal(reply.kind, "not-tls");
  });

  it("silent: accepts and says nothing", async () => {
    const bytes = await exchange("silent", buildClientHello({ version: TLS12, suites: [ECDHE_ECDSA_AES128_GCM] }).record, 700);
    assert.equal(bytes.length, 0);
  });

  it("slow-headers on port 80: a status line, then one byte a second", async () => {
    const port = ports.get("slow-headers")?.http ?? 0;
    const received = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port }, () => socket.write("GET / HTTP/1.1\r\nHost: slow-headers\r\n\r\n"));
      let text = "";
      socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
      socket.on("error", reject);
      setTimeout(() => {
        socket.destroy();
        resolve(text);
      }, 1300);
    });
    assert.match(received, /^HTTP\/1\.1 200 OK\r\nX-Slow: a{1,2}$/);
  });
});
