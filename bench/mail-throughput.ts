/**
 * Mail suite throughput: 100 lab mail domains behind a 20 ms round trip.
 *
 * The same network as bench/web-throughput.ts: a namespace
 * ("baseline-bench") on a veth pair (10.254.0.1 on the host, 10.254.0.2
 * inside; fd00:5a5b::1 and ::2), netem adding 10 ms on each end, or, on
 * kernels without sch_netem, the servers on 127.0.0.1 inside and this file
 * run with --relay there, holding every DNS datagram and TCP data chunk 10 ms
 * each way. Inside run:
 * - Postfix (Debian's; a master of its own, config and queue in a temp dir):
 *   STARTTLS on port 25 with TLS 1.2/1.3, ECDHE AEAD suites, a certificate
 *   for mx.bench.mail.secure from a CA made for this run;
 * - nginx: the MTA-STS policy hosts mta-sts.dNNN.bench.mail.secure on 443;
 * - NSD with the unsigned zone bench.mail.secure (which the DNS lab's signed
 *   mail.secure. delegates there): per domain MX, SPF, DMARC, a DKIM
 *   selector, MTA-STS and TLS-RPT records; mx A/AAAA.
 *
 * Then the whole mail suite runs over d001..d100.bench.mail.secure,
 * CONCURRENCY domains at a time, and the bench prints domains per minute,
 * peak RSS and each test that did not pass with an example summary.
 *
 * Run: `node bench/mail-throughput.ts [DOMAINS=100] [CONCURRENCY=20]` as root
 * (starts the mail lab, which starts the DNS and web labs; needs postfix,
 * nginx, nsd, openssl, iproute2). It removes the namespace, the veth pair and
 * its processes at the end. Not part of the test suite.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultSettings } from "../src/checks/context.ts";
import { checksOf } from "../src/checks/registry.ts";
import { loadBgpOrigins, loadVrps } from "../src/checks/routing-data.ts";
import { checkAndScore } from "../src/checks/run.ts";
import type { CheckStatus } from "../src/checks/types.ts";
import { parseRecords } from "../src/dns/presentation.ts";
import { createResolver } from "../src/dns/resolver.ts";

const DOMAINS = Number(process.argv[2] ?? 100);
const CONCURRENCY = Number(process.argv[3] ?? 20);
const NS = "baseline-bench";
const HOST_IF = "bb-host";
const NS_IF = "bb-ns";
const ZONE = "bench.mail.secure";
const MX = `mx.${ZONE}`;
const INSIDE4 = "10.254.0.2";
const INSIDE6 = "fd00:5a5b::2";
const lab = fileURLToPath(new URL("../lab/", import.meta.url));
const PATH = `${process.env.PATH ?? ""}:/usr/sbin:/sbin`;

function run(command: string, args: string[], allowFailure = false): string {
  const result = spawnSync(command, args, { encoding: "utf8", env: { ...process.env, PATH } });
  if (result.status !== 0 && !allowFailure) throw new Error(`${command} ${args.join(" ")}: ${result.stderr.trim() || (result.error?.message ?? "")}`);
  return result.stdout;
}
const inNs = (command: string, args: string[]): string => run("ip", ["netns", "exec", NS, command, ...args]);

function teardown(children: ChildProcess[]): void {
  for (const child of children) child.kill("SIGTERM");
  run("ip", ["netns", "del", NS], true);
  run("ip", ["link", "del", HOST_IF], true);
}

function setUpNetwork(): boolean {
  teardown([]);
  run("ip", ["netns", "add", NS]);
  run("ip", ["link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF]);
  run("ip", ["link", "set", NS_IF, "netns", NS]);
  run("ip", ["addr", "add", "10.254.0.1/24", "dev", HOST_IF]);
  run("ip", ["-6", "addr", "add", "fd00:5a5b::1/64", "dev", HOST_IF, "nodad"]);
  run("ip", ["link", "set", HOST_IF, "up"]);
  inNs("ip", ["addr", "add", `${INSIDE4}/24`, "dev", NS_IF]);
  inNs("ip", ["-6", "addr", "add", `${INSIDE6}/64`, "dev", NS_IF, "nodad"]);
  inNs("ip", ["link", "set", NS_IF, "up"]);
  inNs("ip", ["link", "set", "lo", "up"]);
  const host = spawnSync("tc", ["qdisc", "add", "dev", HOST_IF, "root", "netem", "delay", "10ms"], { encoding: "utf8", env: { ...process.env, PATH } });
  if (host.status !== 0) {
    console.log(`no netem (${host.stderr.trim()}): delaying in user space instead`);
    return false;
  }
  inNs("tc", ["qdisc", "add", "dev", NS_IF, "root", "netem", "delay", "10ms"]);
  return true;
}

const domainName = (index: number): string => `d${String(index + 1).padStart(3, "0")}.${ZONE}`;

function makePki(dir: string): void {
  const openssl = (args: string[]): string => run("openssl", args);
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(dir, "ca.key"),
    "-subj", "/CN=Baseline mail bench CA", "-days", "2", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign", "-out", join(dir, "ca.pem")]);
  const leaf = (name: string, sans: string[]): void => {
    openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(dir, `${name}.key`), "-subj", `/CN=${sans[0] ?? name}`, "-out", join(dir, `${name}.csr`)]);
    writeFileSync(join(dir, `${name}.ext`), `basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans.map((san) => `DNS:${san}`).join(",")}\n`);
    openssl(["x509", "-req", "-in", join(dir, `${name}.csr`), "-CA", join(dir, "ca.pem"), "-CAkey", join(dir, "ca.key"), "-CAcreateserial", "-days", "2", "-extfile", join(dir, `${name}.ext`), "-out", join(dir, `${name}.pem`)]);
  };
  leaf("mx", [MX]);
  leaf("sts", Array.from({ length: DOMAINS }, (_, index) => `mta-sts.${domainName(index)}`));
  openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", join(dir, "dkim.key")]);
}

function txt(text: string): string {
  const parts: string[] = [];
  for (let at = 0; at < text.length; at += 250) parts.push(`"${text.slice(at, at + 250)}"`);
  return parts.join(" ");
}

function writeZone(dir: string, relay: boolean): void {
  const key = spawnSync("openssl", ["pkey", "-in", join(dir, "dkim.key"), "-pubout", "-outform", "DER"], { env: { ...process.env, PATH } }).stdout.toString("base64");
  const lines = [`$ORIGIN ${ZONE}.`, "$TTL 300", "@ SOA ns hostmaster 1 3600 900 604800 300", "@ NS ns", `ns A ${INSIDE4}`, `mx A ${INSIDE4}`, `mx AAAA ${INSIDE6}`];
  for (let index = 0; index < DOMAINS; index++) {
    const name = domainName(index).slice(0, -(ZONE.length + 1));
    lines.push(`${name} MX 10 ${MX}.`, `${name} TXT "v=spf1 mx -all"`,
      `_dmarc.${name} TXT "v=DMARC1; p=reject; rua=mailto:dmarc@${domainName(index)}"`,
      `lab._domainkey.${name} TXT ${txt(`v=DKIM1; k=rsa; p=${key}`)}`,
      `_mta-sts.${name} TXT "v=STSv1; id=1"`, `mta-sts.${name} A ${INSIDE4}`,
      `_smtp._tls.${name} TXT "v=TLSRPTv1; rua=mailto:tlsrpt@${domainName(index)}"`);
  }
  mkdirSync(join(dir, "zones"), { recursive: true });
  writeFileSync(join(dir, "zones", `${ZONE}.zone`), `${lines.join("\n")}\n`);
  writeFileSync(join(dir, "nsd.conf"), `server:
    ip-address: ${relay ? "127.0.0.1" : INSIDE4}
    port: 53
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    database: ""
    zonesdir: "${dir}/zones"
    pidfile: "${dir}/nsd.pid"
    logfile: "${dir}/nsd.log"
    zonelistfile: "${dir}/zone.list"
    xfrdfile: "${dir}/xfrd.state"
    rrl-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: "${ZONE}"
    zonefile: "${ZONE}.zone"
`);
}

function writeNginx(dir: string, relay: boolean): void {
  const https = relay ? "listen 127.0.0.1:443 ssl;" : `listen ${INSIDE4}:443 ssl;`;
  mkdirSync(join(dir, "tmp"), { recursive: true });
  writeFileSync(join(dir, "mta-sts.txt"), `version: STSv1\r\nmode: enforce\r\nmx: ${MX}\r\nmax_age: 604800\r\n`);
  writeFileSync(join(dir, "nginx.conf"), `daemon off;
worker_processes 2;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body; proxy_temp_path ${dir}/tmp/proxy; fastcgi_temp_path ${dir}/tmp/fastcgi; uwsgi_temp_path ${dir}/tmp/uwsgi; scgi_temp_path ${dir}/tmp/scgi;
  server {
    ${https}
    ssl_certificate ${dir}/sts.pem; ssl_certificate_key ${dir}/sts.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location = /.well-known/mta-sts.txt { default_type text/plain; alias ${dir}/mta-sts.txt; }
    location / { return 404; }
  }
}
`);
}

/** A Postfix master of its own: smtpd on port 25 only, nothing delivered. */
function writePostfix(dir: string, relay: boolean): string {
  const conf = join(dir, "postfix");
  const queue = join(conf, "queue");
  mkdirSync(conf, { recursive: true });
  for (const sub of ["active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "private", "saved", "trace"]) run("install", ["-d", "-o", "postfix", "-g", "root", "-m", "0700", join(queue, sub)]);
  run("install", ["-d", "-o", "root", "-g", "root", "-m", "0755", join(queue, "pid")]);
  run("install", ["-d", "-o", "postfix", "-g", "postdrop", "-m", "0730", join(queue, "maildrop")]);
  run("install", ["-d", "-o", "postfix", "-g", "postdrop", "-m", "0710", join(queue, "public")]);
  run("install", ["-d", "-o", "postfix", "-g", "postfix", "-m", "0700", join(conf, "data")]);
  writeFileSync(join(conf, "main.cf"), `compatibility_level = 3.6
queue_directory = ${queue}
data_directory = ${conf}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = ${MX}
mydestination =
relay_domains =
local_recipient_maps =
inet_interfaces = loopback-only
inet_protocols = all
smtpd_recipient_restrictions = reject
smtpd_relay_restrictions = reject
smtpd_tls_security_level = may
smtpd_tls_chain_files = ${dir}/mx.key, ${dir}/mx.pem
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_ciphers = high
tls_high_cipherlist = ECDHE+AESGCM:ECDHE+CHACHA20:@SECLEVEL=2
tls_preempt_cipherlist = yes
tls_ssl_options = NO_RENEGOTIATION
smtpd_tls_session_cache_database =
maillog_file = ${dir}/postfix.log
maillog_file_prefixes = ${dir}
smtpd_client_connection_rate_limit = 0
smtpd_client_connection_count_limit = 0
default_process_limit = 400
smtpd_peername_lookup = no
`);
  const services = readFileSync("/usr/share/postfix/master.cf.dist", "utf8").split("\n")
    .filter((line) => line !== "" && !line.startsWith("#") && !line.startsWith(" ") && !/^(smtp\s+inet|pickup)\s/.test(line))
    .map((line) => {
      const fields = line.split(/\s+/);
      if (fields.length >= 8 && fields[4] === "y") fields[4] = "n";
      return fields.join(" ");
    });
  const listeners = relay ? ["127.0.0.1:25"] : [`${INSIDE4}:25`, `[${INSIDE6}]:25`];
  writeFileSync(join(conf, "master.cf"), [...services, ...listeners.map((listener) => `${listener} inet n - n - - smtpd`)].join("\n") + "\n");
  return conf;
}

function startInNs(command: string, args: string[]): ChildProcess {
  return spawn("ip", ["netns", "exec", NS, command, ...args], { stdio: "ignore", env: { ...process.env, PATH } });
}

async function connectTime(address: string, port: number): Promise<number> {
  const times: number[] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    const begin = performance.now();
    await new Promise<void>((resolve, reject) => {
      const socket = createConnection({ host: address, port }, () => {
        socket.destroy();
        resolve();
      });
      socket.on("error", reject);
    });
    times.push(performance.now() - begin);
  }
  return times.sort((a, b) => a - b)[2] ?? 0;
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not come up`);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("needs root (a network namespace, ports 25, 53 and 443)");
  // The mail lab's start makes sure the DNS lab serves mail.secure. with the bench's delegation.
  const started = spawnSync("bash", [join(lab, "mail", "start.sh")], { encoding: "utf8" });
  if (started.status !== 0) throw new Error(`lab/mail/start.sh failed: ${started.stderr}`);
  const dir = mkdtempSync(join(tmpdir(), "baseline-mail-bench-"));
  chmodSync(dir, 0o755); // nginx's workers read the policy
  const children: ChildProcess[] = [];
  // Interrupted (Ctrl-C, timeout): take the namespace and its servers down all the same.
  const interrupted = (): void => {
    teardown(children);
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    const delayed = setUpNetwork();
    makePki(dir);
    writeZone(dir, !delayed);
    writeNginx(dir, !delayed);
    const postfix = writePostfix(dir, !delayed);
    if (!delayed) children.push(startInNs(process.execPath, [fileURLToPath(import.meta.url), "--relay"]));
    children.push(startInNs("nsd", ["-d", "-c", join(dir, "nsd.conf")]));
    children.push(startInNs("nginx", ["-c", join(dir, "nginx.conf"), "-e", join(dir, "nginx.log")]));
    children.push(startInNs("/usr/lib/postfix/sbin/master", ["-c", postfix, "-d"]));
    await waitFor(() => spawnSync("dig", ["+short", "+time=1", "+tries=1", `@${INSIDE4}`, MX, "A"], { encoding: "utf8" }).stdout.includes(INSIDE4), "NSD in the namespace");
    // The servers themselves, inside the namespace: in relay mode the relay accepts on the public addresses before they are up.
    const server = delayed ? INSIDE4 : "127.0.0.1";
    const greets = (): boolean =>
      spawnSync("ip", ["netns", "exec", NS, "timeout", "2", "bash", "-c", `exec 3<>/dev/tcp/${server}/25; read -r line <&3; [[ $line == 220* ]]`], { env: { ...process.env, PATH } }).status === 0;
    await waitFor(greets, "Postfix in the namespace");
    await waitFor(() => spawnSync("ip", ["netns", "exec", NS, "bash", "-c", `exec 3<>/dev/tcp/${server}/443`], { env: { ...process.env, PATH } }).status === 0, "nginx in the namespace");
    const rtt = (await connectTime(INSIDE4, 25)).toFixed(1);
    const dnsTime = /Query time: (\d+) msec/.exec(spawnSync("dig", ["+tries=1", `@${INSIDE4}`, MX, "A"], { encoding: "utf8" }).stdout)?.[1] ?? "?";

    const resolver = createResolver({
      rootHints: parseRecords(readFileSync(join(lab, "dns/run/root.hints"), "utf8"), "root.hints"),
      trustAnchors: parseRecords(readFileSync(join(lab, "dns/run/root-anchor.ds"), "utf8"), "root-anchor.ds"),
      allowPrivate: true,
    });
    const vrps = join(lab, "net/rpki/vrps.json");
    const origins = join(lab, "net/rpki/bgp-origins.txt");
    const settings = defaultSettings(resolver, {
      allowPrivate: true,
      extraCa: [readFileSync(join(dir, "ca.pem"), "utf8")],
      routing: { vrps: loadVrps(vrps), origins: loadBgpOrigins(origins), sources: { vrps, origins } },
      dkimSelectors: ["lab"],
    });
    const domains = Array.from({ length: DOMAINS }, (_, index) => domainName(index));
    const statuses = new Map<CheckStatus, number>();
    const notPassed = new Map<string, number>();
    const example = new Map<string, string>();
    let next = 0;
    const begin = performance.now();
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, DOMAINS) }, async () => {
      while (next < domains.length) {
        const domain = domains[next++] ?? "";
        const report = await checkAndScore(domain, "mail", settings);
        for (const test of report.tests) {
          statuses.set(test.status, (statuses.get(test.status) ?? 0) + 1);
          if (test.status === "passed") continue;
          const key = `${test.id} ${test.status}`;
          notPassed.set(key, (notPassed.get(key) ?? 0) + 1);
          if (!example.has(key)) example.set(key, test.summary);
        }
      }
    }));
    const seconds = (performance.now() - begin) / 1000;
    console.log(`mail suite: ${checksOf("mail").length} checks registered; ${DOMAINS} domains, ${CONCURRENCY} at a time, TCP connect ${rtt} ms, DNS query ${dnsTime} ms; ${delayed ? "netem: 10 ms each way on every packet" : "no netem on this kernel: a userspace relay delays every DNS datagram and TCP data chunk 10 ms each way (TCP handshakes themselves are not delayed)"}`);
    console.log(`  ${seconds.toFixed(1)} s: ${((DOMAINS / seconds) * 60).toFixed(0)} domains/minute`);
    console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
    console.log(`  test statuses: ${[...statuses].map(([status, count]) => `${status} ${count}`).join(", ") || "none (no checks registered)"}`);
    console.log("  not passed (the bench zone is unsigned, so no DNSSEC or DANE; its name server has no AAAA):");
    for (const [key, count] of [...notPassed].sort()) console.log(`    ${key} ×${count}: ${example.get(key) ?? ""}`);
    // Postfix's own complaints (limits reached, TLS failures), if any.
    let log = "";
    try {
      log = readFileSync(join(dir, "postfix.log"), "utf8");
    } catch {
      // No log: Postfix said nothing.
    }
    // The TLS probes' refused handshakes (old versions, odd suites) are expected noise.
    const warnings = log.split("\n").filter((line) => /warning|fatal|error/i.test(line) && !/SSL_accept error|TLS library problem/.test(line));
    if (warnings.length > 0) console.log(`  Postfix logged ${String(warnings.length)} other warnings, e.g.:\n    ${warnings.slice(0, 5).join("\n    ")}`);
  } finally {
    teardown(children);
    rmSync(dir, { recursive: true, force: true });
  }
}

const RELAY_DELAY_MS = 10;

/**
 * The userspace stand-in for netem (runs inside the namespace), as in
 * bench/web-throughput.ts: forwards the namespace's public addresses to the
 * servers on 127.0.0.1, holding every DNS datagram and TCP data chunk 10 ms
 * each way (equal delays keep each direction's order).
 */
async function runRelay(): Promise<void> {
  const { createServer, connect: tcpConnect } = await import("node:net");
  const { createSocket } = await import("node:dgram");
  for (const port of [25, 53, 443]) {
    for (const address of port === 25 ? [INSIDE4, INSIDE6] : [INSIDE4]) {
      createServer({ allowHalfOpen: true }, (client) => {
        const upstream = tcpConnect({ host: "127.0.0.1", port, allowHalfOpen: true });
        const pipe = (from: typeof client, to: typeof client): void => {
          from.on("data", (chunk: Buffer) => setTimeout(() => to.write(chunk), RELAY_DELAY_MS));
          from.on("end", () => setTimeout(() => to.end(), RELAY_DELAY_MS));
          from.on("error", () => to.destroy());
          from.on("close", (hadError: boolean) => {
            if (hadError) to.destroy();
          });
        };
        pipe(client, upstream);
        pipe(upstream, client);
      }).listen(port, address);
    }
  }
  const udp = createSocket("udp4");
  udp.on("message", (query, client) => {
    setTimeout(() => {
      const upstream = createSocket("udp4");
      const timer = setTimeout(() => upstream.close(), 5000);
      upstream.on("message", (answer) => {
        clearTimeout(timer);
        upstream.close();
        setTimeout(() => udp.send(answer, client.port, client.address), RELAY_DELAY_MS);
      });
      upstream.send(query, 53, "127.0.0.1");
    }, RELAY_DELAY_MS);
  });
  udp.bind(53, INSIDE4);
}

if (process.argv[2] === "--relay") await runRelay();
else await main();
