// The mail lab's misbehaving SMTP servers, one process for all of them
// (started by lab/mail/start.sh with run/hostile.json). Each host has its own
// loopback address and misbehaves on port 25:
//
// - slow-banner: says nothing for 60 s, then greets;
// - busy: "421 ... try again later" at once, then closes (RFC 5321 §3.8);
// - starttls-refused: advertises STARTTLS in EHLO, answers the command 454;
// - endless-reply: a multi-line EHLO reply that never ends ("250-" lines,
//   one a millisecond);
// - reset: accepts STARTTLS, then resets the connection (TCP RST) when the
//   ClientHello arrives;
// - compression, no-secure-reneg, pq: accepts STARTTLS, then answers the
//   ClientHello with a scripted ServerHello that Debian's OpenSSL cannot make
//   (lab/net/hostile-server.ts builds them), and closes.
//
// TypeScript run by Node directly (22.18 or newer), no dependencies.
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { parseClientHello, scriptedAnswer } from "../net/hostile-server.ts";

export interface HostileSmtpHost {
  name: string;
  mode: string;
  address: string;
  /** Port (default 25; 0 for any free port, in tests). */
  port?: number;
}

export interface HostileSmtpConfig {
  pidFile?: string;
  hosts: HostileSmtpHost[];
}

const sockets = new Set<Socket>();
const BANNER_DELAY_MS = 60_000;

function track(socket: Socket): void {
  sockets.add(socket);
  socket.on("close", () => sockets.delete(socket));
  socket.on("error", () => undefined);
  // A client that went away must not keep a timer writing into nothing.
  socket.setTimeout(120_000, () => socket.destroy());
}

/** Reads CRLF-terminated command lines and hands each to `onLine`. */
function commandReader(socket: Socket, onLine: (line: string) => void): (data: Buffer) => void {
  let pending = "";
  return (data: Buffer) => {
    pending += data.toString("latin1");
    if (pending.length > 8192) {
      socket.destroy();
      return;
    }
    let end: number;
    while ((end = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, end).replace(/\r$/, "");
      pending = pending.slice(end + 1);
      onLine(line);
    }
  };
}

function afterStartTls(host: HostileSmtpHost, socket: Socket): void {
  let buffer = Buffer.alloc(0);
  const onData = (data: Buffer): void => {
    buffer = Buffer.concat([buffer, data]);
    if (host.mode === "reset") {
      socket.resetAndDestroy();
      return;
    }
    const hello = buffer.length > 65_536 ? { error: "ClientHello too long" } : parseClientHello(buffer);
    if (hello === null) return;
    socket.off("data", onData);
    if ("error" in hello) {
      socket.destroy();
      return;
    }
    const answer = scriptedAnswer(host.mode, hello);
    if (answer) socket.write(answer);
    setTimeout(() => socket.end(), 200);
  };
  socket.on("data", onData);
}

function converse(host: HostileSmtpHost, socket: Socket): void {
  const greet = (): void => {
    if (!socket.destroyed) socket.write(`220 ${host.name} ESMTP Baseline mail lab (${host.mode})\r\n`);
  };
  if (host.mode === "busy") {
    socket.end(`421 ${host.name} Service not available, try again later\r\n`);
    return;
  }
  if (host.mode === "slow-banner") {
    const timer = setTimeout(greet, BANNER_DELAY_MS);
    socket.on("close", () => clearTimeout(timer));
  } else {
    greet();
  }
  const reader = commandReader(socket, (line) => {
    const verb = line.slice(0, 4).toUpperCase();
    if (verb === "EHLO") {
      if (host.mode === "endless-reply") {
        let n = 0;
        const timer = setInterval(() => {
          if (socket.destroyed || socket.writableNeedDrain) return;
          socket.write(`250-${host.name} extension line ${String(++n)} of a reply that never ends\r\n`);
        }, 1);
        socket.on("close", () => clearInterval(timer));
        return;
      }
      socket.write(`250-${host.name}\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250 8BITMIME\r\n`);
    } else if (verb === "HELO") {
      socket.write(`250 ${host.name}\r\n`);
    } else if (line.toUpperCase() === "STARTTLS") {
      if (host.mode === "starttls-refused") {
        socket.write("454 4.7.0 TLS not available due to local problem\r\n");
        return;
      }
      socket.off("data", reader);
      socket.write("220 2.0.0 Ready to start TLS\r\n");
      afterStartTls(host, socket);
    } else if (verb === "QUIT") {
      socket.end("221 2.0.0 Bye\r\n");
    } else if (verb === "NOOP" || verb === "RSET") {
      socket.write("250 2.0.0 Ok\r\n");
    } else {
      socket.write("502 5.5.2 Error: command not recognized\r\n");
    }
  });
  socket.on("data", reader);
}

function listen(server: Server, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, address, () => {
      server.off("error", reject);
      const bound = server.address();
      resolve(typeof bound === "object" && bound ? bound.port : port);
    });
  });
}

/** Starts every host's server; resolves with the port each bound and a way to stop them. */
export async function startHostileSmtp(config: HostileSmtpConfig): Promise<{ ports: Map<string, number>; close: () => void }> {
  const servers: Server[] = [];
  const ports = new Map<string, number>();
  const close = (): void => {
    for (const server of servers) server.close();
    for (const socket of sockets) socket.destroy();
  };
  try {
    for (const host of config.hosts) {
      const server = createServer((socket) => {
        track(socket);
        converse(host, socket);
      });
      servers.push(server);
      ports.set(host.name, await listen(server, host.address, host.port ?? 25));
    }
  } catch (error) {
    close();
    throw error;
  }
  return { ports, close };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as HostileSmtpConfig;
  const { close } = await startHostileSmtp(config);
  if (config.pidFile) writeFileSync(config.pidFile, `${String(process.pid)}\n`);
  const shutdown = (): void => {
    close();
    process.exit(0);
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}
