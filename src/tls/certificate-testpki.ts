/**
 * Test-only: a private PKI made at test time with the openssl command line
 * (node:crypto cannot issue certificates). Keys and certificates live in a
 * temporary directory and are never committed. Tests skip when openssl is
 * missing (`opensslMissing()` gives the reason).
 */
import { execFileSync, spawn } from "node:child_process";
import { X509Certificate, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join } from "node:path";

export type KeySpec = "rsa:1024" | "rsa:2048" | "rsa:3072" | "ec:P-256" | "ec:P-384" | "ec:secp256k1" | "ed25519";

export interface Issued {
  name: string;
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
  der: Buffer;
}

export interface IssueOptions {
  key?: KeySpec;
  /** Signature digest (sha256, sha1, sha384, ...); ignored for Ed25519 issuers. */
  digest?: string;
  days?: number;
  /** The issuer; absent: self-signed. */
  issuer?: Issued;
  /** A CA (basicConstraints CA:TRUE) or a server leaf. */
  ca?: boolean;
  /** subjectAltName DNS names (leafs). */
  dns?: readonly string[];
  /** extendedKeyUsage; default serverAuth for leafs. */
  eku?: string;
  /** A key of its own (leafs otherwise share one key per spec). */
  freshKey?: boolean;
}

export function opensslMissing(): string | false {
  try {
    execFileSync("openssl", ["version"], { stdio: "pipe" });
    return false;
  } catch {
    return "the openssl command is not installed";
  }
}

export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), "baseline-pki-"));
  readonly #keys = new Map<KeySpec, string>();

  /** Keys are reused per spec within one PKI (RSA 3072 generation is slow); pass `fresh` for a distinct key. */
  key(spec: KeySpec, fresh = false): string {
    const cached = this.#keys.get(spec);
    if (cached && !fresh) return cached;
    const path = join(this.dir, `key-${spec.replace(/[:]/g, "-")}-${randomBytes(4).toString("hex")}.pem`);
    const [kind, parameter] = spec.split(":") as [string, string | undefined];
    const args = kind === "rsa"
      ? ["-algorithm", "RSA", "-pkeyopt", `rsa_keygen_bits:${parameter ?? "2048"}`]
      : kind === "ec" ? ["-algorithm", "EC", "-pkeyopt", `ec_paramgen_curve:${parameter ?? "P-256"}`] : ["-algorithm", "ED25519"];
    execFileSync("openssl", ["genpkey", ...args, "-out", path], { stdio: "pipe" });
    if (!fresh) this.#keys.set(spec, path);
    return path;
  }

  issue(name: string, options: IssueOptions = {}): Issued {
    const keyPath = this.key(options.key ?? "ec:P-256", options.issuer === undefined || options.ca === true || options.freshKey === true);
    const base = join(this.dir, `${name.replace(/[^a-z0-9]/gi, "_")}-${randomBytes(3).toString("hex")}`);
    const extPath = `${base}.ext`;
    const lines = options.ca
      ? ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign", "subjectKeyIdentifier=hash"]
      : ["basicConstraints=CA:FALSE", `extendedKeyUsage=${options.eku ?? "serverAuth"}`, ...(options.dns && options.dns.length > 0 ? [`subjectAltName=${options.dns.map((dns) => `DNS:${dns}`).join(",")}`] : [])];
    if (options.issuer) lines.push("authorityKeyIdentifier=keyid");
    writeFileSync(extPath, `${lines.join("\n")}\n`);
    const certPath = `${base}.pem`;
    const signerIsEd25519 = options.issuer ? isEd25519(options.issuer) : options.key === "ed25519";
    const digest = signerIsEd25519 ? [] : [`-${options.digest ?? "sha256"}`];
    const days = String(options.days ?? 30);
    const serial = `0x${randomBytes(8).toString("hex")}`;
    if (!options.issuer) {
      execFileSync("openssl", ["req", "-x509", "-new", "-key", keyPath, "-subj", `/CN=${name}`, "-days", days, ...digest, "-set_serial", serial, "-extensions", "v3", "-config", configFile(this.dir, lines), "-out", certPath], { stdio: "pipe" });
    } else {
      const csr = `${base}.csr`;
      execFileSync("openssl", ["req", "-new", "-key", keyPath, "-subj", `/CN=${name}`, "-out", csr], { stdio: "pipe" });
      execFileSync("openssl", ["x509", "-req", "-in", csr, "-CA", options.issuer.certPath, "-CAkey", options.issuer.keyPath, "-set_serial", serial, "-days", days, ...digest, "-extfile", extPath, "-out", certPath], { stdio: "pipe" });
    }
    const certPem = readFileSync(certPath, "utf8");
    return { name, certPath, keyPath, certPem, keyPem: readFileSync(keyPath, "utf8"), der: Buffer.from(new X509Certificate(certPem).raw) };
  }

  /** An OCSP response (DER) for `leaf` from `issuer` (signed by the issuer itself), good or revoked. */
  ocspResponse(leaf: Issued, issuer: Issued, status: "good" | "revoked"): Buffer {
    const base = join(this.dir, `ocsp-${randomBytes(3).toString("hex")}`);
    const serial = new X509Certificate(leaf.certPem).serialNumber.toUpperCase();
    const expiry = "301231235959Z";
    const line = status === "good"
      ? `V\t${expiry}\t\t${serial}\tunknown\t/CN=${leaf.name}\n`
      : `R\t${expiry}\t240101000000Z\t${serial}\tunknown\t/CN=${leaf.name}\n`;
    writeFileSync(`${base}.index`, line);
    execFileSync("openssl", ["ocsp", "-issuer", issuer.certPath, "-cert", leaf.certPath, "-no_nonce", "-reqout", `${base}.req`], { stdio: "pipe" });
    execFileSync("openssl", ["ocsp", "-index", `${base}.index`, "-rsigner", issuer.certPath, "-rkey", issuer.keyPath, "-CA", issuer.certPath, "-reqin", `${base}.req`, "-respout", `${base}.der`, "-ndays", "7"], { stdio: "pipe" });
    return readFileSync(`${base}.der`);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function isEd25519(issued: Issued): boolean {
  return new X509Certificate(issued.certPem).publicKey.asymmetricKeyType === "ed25519";
}

function configFile(dir: string, extensions: readonly string[]): string {
  const path = join(dir, `req-${randomBytes(3).toString("hex")}.cnf`);
  writeFileSync(path, ["[req]", "distinguished_name=dn", "[dn]", "[v3]", ...extensions.filter((line) => !line.startsWith("authorityKeyIdentifier"))].join("\n") + "\n");
  return path;
}

export interface RunningServer {
  port: number;
  stop: () => Promise<void>;
}

/**
 * Starts `openssl s_server` on 127.0.0.1 at a random high port with the
 * given arguments (certificate, key, options) and waits until it accepts.
 */
export async function startSServer(args: readonly string[]): Promise<RunningServer> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const child = spawn("openssl", ["s_server", "-accept", `127.0.0.1:${port}`, "-quiet", ...args], { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString();
    });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      await exited;
    };
    for (let wait = 0; wait < 50; wait++) {
      if (child.exitCode !== null) break;
      if (await accepts(port)) return { port, stop };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await stop();
    if (!/bind|in use/i.test(stderr)) throw new Error(`openssl s_server did not start: ${stderr.slice(0, 500)}`);
  }
  throw new Error("openssl s_server found no free port");
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
