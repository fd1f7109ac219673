/**
 * A bounded HTTP/1.1 exchange with one given address: the checks test each
 * address DNS gave, so the client never resolves a name itself. It sends the
 * name in the Host header (and as TLS SNI), skips certificate verification
 * (the certificate checks judge trust), and bounds everything a hostile
 * server controls: the time to answer (connect, headers and body together),
 * the header size, and the body bytes read (it stops reading at the cap and
 * closes the connection, however large the body is).
 */
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import type { Socket } from "node:net";
import type { ConnectionOptions, TLSSocket } from "node:tls";

/** Node's default header cap is 16 KiB; 32 KiB admits large cookie and CSP headers. */
export const MAX_HEADER_BYTES = 32 * 1024;
/** Names the tool, so that operators can tell the test from other traffic. */
const USER_AGENT = "Baseline-check/0.1 (internet security standards test)";

export type HttpScheme = "http" | "https";

export interface HttpRequest {
  scheme: HttpScheme;
  /** The name: Host header and TLS server name. */
  host: string;
  /** The IPv4 or IPv6 address connected to. */
  address: string;
  port: number;
  /** Path and query, starting with "/". */
  path: string;
  method?: "GET" | "HEAD";
  /** Accept-Encoding sent; default "identity" (bodies are compared and parsed as sent). */
  acceptEncoding?: string;
  /** Body bytes read at most; the connection is closed once more arrives. 0: headers only. */
  bodyLimit: number;
  /** Connect, headers and body together, for all attempts. */
  timeoutMs: number;
  signal?: AbortSignal;
  maxHeaderBytes?: number;
  /** Further attempts after a connection reset before any answer (default 1). */
  retries?: number;
}

export interface TlsInfo {
  protocol: string | null;
  alpn: string | null;
  cipher: string | null;
}

export interface HttpResponse {
  url: string;
  address: string;
  port: number;
  status: number;
  statusText: string;
  httpVersion: string;
  /** Header fields in the order received, names in lower case. */
  headers: [string, string][];
  /** At most the request's bodyLimit bytes, as sent (not decoded). */
  body: Buffer;
  /** The server sent more than bodyLimit bytes (reading stopped there). */
  bodyTruncated: boolean;
  tls: TlsInfo | null;
  durationMs: number;
}

export type HttpFailure = "timeout" | "refused" | "reset" | "unreachable" | "tls" | "protocol" | "headers-too-large" | "aborted" | "network";

/** An exchange that gave no response; `connected` tells whether TCP connected (reachability). */
export class HttpProbeError extends Error {
  override name = "HttpProbeError";
  readonly kind: HttpFailure;
  readonly connected: boolean;
  constructor(kind: HttpFailure, message: string, connected: boolean) {
    super(message);
    this.kind = kind;
    this.connected = connected;
  }
}

/** All values of header `name` (lower case), in order. */
export function headerValues(response: HttpResponse, name: string): string[] {
  const wanted = name.toLowerCase();
  return response.headers.filter(([key]) => key === wanted).map(([, value]) => value);
}

export function formatUrl(scheme: HttpScheme, host: string, port: number, path: string): string {
  const defaultPort = scheme === "https" ? 443 : 80;
  const name = isIP(host) === 6 ? `[${host}]` : host;
  return `${scheme}://${name}${port === defaultPort ? "" : `:${port}`}${path}`;
}

/** One exchange, retried once (by default) when the connection is reset before an answer. */
export async function httpExchange(request: HttpRequest): Promise<HttpResponse> {
  const deadline = Date.now() + request.timeoutMs;
  const retries = request.retries ?? 1;
  for (let attempt = 0; ; attempt++) {
    try {
      return await attemptExchange(request, deadline);
    } catch (error) {
      const retry = error instanceof HttpProbeError && error.kind === "reset" && attempt < retries && Date.now() < deadline - 50;
      if (!retry) throw error;
    }
  }
}

function attemptExchange(request: HttpRequest, deadline: number): Promise<HttpResponse> {
  const started = Date.now();
  const url = formatUrl(request.scheme, request.host, request.port, request.path);
  const defaultPort = request.scheme === "https" ? 443 : 80;
  const hostHeader = (isIP(request.host) === 6 ? `[${request.host}]` : request.host) + (request.port === defaultPort ? "" : `:${request.port}`);
  // ALPNProtocols reaches tls.connect through the agent, though RequestOptions does not declare it.
  const options: https.RequestOptions & Pick<ConnectionOptions, "ALPNProtocols"> = {
    host: request.address,
    port: request.port,
    path: request.path,
    method: request.method ?? "GET",
    agent: false,
    setHost: false,
    maxHeaderSize: request.maxHeaderBytes ?? MAX_HEADER_BYTES,
    headers: {
      Host: hostHeader,
      "User-Agent": USER_AGENT,
      Accept: "*/*",
      "Accept-Encoding": request.acceptEncoding ?? "identity",
      Connection: "close",
    },
  };
  if (request.scheme === "https") {
    // Trust is judged by the certificate checks; this client must reach servers with any certificate.
    options.rejectUnauthorized = false;
    options.ALPNProtocols = ["http/1.1"];
    // Nor may a legacy server hide its headers and security.txt: the TLS checks grade TLS 1.0
    // and weak suites, so this client speaks them (as a browser of that server's era would).
    options.minVersion = "TLSv1";
    options.ciphers = "DEFAULT:@SECLEVEL=0";
    if (isIP(request.host) === 0) options.servername = request.host;
  }

  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    let connected = false;
    const finish = (outcome: { response: HttpResponse } | { error: HttpProbeError }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", onAbort);
      // Whatever is left unread (a 50 MB body, an endless header) is dropped with the connection.
      req.destroy();
      if ("response" in outcome) resolve(outcome.response);
      else reject(outcome.error);
    };
    const remaining = Math.max(0, deadline - Date.now());
    const timer = setTimeout(() => {
      finish({ error: new HttpProbeError("timeout", `${url} via ${request.address}: no complete answer within ${request.timeoutMs} ms${connected ? " (connected)" : " (no connection)"}`, connected) });
    }, remaining);
    const onAbort = (): void => {
      const reason = request.signal?.reason instanceof Error ? request.signal.reason.message : "aborted";
      finish({ error: new HttpProbeError("aborted", `${url} via ${request.address}: ${reason}`, connected) });
    };

    const req = (request.scheme === "https" ? https : http).request(options);
    req.on("socket", (socket: Socket) => {
      socket.once("connect", () => { connected = true; });
    });
    req.on("error", (error: NodeJS.ErrnoException) => {
      finish({ error: classify(error, url, request.address, connected) });
    });
    req.on("response", (res: http.IncomingMessage) => {
      const socket = res.socket as Socket | TLSSocket | null;
      const tls = request.scheme === "https" && socket && "getProtocol" in socket ? tlsInfo(socket) : null;
      const headers: [string, string][] = [];
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.push([(res.rawHeaders[i] ?? "").toLowerCase(), res.rawHeaders[i + 1] ?? ""]);
      const chunks: Buffer[] = [];
      let length = 0;
      const respond = (truncated: boolean): void => {
        finish({
          response: {
            url, address: request.address, port: request.port,
            status: res.statusCode ?? 0, statusText: res.statusMessage ?? "", httpVersion: res.httpVersion,
            headers, body: Buffer.concat(chunks, length), bodyTruncated: truncated, tls,
            durationMs: Date.now() - started,
          },
        });
      };
      // Listeners first: a response destroyed with its connection (by finish) emits "error", which must not go unheard.
      res.on("error", (error: NodeJS.ErrnoException) => finish({ error: classify(error, url, request.address, true) }));
      res.on("aborted", () => finish({ error: new HttpProbeError("reset", `${url} via ${request.address}: the connection closed in the middle of the body`, true) }));
      if (request.bodyLimit <= 0 || request.method === "HEAD") {
        const declared = res.headers["content-length"];
        respond(request.method !== "HEAD" && declared !== "0" && res.statusCode !== 204 && res.statusCode !== 304);
        return;
      }
      res.on("data", (chunk: Buffer) => {
        if (settled) return;
        const room = request.bodyLimit - length;
        if (chunk.length > room) {
          chunks.push(chunk.subarray(0, room));
          length += room;
          respond(true);
          return;
        }
        chunks.push(chunk);
        length += chunk.length;
      });
      res.on("end", () => respond(false));
    });
    if (request.signal?.aborted) {
      onAbort();
      return;
    }
    request.signal?.addEventListener("abort", onAbort, { once: true });
    req.end();
  });
}

function tlsInfo(socket: TLSSocket): TlsInfo {
  const alpn = socket.alpnProtocol;
  return {
    protocol: socket.getProtocol(),
    alpn: typeof alpn === "string" ? alpn : null,
    cipher: socket.getCipher().name,
  };
}

/** Node's errors as one kind and a one-line reason naming the URL and address. */
function classify(error: NodeJS.ErrnoException, url: string, address: string, connected: boolean): HttpProbeError {
  const code = error.code ?? "";
  const where = `${url} via ${address}`;
  if (code === "ECONNREFUSED") return new HttpProbeError("refused", `${where}: connection refused`, false);
  if (code === "ECONNRESET" || code === "EPIPE") return new HttpProbeError("reset", `${where}: connection reset (${error.message})`, connected);
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH" || code === "EADDRNOTAVAIL") return new HttpProbeError("unreachable", `${where}: ${code}`, false);
  if (code === "HPE_HEADER_OVERFLOW") return new HttpProbeError("headers-too-large", `${where}: response headers exceed ${MAX_HEADER_BYTES / 1024} KiB`, true);
  if (code.startsWith("HPE_")) return new HttpProbeError("protocol", `${where}: not a valid HTTP/1.1 response (${code})`, true);
  if (code.startsWith("ERR_SSL") || code === "EPROTO" || /SSL|TLS/i.test(error.message)) {
    // OpenSSL's messages carry addresses and source paths; the reason is the part after "SSL routines:<function>:".
    const reason = /SSL routines:[^:]*:([^:]+)/.exec(error.message)?.[1] ?? error.message.split("\n")[0] ?? code;
    return new HttpProbeError("tls", `${where}: TLS handshake failed (${reason})`, connected);
  }
  return new HttpProbeError("network", `${where}: ${code || error.message}`, connected);
}
