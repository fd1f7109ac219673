/**
 * How the prober and the handshake open their connections: a Connector
 * yields a socket ready for the first TLS byte (plain TCP, or after a
 * STARTTLS preamble, smtp.ts), and a Gate bounds how many run at once per
 * host. Apart from probe.ts and smtp.ts so that neither imports the other.
 */
import type { Socket } from "node:net";

/** Opens a socket to host:port that is ready for the first TLS byte (a STARTTLS preamble, or plain TCP). */
export type Connector = (host: string, port: number, signal: AbortSignal) => Promise<Socket>;

/** Runs a task when the caller's limit allows; see createGate. */
export type Gate = <T>(task: () => Promise<T>) => Promise<T>;

/** A gate that lets at most `limit` tasks run at once, the rest waiting in order. */
export function createGate(limit: number): Gate {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`connection limit must be a positive integer, got ${limit}`);
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
