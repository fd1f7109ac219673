/**
 * Shared by the HTTP client and web HTTP check tests: a throw-away
 * certificate made with openssl at test time, a resolver with fixed answers
 * pointing names at loopback servers, and web servers on 127.0.0.1 and ::1
 * sharing one port (the checks use one port per scheme for all addresses).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net, { type AddressInfo, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Resolution, Resolver } from "../../dns/resolver.ts";
import { defaultSettings, type CheckSettings } from "../context.ts";

export interface TestCertificate {
  key: string;
  cert: string;
}

/** A self-signed P-256 certificate for *.test names, or null when openssl is missing (tests then skip). */
export function testCertificate(): TestCertificate | null {
  const dir = mkdtempSync(join(tmpdir(), "baseline-http-"));
  try {
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
      "-subj", "/CN=example.test", "-addext", "subjectAltName=DNS:example.test,DNS:*.example.test,DNS:*.test",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
    ], { stdio: "ignore" });
    return { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") };
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A resolver with fixed A/AAAA answers (name without trailing dot → addresses),
 * cast to Resolver: enough for the checks' `ctx.addresses`. The lab tests use
 * Baseline's real resolver.
 */
export function fixedResolver(records: Record<string, { A?: string[]; AAAA?: string[] }>): Resolver {
  const resolver = {
    resolve(name: string, type = "A"): Promise<Resolution> {
      const entry = records[name.replace(/\.$/, "").toLowerCase()];
      const data = (type === "A" ? entry?.A : type === "AAAA" ? entry?.AAAA : undefined) ?? [];
      return Promise.resolve({
        name, type, rcode: entry ? "NOERROR" : "NXDOMAIN", security: "insecure", reason: null, chain: [], referrals: [],
        answer: data.map((value) => ({ name, type, ttl: 60, data: value })),
      });
    },
  };
  return resolver as unknown as Resolver;
}

export function testSettings(resolver: Resolver, ports: { http: number; https: number }, overrides: Partial<CheckSettings> = {}): CheckSettings {
  return defaultSettings(resolver, { allowPrivate: true, timeoutMs: 1500, domainDeadlineMs: 15_000, webPorts: ports, ...overrides });
}

export type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

/** Servers on 127.0.0.1 and ::1 on one port; `handlers.v6` defaults to the IPv4 handler. */
export interface ServerPair {
  port: number;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Starts `make()` servers on 127.0.0.1 (ephemeral port) and, when `ipv6`, on ::1 at the same port (retrying on a clash). */
export async function serverPair(make: (family: 4 | 6) => Server, ipv6 = true): Promise<ServerPair> {
  for (let attempt = 0; ; attempt++) {
    const v4 = make(4);
    const port = await listen(v4, 0, "127.0.0.1");
    if (!ipv6) return { port, close: () => closeAll([v4]) };
    const v6 = make(6);
    try {
      await listen(v6, port, "::1");
      return { port, close: () => closeAll([v4, v6]) };
    } catch (error) {
      await closeAll([v4]);
      if (attempt >= 5) throw error;
    }
  }
}

function closeAll(servers: Server[]): Promise<void> {
  return Promise.all(servers.map((server) => new Promise<void>((resolve) => {
    (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    server.close(() => resolve());
  }))).then(() => undefined);
}

export function httpServer(handler: Handler): Server {
  return http.createServer(handler);
}

export function httpsServer(certificate: TestCertificate, handler: Handler): Server {
  return https.createServer({ key: certificate.key, cert: certificate.cert }, handler);
}

/** A raw TCP server for hostile behaviour; its open sockets are destroyed when the pair closes. */
export function rawServer(onSocket: (socket: Socket) => void): Server {
  const sockets = new Set<Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    onSocket(socket);
  });
  Object.assign(server, { closeAllConnections: () => { for (const socket of sockets) socket.destroy(); } });
  return server;
}
