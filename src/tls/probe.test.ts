import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { suiteByCode, suiteByName } from "./cipher-suites.ts";
import { GROUP, SSL3, TLS10, TLS11, TLS12, TLS13 } from "./client-hello.ts";
import { acceptedSuites, acceptedVersions, MAX_SUITES_PER_HELLO, offer, suitesFor } from "./probe.ts";

/** How many hellos the table of this version takes, one refusal each at least. */
function chunkCount(version: number): number {
  return Math.ceil(suitesFor(version).length / MAX_SUITES_PER_HELLO);
}

function hasOpenSsl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const OPENSSL = hasOpenSsl();
const SKIP = OPENSSL ? false : "openssl is not installed (scripts/system-deps.sh installs it)";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.on("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

/** Starts `openssl s_server` on 127.0.0.1 and resolves once it accepts connections. */
async function startServer(dir: string, args: string[]): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    "openssl",
    ["s_server", "-accept", `127.0.0.1:${port}`, "-cert", join(dir, "cert.pem"), "-key", join(dir, "key.pem"), "-www", ...args],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  children.push(child);
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  // Ready when the port takes connections; s_server prints nothing dependable before that.
  for (const deadline = Date.now() + 5000; ; ) {
    if (child.exitCode !== null) throw new Error(`openssl s_server exited with ${child.exitCode}: ${stderr}`);
    if (await accepts(port)) break;
    if (Date.now() > deadline) throw new Error(`openssl s_server did not start: ${stderr}`);
    await sleep(50);
  }
  return { port, child };
}

const children: ChildProcess[] = [];
let dir = "";

describe("raw prober against openssl s_server (lab)", { skip: SKIP, timeout: 20_000 }, () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "baseline-tls-"));
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=lab.test", "-days", "1",
        "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
      { stdio: "ignore" },
    );
  });

  after(() => {
    for (const child of children) child.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("finds exactly TLS 1.2 with its two ECDSA suites on a TLS 1.2-only server", async () => {
    const { port } = await startServer(dir, ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305"]);
    const versions = await acceptedVersions("127.0.0.1", port, { servername: "lab.test", timeoutMs: 3000 });
    assert.deepEqual(versions, { versions: [TLS12], errors: [] });
    const suites = await acceptedSuites("127.0.0.1", port, TLS12, { servername: "lab.test", timeoutMs: 3000 });
    assert.equal(suites.error, null);
    assert.deepEqual(
      [...suites.suites].sort((a, b) => a - b),
      [suiteByName("ECDHE-ECDSA-AES128-GCM-SHA256")?.code, suiteByName("ECDHE-ECDSA-CHACHA20-POLY1305")?.code].map(Number).sort((a, b) => a - b),
    );
    // Two acceptances, one refusal per chunk, and the two preference passes (s_server follows the client's order by default).
    assert.equal(suites.serverPreference, false);
    assert.equal(suites.handshakes, 2 + chunkCount(TLS12) + 2);
    const hello = await offer("127.0.0.1", port, { version: TLS12, suites: [0xc02b], servername: "lab.test" });
    assert.ok("accepted" in hello, JSON.stringify(hello));
    assert.ok(hello.accepted.hello.secureRenegotiation, "OpenSSL answers renegotiation_info");
    assert.ok(hello.accepted.hello.extendedMasterSecret, "OpenSSL answers extended_master_secret");
    const refused = await offer("127.0.0.1", port, { version: TLS12, suites: [0x000a, 0x0005], servername: "lab.test" });
    assert.ok("refused" in refused && refused.refused.alert?.name === "handshake_failure", JSON.stringify(refused));
  });

  it("finds exactly TLS 1.3 with its configured suites on a TLS 1.3-only server", async () => {
    const { port } = await startServer(dir, ["-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"]);
    const versions = await acceptedVersions("127.0.0.1", port, { servername: "lab.test", timeoutMs: 3000 });
    assert.deepEqual(versions, { versions: [TLS13], errors: [] });
    const suites = await acceptedSuites("127.0.0.1", port, TLS13, { servername: "lab.test", timeoutMs: 3000 });
    assert.equal(suites.error, null);
    assert.deepEqual([...suites.suites].sort((a, b) => a - b), [0x1302, 0x1303]);
  });

  it("finds TLS 1.0, 1.1 and 1.2 with CBC suites, in the server's preference order when it enforces one", async () => {
    // SECLEVEL=0 lets Debian's OpenSSL 3 speak TLS 1.0 and 1.1; the server's order is the reverse of code point order.
    const { port } = await startServer(dir, [
      "-min_protocol", "TLSv1", "-max_protocol", "TLSv1.2", "-serverpref",
      "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0",
    ]);
    const options = { servername: "lab.test", timeoutMs: 3000 };
    assert.deepEqual(await acceptedVersions("127.0.0.1", port, options), { versions: [TLS10, TLS11, TLS12], errors: [] });
    const tls12 = await acceptedSuites("127.0.0.1", port, TLS12, options);
    assert.deepEqual(tls12.suites, [0xc02c, 0xc009], "server order, not the offer's code point order");
    assert.equal(tls12.serverPreference, true);
    assert.ok(tls12.handshakes <= 2 + chunkCount(TLS12) + 2, `${tls12.handshakes} handshakes`);
    // GCM needs TLS 1.2 (RFC 5288 §4), so older versions get the CBC suite only.
    const tls10 = await acceptedSuites("127.0.0.1", port, TLS10, options);
    assert.deepEqual(tls10.suites, [0xc009]);
    const cbc = suiteByCode(0xc009);
    assert.ok(cbc?.cbc);
  });

  it("enumerates exactly the suites OpenSSL itself lists for an ECDSA server offering ALL, per version", async () => {
    const { port } = await startServer(dir, ["-min_protocol", "TLSv1", "-cipher", "ALL:@SECLEVEL=0"]);
    const options = { servername: "lab.test", timeoutMs: 3000 };
    assert.deepEqual(await acceptedVersions("127.0.0.1", port, options), { versions: [TLS10, TLS11, TLS12, TLS13], errors: [] });
    for (const [version, flag] of [[TLS10, "-tls1"], [TLS12, "-tls1_2"]] as const) {
      // The oracle: what this OpenSSL serves at that version with an ECDSA key, plus the anonymous (EC)DH suites ALL includes.
      const listing = execFileSync("openssl", ["ciphers", "-V", "-s", flag, "ALL:@SECLEVEL=0"], { encoding: "utf8" });
      const expected = listing
        .split("\n")
        .filter((line) => /Au=(ECDSA|None)/.test(line) && /Kx=(ECDH|DH) /.test(line) && !line.includes("TLSv1.3"))
        .map((line) => {
          const match = /0x([0-9A-F]{2}),0x([0-9A-F]{2})/.exec(line);
          return match?.[1] && match[2] ? Number.parseInt(match[1] + match[2], 16) : -1;
        })
        .sort((a, b) => a - b);
      assert.ok(expected.length >= 8, `oracle listed only ${expected.length} suites`);
      const found = await acceptedSuites("127.0.0.1", port, version, options);
      assert.equal(found.error, null);
      assert.deepEqual([...found.suites].sort((a, b) => a - b), expected, `suites at ${flag}`);
      // One handshake per suite found, one refusal per chunk, two preference passes: few for the whole IANA table.
      assert.ok(found.handshakes <= expected.length + chunkCount(version) + 2, `${found.handshakes} handshakes for ${expected.length} suites`);
      assert.equal(found.serverPreference, false);
    }
  });

  it("counts a HelloRetryRequest as acceptance and names the group the server asked for", async () => {
    const { port } = await startServer(dir, ["-tls1_3", "-groups", "P-384"]);
    const result = await offer("127.0.0.1", port, { version: TLS13, suites: [0x1302, 0x1301], servername: "lab.test" });
    assert.ok("accepted" in result, JSON.stringify(result));
    assert.equal(result.accepted.helloRetry, true);
    assert.equal(result.accepted.hello.keyShareGroup, GROUP.secp384r1);
    assert.equal(result.accepted.version, TLS13);
  });

  it("reports a closed port and a silent server as errors, not as refusals", async () => {
    const closed = await offer("127.0.0.1", await freePort(), { version: TLS12, suites: [0xc02b], timeoutMs: 2000 });
    assert.ok("error" in closed && /cannot connect to 127\.0\.0\.1:\d+: ECONNREFUSED/.test(closed.error), JSON.stringify(closed));
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = silent.address();
    assert.ok(address !== null && typeof address !== "string");
    const started = Date.now();
    const result = await offer("127.0.0.1", address.port, { version: TLS12, suites: [0xc02b], timeoutMs: 300 });
    silent.close();
    silent.unref();
    assert.ok("error" in result && /no answer from .* within 300 ms/.test(result.error), JSON.stringify(result));
    assert.ok(Date.now() - started < 2000);
  });
});

describe("raw prober against hostile and broken servers", () => {
  const servers: Server[] = [];
  after(() => {
    for (const server of servers) server.close();
  });

  /** A loopback TCP server that does `onConnection` with each client. */
  async function serve(onConnection: (socket: Socket) => void): Promise<number> {
    const server = createServer(onConnection);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    return address.port;
  }

  const hello = { version: TLS12, suites: [0xc02b], timeoutMs: 2000 };

  it("names garbage instead of TLS as an error with what came", async () => {
    const port = await serve((socket) => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
    const result = await offer("127.0.0.1", port, hello);
    assert.ok("error" in result && /did not answer TLS: record type 72 .*"HTTP\/1\.1"/.test(result.error), JSON.stringify(result));
  });

  it("calls a connection closed without an answer a refusal", async () => {
    const port = await serve((socket) => {
      socket.once("data", () => socket.end());
    });
    assert.deepEqual(await offer("127.0.0.1", port, hello), { refused: { alert: null, reason: "connection closed without a ServerHello" } });
  });

  it("stops reading a server that streams handshake records without a hello at the byte cap", async () => {
    let written = 0;
    const port = await serve((socket) => {
      const empty = Buffer.alloc(13_107 * 5); // 13,107 empty handshake records
      for (let i = 0; i < empty.length; i += 5) empty.set([22, 3, 3, 0, 0], i);
      const pump = () => {
        while (!socket.destroyed && written < 8 * 1024 * 1024 && socket.write(empty)) written += empty.length;
      };
      socket.on("drain", pump);
      socket.on("error", () => undefined);
      pump();
    });
    const result = await offer("127.0.0.1", port, { ...hello, maxBytes: 4096 });
    assert.ok("error" in result && /no complete ServerHello within 4096 bytes/.test(result.error), JSON.stringify(result));
    assert.ok(written < 8 * 1024 * 1024, "the prober hung up instead of reading everything");
  });

  it("reports an answer that picks a suite it was not offered as an error", async () => {
    const body = Buffer.concat([Buffer.from([3, 3]), Buffer.alloc(32, 1), Buffer.from([0, 0x00, 0x05, 0])]);
    const message = Buffer.concat([Buffer.from([2, 0, 0, body.length]), body]);
    const port = await serve((socket) => {
      socket.once("data", () => socket.end(Buffer.concat([Buffer.from([22, 3, 3, 0, message.length]), message])));
    });
    const result = await offer("127.0.0.1", port, hello);
    assert.ok("error" in result && /chose cipher suite 0x0005, which was not offered/.test(result.error), JSON.stringify(result));
  });
});

/**
 * A scripted server for what Debian's OpenSSL cannot serve (SSLv3, RC4, 3DES):
 * it reads the ClientHello and answers as a server with these versions and this
 * suite preference would, with a hand-built ServerHello or alert.
 */
function scriptedServer(versions: readonly number[], preference: readonly number[], maxSuites = Infinity): (socket: Socket) => void {
  return (socket) => {
    let received = Buffer.alloc(0);
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 5 || received.length < 5 + received.readUInt16BE(3)) return;
      const clientVersion = received.readUInt16BE(9);
      const sessionIdLength = received.readUInt8(43);
      const suitesAt = 44 + sessionIdLength;
      const offered = new Set<number>();
      for (let i = 0; i < received.readUInt16BE(suitesAt); i += 2) offered.add(received.readUInt16BE(suitesAt + 2 + i));
      // An intolerant server: resets instead of answering a hello with a long suite list.
      if (offered.size > maxSuites) {
        socket.resetAndDestroy();
        return;
      }
      const alert = (description: number) => Buffer.from([21, 3, 0, 0, 2, 2, description]);
      if (!versions.includes(clientVersion)) {
        socket.end(alert(70));
        return;
      }
      const chosen = preference.find((suite) => offered.has(suite));
      if (chosen === undefined) {
        socket.end(alert(40));
        return;
      }
      const body = Buffer.concat([Buffer.from([clientVersion >> 8, clientVersion & 0xff]), Buffer.alloc(32, 5), Buffer.from([0, chosen >> 8, chosen & 0xff, 0])]);
      const message = Buffer.concat([Buffer.from([2, 0, 0, body.length]), body]);
      socket.end(Buffer.concat([Buffer.from([22, 3, 0, 0, message.length]), message]));
    });
  };
}

describe("raw prober against a scripted SSLv3 server (what OpenSSL cannot serve)", () => {
  let server: Server | null = null;
  after(() => server?.close());

  it("finds SSLv3 and TLS 1.0 with RC4 and 3DES, in the server's order", async () => {
    server = createServer(scriptedServer([SSL3, TLS10], [0x0005, 0x000a]));
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    assert.ok(address !== null && typeof address !== "string");
    const options = { timeoutMs: 2000 };
    assert.deepEqual(await acceptedVersions("127.0.0.1", address.port, options), { versions: [SSL3, TLS10], errors: [] });
    const ssl3 = await acceptedSuites("127.0.0.1", address.port, SSL3, options);
    // Two acceptances, one refusal per chunk, two preference passes; the forward pass already names the top suite.
    assert.deepEqual(ssl3, { suites: [0x0005, 0x000a], serverPreference: true, handshakes: 2 + chunkCount(SSL3) + 2, error: null });
    assert.ok(suiteByCode(0x0005)?.rc4 && suiteByCode(0x000a)?.tripleDes);
  });
});

describe("suite enumeration against a server that resets long suite lists (issue 9)", () => {
  let server: Server | null = null;
  after(() => server?.close());

  it("finds every suite, in the server's order, by halving the chunks the server reset", async () => {
    // Spread over the table's chunks, so each chunk must be split to be answered at all.
    const preference = [0xc030, 0x0005, 0xcca8, 0x009c, 0x000a, 0xc013];
    server = createServer(scriptedServer([TLS12], preference, 20));
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    assert.ok(address !== null && typeof address !== "string");
    const whole = await offer("127.0.0.1", address.port, { version: TLS12, suites: suitesFor(TLS12), timeoutMs: 2000 });
    assert.ok("refused" in whole && whole.refused.reason === "connection reset without a ServerHello", JSON.stringify(whole));
    const found = await acceptedSuites("127.0.0.1", address.port, TLS12, { timeoutMs: 2000 });
    assert.equal(found.error, null);
    assert.deepEqual(found.suites, preference);
    assert.equal(found.serverPreference, true);
    // 31 today: 7 to halve the first chunk down to 16, then chunks of 16, six acceptances, two preference passes and four to order.
    assert.ok(found.handshakes <= 32, `${found.handshakes} handshakes`);
  });
});
