/**
 * One DNS query to one name server over a chosen transport, UDP or TCP, to
 * see whether it answers there (web.ipv6.ns-reachable). The resolver's
 * transport picks TCP only after a truncated UDP answer; reachability needs
 * each transport on its own, so this asks the transport for exactly one
 * attempt over each (`queryOnce`), with the resolver's own rules for what
 * counts as the answer (from the address asked, same id, QR set, same
 * question).
 */
import { isIPv6 } from "node:net";
import { queryOnce } from "../../../dns/transport.ts";
import type { Question } from "../../../dns/types.ts";

export type ProbeTransport = "udp" | "tcp";

export interface ProbeResult {
  transport: ProbeTransport;
  /** Whether a matching answer came back in time. */
  answered: boolean;
  rcode: string | null;
  authoritative: boolean | null;
  rttMs: number | null;
  /** Why there is no answer (timeout, refused connection, ...). */
  error: string | null;
}

export async function probeDns(address: string, port: number, question: Question, transport: ProbeTransport, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  const where = isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
  const unanswered = (error: string): ProbeResult => ({ transport, answered: false, rcode: null, authoritative: null, rttMs: null, error });
  try {
    const answer = await queryOnce({ address, port }, question, transport, { timeoutMs, dnssecOk: false, recursionDesired: false, ...(signal ? { signal } : {}) });
    if (!answer) return unanswered(`no ${transport.toUpperCase()} answer from ${where} within ${timeoutMs} ms`);
    return { transport, answered: true, rcode: answer.message.rcode, authoritative: answer.message.flags.aa, rttMs: Math.round(answer.rttMs), error: null };
  } catch (error) {
    if (signal?.aborted) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    return unanswered(code ? `${transport.toUpperCase()} to ${where}: ${code}` : error instanceof Error ? error.message : String(error));
  }
}
