/**
 * Web suite throughput: 200 lab domains behind a 20 ms round trip.
 *
 * A network namespace ("baseline-bench") hangs off the host by a veth pair
 * (10.254.0.1 on the host, 10.254.0.2 inside; fd00:5a5b::1 and ::2), with
 * netem adding 10 ms on each end, so every packet exchange costs 20 ms. Inside
 * it run nginx (one wildcard certificate *.bench.web.secure from a CA made
 * for this run, HSTS, security headers, security.txt, ports 80 and 443 on
 * both addresses) and NSD with the unsigned zone bench.web.secure
 * (`* A 10.254.0.2`, `* AAAA fd00:5a5b::2`), which the DNS lab's signed
 * web.secure. delegates there. So every domain is resolved from the lab's
 * root, the last step across the delayed link, and every probe crosses it.
 *
 * Then the whole web suite runs over d001..d200.bench.web.secure, CONCURRENCY
 * domains at a time, and the bench prints domains per minute, peak RSS and
 * how many tests ended in each status.
 *
 * Without sch_netem in the kernel (Firecracker guests), the servers listen on
 * 127.0.0.1 inside the namespace and this file, run with --relay there,
 * forwards from the namespace's addresses holding every DNS datagram and TCP
 * data chunk 10 ms each way (runRelay).
 *
 * Run: `node bench/web-throughput.ts [DOMAINS] [CONCURRENCY]` as root (starts
 * the DNS lab when it is not running; needs nginx, nsd, openssl, iproute2).
 * It removes the namespace, the veth pair and its processes at the end.
 * Not part of the test suite.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultSettings } from "../src/checks/context.ts";
import { loadBgpOrigins, loadVrps } from "../src/checks/routing-data.ts";
import { checkAndScore } from "../src/checks/run.ts";
import { checksOf } from "../src/checks/registry.ts";
import type { CheckStatus } from "../src/checks/types.ts";
import { parseRecords } from "../src/dns/presentation.ts";
import { createResolver } from "../src/dns/resolver.ts";

const DOMAINS = Number(process.argv[2] ?? 200);
const CONCURRENCY = Number(process.argv[3] ?? 20);
const NS = "baseline-bench";
const HOST_IF = "bb-host";
const NS_IF = "bb-ns";
const ZONE = "bench.web.secure";
const INSIDE4 = "10.254.0.2";
const INSIDE6 = "fd00:5a5b::2";
const labDns = fileURLToPath(new URL("../lab/dns/", import.meta.url));
const labNet = fileURLToPath(new URL("../lab/net/", import.meta.url));
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
  teardown([]); // whatever a crashed run left
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
  // 10 ms each way: a 20 ms round trip for every exchange across the link.
  // Some kernels (e.g. Firecracker guests) have no sch_netem: then a relay in
  // the namespace (runRelay) adds the delay in user space, and the bench says so.
  const host = spawnSync("tc", ["qdisc", "add", "dev", HOST_IF, "root", "netem", "delay", "10ms"], { encoding: "utf8", env: { ...process.env, PATH } });
  if (host.status !== 0) {
    console.log(`no netem (${host.stderr.trim()}): delaying in user space instead`);
    return false;
  }
  inNs("tc", ["qdisc", "add", "dev", NS_IF, "root", "netem", "delay", "10ms"]);
  return true;
}

function makePki(dir: string): void {
  const openssl = (args: string[]): string => run("openssl", args);
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(dir, "ca.key"),
    "-subj", "/CN=Baseline bench CA", "-days", "2", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign", "-out", join(dir, "ca.pem")]);
  openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(dir, "leaf.key"), "-subj", `/CN=*.${ZONE}`, "-out", join(dir, "leaf.csr")]);
  writeFileSync(join(dir, "leaf.ext"), `basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:*.${ZONE}\n`);
  openssl(["x509", "-req", "-in", join(dir, "leaf.csr"), "-CA", join(dir, "ca.pem"), "-CAkey", join(dir, "ca.key"), "-CAcreateserial", "-days", "2", "-extfile", join(dir, "leaf.ext"), "-out", join(dir, "leaf.pem")]);
}

/**
 * Writes nginx's and NSD's configs. With `relay`, they listen on 127.0.0.1
 * inside the namespace and the delay relay holds the public addresses.
 */
function writeServers(dir: string, relay: boolean): void {
  const http = relay ? "listen 127.0.0.1:80;" : `listen ${INSIDE4}:80; listen [${INSIDE6}]:80;`;
  const https = relay ? "listen 127.0.0.1:443 ssl;" : `listen ${INSIDE4}:443 ssl; listen [${INSIDE6}]:443 ssl;`;
  const expires = new Date(Date.now() + 180 * 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");
  run("mkdir", ["-p", join(dir, "www/.well-known"), join(dir, "tmp"), join(dir, "zones")]);
  writeFileSync(join(dir, "www/index.html"), `<!doctype html><title>bench</title>${"<p>Baseline throughput bench.</p>\n".repeat(40)}`);
  writeFileSync(join(dir, "www/.well-known/security.txt"), `Contact: mailto:security@${ZONE}\nExpires: ${expires}\nEncryption: https://${ZONE}/pgp-key.txt\n`);
  const headers = [
    'Strict-Transport-Security "max-age=31536000"', 'X-Frame-Options "DENY"', 'X-Content-Type-Options "nosniff"', 'Referrer-Policy "no-referrer"',
    "Content-Security-Policy \"default-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'\"",
  ].map((header) => `    add_header ${header} always;`).join("\n");
  writeFileSync(join(dir, "nginx.conf"), `daemon off;
worker_processes 2;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  include /etc/nginx/mime.types;
  client_body_temp_path ${dir}/tmp/body; proxy_temp_path ${dir}/tmp/proxy; fastcgi_temp_path ${dir}/tmp/fastcgi; uwsgi_temp_path ${dir}/tmp/uwsgi; scgi_temp_path ${dir}/tmp/scgi;
  server { ${http} location / { return 301 https://$host$request_uri; } }
  server {
    ${https}
    ssl_certificate ${dir}/leaf.pem; ssl_certificate_key ${dir}/leaf.key;
    ssl_protocols TLSv1.2 TLSv1.3; ssl_prefer_server_ciphers on; ssl_ecdh_curve X25519:prime256v1:secp384r1;
    ssl_ciphers "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:@SECLEVEL=2";
    root ${dir}/www;
    location = /.well-known/security.txt { types { } default_type "text/plain; charset=utf-8"; }
${headers}
  }
}
`);
  writeFileSync(join(dir, "zones", `${ZONE}.zone`), `$ORIGIN ${ZONE}.\n$TTL 300\n@ SOA ns hostmaster 1 3600 900 604800 300\n@ NS ns\nns A ${INSIDE4}\n* A ${INSIDE4}\n* AAAA ${INSIDE6}\n`);
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

function startInNs(command: string, args: string[]): ChildProcess {
  return spawn("ip", ["netns", "exec", NS, command, ...args], { stdio: "ignore", env: { ...process.env, PATH } });
}

/** The median of five TCP connects to ADDRESS:PORT in ms: one round trip each. */
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
  for (let attempt = 0; attempt < 100; attempt++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not come up`);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("needs root (a network namespace, ports 53, 80 and 443)");
  const started = spawnSync("bash", [join(labDns, "start.sh")], { encoding: "utf8" });
  if (started.status !== 0) throw new Error(`lab/dns/start.sh failed: ${started.stderr}`);
  const dir = mkdtempSync(join(tmpdir(), "baseline-bench-"));
  chmodSync(dir, 0o755); // nginx's workers (www-data) read the content
  const children: ChildProcess[] = [];
  try {
    const delayed = setUpNetwork();
    makePki(dir);
    writeServers(dir, !delayed);
    if (!delayed) children.push(startInNs(process.execPath, [fileURLToPath(import.meta.url), "--relay"]));
    children.push(startInNs("nsd", ["-d", "-c", join(dir, "nsd.conf")]));
    children.push(startInNs("nginx", ["-c", join(dir, "nginx.conf"), "-e", join(dir, "nginx.log")]));
    await waitFor(() => spawnSync("dig", ["+short", "+time=1", "+tries=1", `@${INSIDE4}`, `x.${ZONE}`, "A"], { encoding: "utf8" }).stdout.includes(INSIDE4), "NSD in the namespace");
    await waitFor(() => spawnSync("bash", ["-c", `exec 3<>/dev/tcp/${INSIDE4}/443`]).status === 0, "nginx in the namespace");
    const rtt = (await connectTime(INSIDE4, 443)).toFixed(1);
    const dnsTime = /Query time: (\d+) msec/.exec(spawnSync("dig", ["+tries=1", `@${INSIDE4}`, `probe.${ZONE}`, "A"], { encoding: "utf8" }).stdout)?.[1] ?? "?";

    const resolver = createResolver({
      rootHints: parseRecords(readFileSync(join(labDns, "run/root.hints"), "utf8"), "root.hints"),
      trustAnchors: parseRecords(readFileSync(join(labDns, "run/root-anchor.ds"), "utf8"), "root-anchor.ds"),
      allowPrivate: true,
    });
    const vrps = join(labNet, "rpki/vrps.json");
    const origins = join(labNet, "rpki/bgp-origins.txt");
    const settings = defaultSettings(resolver, {
      allowPrivate: true,
      extraCa: [readFileSync(join(dir, "ca.pem"), "utf8")],
      routing: { vrps: loadVrps(vrps), origins: loadBgpOrigins(origins), sources: { vrps, origins } },
    });
    const domains = Array.from({ length: DOMAINS }, (_, index) => `d${String(index + 1).padStart(3, "0")}.${ZONE}`);
    const statuses = new Map<CheckStatus, number>();
    const notPassed = new Map<string, number>();
    const example = new Map<string, string>();
    let next = 0;
    const begin = performance.now();
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, DOMAINS) }, async () => {
      while (next < domains.length) {
        const domain = domains[next++] ?? "";
        const report = await checkAndScore(domain, "web", settings);
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
    const checks = checksOf("web").length;
    console.log(`web suite: ${checks} checks registered; ${DOMAINS} domains, ${CONCURRENCY} at a time, TCP connect ${rtt} ms, DNS query ${dnsTime} ms; ${delayed ? "netem: 10 ms each way on every packet" : "no netem on this kernel: a userspace relay delays every DNS datagram and TCP data chunk 10 ms each way (TCP handshakes themselves are not delayed)"}`);
    console.log(`  ${seconds.toFixed(1)} s: ${((DOMAINS / seconds) * 60).toFixed(0)} domains/minute`);
    console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
    console.log(`  test statuses: ${[...statuses].map(([status, count]) => `${status} ${count}`).join(", ") || "none (no checks registered)"}`);
    console.log("  not passed (the bench zone is unsigned, without CAA or TLSA, its name server has no AAAA):");
    for (const [key, count] of [...notPassed].sort()) console.log(`    ${key} ×${count}: ${example.get(key) ?? ""}`);
  } finally {
    teardown(children);
    rmSync(dir, { recursive: true, force: true });
  }
}

const RELAY_DELAY_MS = 10;

/** After `ms`, in order: the relay's queue for one direction of one connection. */
function delayed(ms: number, action: () => void): void {
  setTimeout(action, ms);
}

/**
 * The userspace stand-in for netem (runs inside the namespace): listens on
 * the namespace's public addresses and forwards to the servers on
 * 127.0.0.1, holding every DNS datagram and every TCP data chunk 10 ms in
 * each direction. Equal delays keep each direction's order (timers of equal
 * duration fire in the order they were set).
 */
async function runRelay(): Promise<void> {
  const { createServer, connect: tcpConnect } = await import("node:net");
  const { createSocket } = await import("node:dgram");
  for (const port of [53, 80, 443]) {
    for (const address of port === 53 ? [INSIDE4] : [INSIDE4, INSIDE6]) {
      createServer({ allowHalfOpen: true }, (client) => {
        const upstream = tcpConnect({ host: "127.0.0.1", port, allowHalfOpen: true });
        const pipe = (from: typeof client, to: typeof client): void => {
          from.on("data", (chunk: Buffer) => delayed(RELAY_DELAY_MS, () => to.write(chunk)));
          from.on("end", () => delayed(RELAY_DELAY_MS, () => to.end()));
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
    delayed(RELAY_DELAY_MS, () => {
      const upstream = createSocket("udp4");
      const timer = setTimeout(() => upstream.close(), 5000);
      upstream.on("message", (answer) => {
        clearTimeout(timer);
        upstream.close();
        delayed(RELAY_DELAY_MS, () => udp.send(answer, client.port, client.address));
      });
      upstream.send(query, 53, "127.0.0.1");
    });
  });
  udp.bind(53, INSIDE4);
}

if (process.argv[2] === "--relay") await runRelay();
else await main();
