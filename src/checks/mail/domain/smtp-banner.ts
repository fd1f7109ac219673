/**
 * Connect to an SMTP server and read its greeting (RFC 5321 §4.2, §3.1):
 * "220 ..." (maybe in several "220-" lines) means it serves; another code
 * (554: no service) or silence does not. The greeting is bounded in time and
 * size, and the connection is closed with QUIT after it.
 */
import { connect } from "node:net";

export const MAX_GREETING_BYTES = 4096;

export interface BannerResult {
  connected: boolean;
  /** The reply code of the greeting, or null. */
  code: number | null;
  /** The greeting's first line (bounded), or null. */
  greeting: string | null;
  error: string | null;
  rttMs: number | null;
}

export function readBanner(address: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<BannerResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    let connected = false;
    let buffer = "";
    let settled = false;
    const socket = connect({ host: address, port, ...(signal ? { signal } : {}) });
    const done = (result: Omit<BannerResult, "connected" | "rttMs">): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (result.code !== null && !socket.destroyed) socket.end("QUIT\r\n");
      else socket.destroy();
      resolve({ ...result, connected, rttMs: connected ? Date.now() - started : null });
    };
    const timer = setTimeout(() => done({ code: null, greeting: null, error: connected ? `no complete greeting within ${timeoutMs} ms` : `no TCP connection within ${timeoutMs} ms` }), timeoutMs);
    socket.setEncoding("latin1");
    socket.on("connect", () => {
      connected = true;
    });
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split("\r\n");
      const first = lines[0] ?? "";
      // A greeting is complete at its last line: "ddd " or "ddd" alone (not "ddd-").
      const last = lines.slice(0, -1).find((line) => /^\d{3}(?: |$)/.test(line));
      if (last !== undefined) {
        done({ code: Number(last.slice(0, 3)), greeting: first.slice(0, 200), error: null });
      } else if (buffer.length > MAX_GREETING_BYTES) {
        done({ code: null, greeting: first.slice(0, 200), error: `greeting longer than ${MAX_GREETING_BYTES} bytes without an end` });
      }
    });
    socket.on("error", (error: NodeJS.ErrnoException) => done({ code: null, greeting: null, error: error.code ?? error.message }));
    socket.on("close", () => done({ code: null, greeting: buffer.split("\r\n")[0]?.slice(0, 200) || null, error: connected ? "closed before a greeting" : "connection closed" }));
  });
}
