// The web lab's misbehaving servers, one process for all of them (started by
// lab/net/start.sh with run/hostile.json). Each host has its own loopback
// address and misbehaves on port 443 (and where it says so on port 80; else
// port 80 redirects to https). Two kinds:
//
// - hostile: what a careless or malicious web server does to a client
//   (silence, endless slow headers, endless redirects, a 10 MB header,
//   garbage or an alert instead of a TLS handshake, a 50 MB security.txt,
//   invalid UTF-8);
// - script: a hand-written TLS ServerHello for what Debian's OpenSSL cannot
//   serve (TLS compression, no renegotiation_info, a post-quantum hybrid key
//   share). It answers the first ClientHello and closes: enough for a prober
//   that reads the ServerHello, nothing more.
//
// TypeScript run by Node directly (type stripping, Node 22.18 or newer), with
// no dependencies: the lab does not depend on Baseline's code (its test,
// test/lab/web-lab-hostile.test.ts, reads these answers with Baseline's parser).
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { fileURLToPath } from "node:url";

export interface HostileHost {
  name: string;
  /** hostile: HTTP/TLS misbehaviour on 80 and 443; script: scripted TLS on 443 only. */
  kind: "hostile" | "script";
  mode: string;
  address: string;
  /** Certificate chain and key (PEM files) for the modes that complete a TLS handshake. */
  cert: string;
  key: string;
  /** Ports (default 80 and 443; 0 for any free port, in tests). */
  httpPort?: number;
  httpsPort?: number;
}

export interface HostileConfig {
  pidFile?: string;
  hosts: HostileHost[];
}

interface ClientHelloFacts {
  sessionId: Buffer;
  suites: number[];
  compressions: number[];
  versions: number[];
  groups: number[];
  shares: number[];
}

const MB = 1024 * 1024;
const sockets = new Set<Socket>();

function track(socket: Socket): void {
  sockets.add(socket);
  socket.on("close", () => sockets.delete(socket));
  socket.on("error", () => socket.destroy());
  // Nothing here lasts: a client that never gives up is cut after 5 minutes.
  socket.setTimeout(300_000, () => socket.destroy());
}

function listen(server: Server, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: address, port }, () => {
      const bound = server.address();
      resolve(typeof bound === "object" && bound !== null ? bound.port : port);
    });
  });
}

// ------------------------------------------------------------- HTTP answers

const PAGE = "<!doctype html><title>hostile</title><p>Baseline web lab: a hostile server.</p>\n";

/** Writes `total` bytes of `chunk` repeated, respecting back-pressure. */
function stream(socket: Socket, chunk: Buffer, total: number, end: () => void): void {
  let sent = 0;
  const pump = (): void => {
    while (sent < total) {
      sent += chunk.length;
      if (!socket.write(chunk)) {
        socket.once("drain", pump);
        return;
      }
    }
    end();
  };
  pump();
}

/** Answers one HTTP request on a raw (plain or TLS) socket by mode. */
function answerHttp(host: HostileHost, socket: Socket, request: string, secure: boolean): void {
  const path = /^[A-Z]+ (\S+)/.exec(request)?.[1] ?? "/";
  const mode = host.mode;
  if (!secure && !["slow-headers", "huge-header", "redirect-loop"].includes(mode)) {
    socket.end(`HTTP/1.1 301 Moved Permanently\r\nLocation: https://${host.name}${path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    return;
  }
  switch (mode) {
    case "slow-headers": {
      // A status line, then one header byte per second, never ending.
      socket.write("HTTP/1.1 200 OK\r\nX-Slow: ");
      const timer = setInterval(() => socket.write("a"), 1000);
      socket.on("close", () => clearInterval(timer));
      return;
    }
    case "huge-header": {
      socket.write("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Huge: ");
      stream(socket, Buffer.alloc(64 * 1024, "a"), 10 * MB, () => {
        socket.end(`\r\nContent-Length: ${PAGE.length}\r\nConnection: close\r\n\r\n${PAGE}`);
      });
      return;
    }
    case "redirect-loop": {
      // Every answer a redirect to the next numbered path of the same host.
      const next = (Number(/^\/(\d+)/.exec(path)?.[1] ?? 0) + 1).toString();
      socket.end(`HTTP/1.1 301 Moved Permanently\r\nLocation: https://${host.name}/${next}\r\nStrict-Transport-Security: max-age=31536000\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    case "huge-security-txt":
    case "bad-utf8": {
      if (path === "/.well-known/security.txt" || path === "/security.txt") {
        if (mode === "bad-utf8") {
          const expires = new Date(Date.now() + 180 * 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");
          // 0xC3 0x28 is an invalid two-byte sequence, 0xC0 0xAF an overlong "/", 0xFF never occurs in UTF-8.
          const body = Buffer.concat([
            Buffer.from(`Contact: mailto:security@bad-utf8.web.secure\nExpires: ${expires}\nComment: `),
            Buffer.from([0xc3, 0x28, 0xc0, 0xaf, 0xff, 0xfe]),
            Buffer.from("\n"),
          ]);
          socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]));
          return;
        }
        socket.write(`HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${50 * MB}\r\nConnection: close\r\n\r\n`);
        const line = Buffer.from(`${"Comment: a security.txt of fifty megabytes, one line after another. ".padEnd(1023, "x")}\n`);
        stream(socket, line, 50 * MB, () => {
          socket.end();
        });
        return;
      }
      break;
    }
  }
  socket.end(`HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nStrict-Transport-Security: max-age=31536000\r\nContent-Length: ${PAGE.length}\r\nConnection: close\r\n\r\n${PAGE}`);
}

/** Reads a request head (up to 16 KB) and hands it to answerHttp. */
function onHttpConnection(host: HostileHost, socket: Socket, secure: boolean): void {
  track(socket);
  let head = "";
  const onData = (data: Buffer): void => {
    head += data.toString("latin1");
    if (head.includes("\r\n\r\n") || head.length > 16_384) {
      socket.off("data", onData);
      answerHttp(host, socket, head, secure);
    }
  };
  socket.on("data", onData);
}

// ---------------------------------------------------------- TLS by hand

/**
 * The parts of a ClientHello the scripted answers need (RFC 8446 §4.1.2):
 * null while more bytes are needed, { error } when it is not one.
 */
export function parseClientHello(buffer: Buffer): ClientHelloFacts | { error: string } | null {
  // Handshake messages may span records: join the fragments first.
  const fragments: Buffer[] = [];
  let offset = 0;
  while (offset + 5 <= buffer.length) {
    const length = buffer.readUInt16BE(offset + 3);
    if (buffer[offset] !== 22) return { error: "not a handshake record" };
    if (offset + 5 + length > buffer.length) return null;
    fragments.push(buffer.subarray(offset + 5, offset + 5 + length));
    offset += 5 + length;
  }
  const message = Buffer.concat(fragments);
  if (message.length < 4) return null;
  if (message[0] !== 1) return { error: "not a ClientHello" };
  const bodyLength = message.readUIntBE(1, 3);
  if (message.length < 4 + bodyLength) return null;
  const body = message.subarray(4, 4 + bodyLength);
  let at = 2 + 32;
  if (body.length < 2 + 32 + 1) return { error: "ClientHello too short" };
  const sessionIdLength = body.readUInt8(at);
  const sessionId = body.subarray(at + 1, at + 1 + sessionIdLength);
  at += 1 + sessionIdLength;
  const suitesLength = body.readUInt16BE(at);
  const suites: number[] = [];
  for (let i = 0; i < suitesLength; i += 2) suites.push(body.readUInt16BE(at + 2 + i));
  at += 2 + suitesLength;
  const compressionsLength = body.readUInt8(at);
  const compressions = [...body.subarray(at + 1, at + 1 + compressionsLength)];
  at += 1 + compressionsLength;
  const extensions = new Map<number, Buffer>();
  if (at + 2 <= body.length) {
    const end = at + 2 + body.readUInt16BE(at);
    at += 2;
    while (at + 4 <= end) {
      const type = body.readUInt16BE(at);
      const length = body.readUInt16BE(at + 2);
      extensions.set(type, body.subarray(at + 4, at + 4 + length));
      at += 4 + length;
    }
  }
  const versions: number[] = [];
  const supportedVersions = extensions.get(43);
  if (supportedVersions) for (let i = 1; i < supportedVersions.length; i += 2) versions.push(supportedVersions.readUInt16BE(i));
  const groups: number[] = [];
  const supportedGroups = extensions.get(10);
  if (supportedGroups) for (let i = 2; i < supportedGroups.length; i += 2) groups.push(supportedGroups.readUInt16BE(i));
  const shares: number[] = [];
  const keyShare = extensions.get(51);
  if (keyShare) {
    for (let i = 2; i + 4 <= keyShare.length; ) {
      shares.push(keyShare.readUInt16BE(i));
      i += 4 + keyShare.readUInt16BE(i + 2);
    }
  }
  return { sessionId, suites, compressions, versions, groups, shares };
}

function u16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  return b;
}
function extension(type: number, data: Buffer): Buffer {
  return Buffer.concat([u16(type), u16(data.length), data]);
}
function record(type: number, version: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), u16(version), u16(data.length), data]);
}
function serverHello(parts: { version: number; random: Buffer; sessionId: Buffer; suite: number; compression: number; extensions: Buffer[] }): Buffer {
  const { version, random, sessionId, suite, compression, extensions } = parts;
  const exts = Buffer.concat(extensions);
  const body = Buffer.concat([u16(version), random, Buffer.from([sessionId.length]), sessionId, u16(suite), Buffer.from([compression]), u16(exts.length), exts]);
  const message = Buffer.concat([Buffer.from([2, 0, body.length >> 8, body.length & 0xff]), body]);
  // Handshake length is 3 bytes: body.length < 65536 here, so the first is 0.
  return record(22, 0x0303, message);
}

const HRR_RANDOM = Buffer.from("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c", "hex");
const X25519MLKEM768 = 0x11ec;
const X25519 = 0x001d;
/** TLS 1.2 suites the scripted servers pick from, in this order (ECDHE-ECDSA/RSA AES-GCM, then anything not TLS 1.3). */
const TLS12_PREFERENCE = [0xc02b, 0xc02c, 0xc02f, 0xc030, 0xcca8, 0xcca9, 0x009c, 0x002f];

function pickTls12Suite(hello: ClientHelloFacts): number | undefined {
  return TLS12_PREFERENCE.find((suite) => hello.suites.includes(suite)) ?? hello.suites.find((suite) => (suite >> 8) !== 0x13 && suite !== 0x00ff && suite !== 0x5600);
}

/** The scripted answer to a ClientHello, or null to say nothing more. */
export function scriptedAnswer(mode: string, hello: ClientHelloFacts): Buffer | null {
  const random = randomBytes(32);
  const reneg = extension(0xff01, Buffer.from([0]));
  switch (mode) {
    case "compression":
    case "no-secure-reneg":
    case "alert-tls": {
      const suite = pickTls12Suite(hello);
      if (suite === undefined) return record(21, 0x0303, Buffer.from([2, 40]));
      const compression = mode === "compression" && hello.compressions.includes(1) ? 1 : 0;
      const hello12 = serverHello({ version: 0x0303, random, sessionId: hello.sessionId, suite, compression, extensions: mode === "no-secure-reneg" ? [] : [reneg] });
      // alert-tls: the handshake starts, then a fatal internal_error (80) mid-way.
      return mode === "alert-tls" ? Buffer.concat([hello12, record(21, 0x0303, Buffer.from([2, 80]))]) : hello12;
    }
    case "pq": {
      if (!hello.versions.includes(0x0304)) return record(21, 0x0303, Buffer.from([2, 70])); // protocol_version
      const suite = [0x1302, 0x1301, 0x1303].find((candidate) => hello.suites.includes(candidate));
      if (suite === undefined) return record(21, 0x0303, Buffer.from([2, 40]));
      const versions = extension(43, u16(0x0304));
      if (hello.shares.includes(X25519MLKEM768)) {
        // ML-KEM-768 ciphertext (1088 bytes) followed by the X25519 share (32): random bytes of the right length.
        const share = Buffer.concat([u16(X25519MLKEM768), u16(1120), randomBytes(1120)]);
        return serverHello({ version: 0x0303, random, sessionId: hello.sessionId, suite, compression: 0, extensions: [versions, extension(51, share)] });
      }
      if (hello.groups.includes(X25519MLKEM768)) {
        return serverHello({ version: 0x0303, random: HRR_RANDOM, sessionId: hello.sessionId, suite, compression: 0, extensions: [versions, extension(51, u16(X25519MLKEM768))] });
      }
      if (hello.shares.includes(X25519)) {
        const share = Buffer.concat([u16(X25519), u16(32), randomBytes(32)]);
        return serverHello({ version: 0x0303, random, sessionId: hello.sessionId, suite, compression: 0, extensions: [versions, extension(51, share)] });
      }
      return record(21, 0x0303, Buffer.from([2, 40]));
    }
  }
  return null;
}

function onScriptedConnection(host: HostileHost, socket: Socket): void {
  track(socket);
  let buffer = Buffer.alloc(0);
  const onData = (data: Buffer): void => {
    buffer = Buffer.concat([buffer, data]);
    if (host.mode === "garbage-tls") {
      socket.off("data", onData);
      socket.end(Buffer.concat([Buffer.from("HTTP/1.1 400 Bad Request\r\n\r\n"), randomBytes(4096)]));
      return;
    }
    const hello = buffer.length > 65_536 ? { error: "ClientHello too long" } : parseClientHello(buffer);
    if (hello === null) return; // wait for more
    socket.off("data", onData);
    if ("error" in hello) {
      socket.end(record(21, 0x0303, Buffer.from([2, 50]))); // decode_error
      return;
    }
    const answer = scriptedAnswer(host.mode, hello);
    if (answer) socket.write(answer);
    // Give the client a moment to read the answer, then close.
    setTimeout(() => socket.end(), 200);
  };
  socket.on("data", onData);
}

// ------------------------------------------------------------------- start

const RAW_TLS = new Set(["garbage-tls", "alert-tls", "compression", "no-secure-reneg", "pq"]);

/** Starts every host's servers; resolves with the ports bound (per host name) and a way to stop them. */
export async function startHostileServers(config: HostileConfig): Promise<{ ports: Map<string, { http: number | null; https: number }>; close: () => void }> {
  const servers: Server[] = [];
  const ports = new Map<string, { http: number | null; https: number }>();
  const close = (): void => {
    for (const server of servers) server.close();
    for (const socket of sockets) socket.destroy();
  };
  try {
    await startEach(config, servers, ports);
  } catch (error) {
    close(); // nothing half-started stays listening
    throw error;
  }
  return { ports, close };
}

async function startEach(config: HostileConfig, servers: Server[], ports: Map<string, { http: number | null; https: number }>): Promise<void> {
  for (const host of config.hosts) {
    let port443: Server;
    if (host.mode === "silent") {
      port443 = createNetServer((socket) => {
        track(socket); // accepts, never says a word
      });
    } else if (RAW_TLS.has(host.mode)) {
      port443 = createNetServer((socket) => {
        onScriptedConnection(host, socket);
      });
    } else {
      port443 = createTlsServer({ cert: readFileSync(host.cert), key: readFileSync(host.key), minVersion: "TLSv1.2" }, (socket) => {
        onHttpConnection(host, socket, true);
      });
      port443.on("tlsClientError", () => undefined);
    }
    servers.push(port443);
    const https = await listen(port443, host.address, host.httpsPort ?? 443);
    let http: number | null = null;
    // Scripted TLS hosts get their port 80 from nginx (a plain redirect).
    if (host.kind === "hostile") {
      const port80 = createNetServer((socket) => {
        if (host.mode === "silent") track(socket);
        else onHttpConnection(host, socket, false);
      });
      servers.push(port80);
      http = await listen(port80, host.address, host.httpPort ?? 80);
    }
    ports.set(host.name, { http, https });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as HostileConfig;
  const { close } = await startHostileServers(config);
  if (config.pidFile) writeFileSync(config.pidFile, `${String(process.pid)}\n`);
  const shutdown = (): void => {
    close();
    process.exit(0);
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}
