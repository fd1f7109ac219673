/**
 * The MTA-STS policy fetch (RFC 8461 §3.3): GET
 * https://mta-sts.<domain>/.well-known/mta-sts.txt with the certificate
 * verified for mta-sts.<domain> (Node's Mozilla roots plus --extra-ca, as a
 * sending MTA would), no redirects followed, the body capped. Unlike the web
 * checks' HTTP client (which skips verification so that the certificate
 * checks can grade it), a policy behind an untrusted certificate is simply
 * not a policy, so the TLS stack judges it here, and says why.
 */
import https from "node:https";
import { isIPv6 } from "node:net";
import { checkServerIdentity, rootCertificates, type PeerCertificate } from "node:tls";

/** RFC 8461 gives no limit; 64 KiB holds any real policy and bounds a hostile one. */
export const POLICY_BYTE_LIMIT = 64 * 1024;

export interface PolicyResponse {
  status: number;
  contentType: string | null;
  body: string;
  truncated: boolean;
}

export class PolicyFetchError extends Error {
  override name = "PolicyFetchError";
}

export interface PolicyRequest {
  host: string;
  address: string;
  port: number;
  extraCa: readonly string[];
  timeoutMs: number;
  signal?: AbortSignal;
}

export function fetchPolicy(request: PolicyRequest): Promise<PolicyResponse> {
  return new Promise((resolve, reject) => {
    const where = `${isIPv6(request.address) ? `[${request.address}]` : request.address}:${request.port}`;
    const req = https.request({
      host: request.address,
      port: request.port,
      servername: request.host,
      path: "/.well-known/mta-sts.txt",
      method: "GET",
      headers: { host: request.port === 443 ? request.host : `${request.host}:${request.port}`, "user-agent": "Baseline-check/0.1 (MTA-STS policy fetch)", accept: "text/plain" },
      ca: [...rootCertificates, ...request.extraCa],
      rejectUnauthorized: true,
      // Verify the name we asked for, not the address we connected to.
      checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(request.host, cert),
      agent: false,
      timeout: request.timeoutMs,
      ...(request.signal ? { signal: request.signal } : {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      res.on("data", (chunk: Buffer) => {
        if (truncated) return;
        size += chunk.length;
        if (size > POLICY_BYTE_LIMIT) {
          truncated = true;
          chunks.push(chunk.subarray(0, chunk.length - (size - POLICY_BYTE_LIMIT)));
          res.destroy();
          finish();
          return;
        }
        chunks.push(chunk);
      });
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        const type = res.headers["content-type"];
        resolve({ status: res.statusCode ?? 0, contentType: typeof type === "string" ? type : null, body: Buffer.concat(chunks).toString("utf8"), truncated });
      };
      res.on("end", finish);
      res.on("error", (error) => {
        if (!done) reject(new PolicyFetchError(`reading the policy from ${where}: ${error.message}`));
      });
    });
    // One deadline for connect, handshake, headers and body together.
    const timer = setTimeout(() => req.destroy(new PolicyFetchError(`no complete answer from ${where} within ${request.timeoutMs} ms`)), request.timeoutMs);
    req.on("timeout", () => req.destroy(new PolicyFetchError(`no answer from ${where} within ${request.timeoutMs} ms`)));
    req.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error instanceof PolicyFetchError) reject(error);
      else if (error.code && /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS_CERT_ALTNAME/.test(error.code)) reject(new PolicyFetchError(`the certificate of ${request.host} at ${where} is not valid: ${error.message}`));
      else reject(new PolicyFetchError(`fetching the policy from ${where}: ${error.code ?? error.message}`));
    });
    req.end();
  });
}
