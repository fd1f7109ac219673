/**
 * The delayed network the throughput benches share: a network namespace
 * ("baseline-bench") hanging off the host by a veth pair (10.254.0.1 on the
 * host, 10.254.0.2 inside; fd00:5a5b::1 and ::2) with 10 ms added each way,
 * so every exchange across it costs a 20 ms round trip.
 *
 * The delay comes from netem when the kernel has sch_netem. Firecracker
 * guests do not: then the servers listen on 127.0.0.1 inside the namespace
 * and a user-space relay (bench/lib/delay-relay.ts) holds the public
 * addresses, delaying every DNS datagram and TCP data chunk 10 ms each way.
 *
 * Use: `const lab = await openNetnsLab()`; write configs that listen where
 * `lab.listen4`/`lab.listen6` say; `lab.start(...)` each server (and
 * `lab.startRelay(...)` when `!lab.netem`); `lab.waitFor(...)`; always
 * `lab.close()` at the end (it also runs on SIGINT/SIGTERM).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const NS = "baseline-bench";
const HOST_IF = "bb-host";
const NS_IF = "bb-ns";
export const INSIDE4 = "10.254.0.2";
export const INSIDE6 = "fd00:5a5b::2";
/** ip, tc and the servers live in sbin, which a root shell's PATH may lack. */
export const ENV = { ...process.env, PATH: `${process.env.PATH ?? ""}:/usr/sbin:/sbin` };
const RELAY = fileURLToPath(new URL("./delay-relay.ts", import.meta.url));

/** Runs COMMAND and returns its stdout; throws with its stderr on failure unless allowFailure. */
export function run(command: string, args: string[], allowFailure = false): string {
  const result = spawnSync(command, args, { encoding: "utf8", env: ENV });
  if (result.status !== 0 && !allowFailure) throw new Error(`${command} ${args.join(" ")}: ${result.stderr.trim() || (result.error?.message ?? "")}`);
  return result.stdout;
}

/** Runs COMMAND inside the namespace and tells whether it exited 0. */
export function succeedsInNs(command: string, args: string[]): boolean {
  return spawnSync("ip", ["netns", "exec", NS, command, ...args], { env: ENV }).status === 0;
}

function removeNetwork(): void {
  run("ip", ["netns", "del", NS], true);
  run("ip", ["link", "del", HOST_IF], true);
}

/** Builds the namespace and veth pair; true when netem delays the link, false when the relay must. */
function setUpNetwork(): boolean {
  removeNetwork(); // whatever a crashed run left
  const inNs = (command: string, args: string[]): string => run("ip", ["netns", "exec", NS, command, ...args]);
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
  const host = spawnSync("tc", ["qdisc", "add", "dev", HOST_IF, "root", "netem", "delay", "10ms"], { encoding: "utf8", env: ENV });
  if (host.status !== 0) {
    console.log(`no netem (${host.stderr.trim()}): delaying in user space instead`);
    return false;
  }
  inNs("tc", ["qdisc", "add", "dev", NS_IF, "root", "netem", "delay", "10ms"]);
  return true;
}

/** A TCP port the relay forwards, on the namespace's IPv4 address and, with v6, its IPv6 one. */
export interface RelayPort {
  port: number;
  v6: boolean;
}

export interface NetnsLab {
  /** A temp dir (mode 755, so nginx's workers can read it) for configs, keys and logs; removed by close(). */
  dir: string;
  /** True when netem delays the link; false when servers must sit behind the relay. */
  netem: boolean;
  /** The IPv4 address servers listen on: INSIDE4 under netem, 127.0.0.1 behind the relay. */
  listen4: string;
  /** The IPv6 address servers listen on, or undefined behind the relay (it listens on INSIDE6 itself). */
  listen6: string | undefined;
  /** How the delay is made, for the bench's report line. */
  delayNote: string;
  /** Starts COMMAND inside the namespace; close() stops it. */
  start(command: string, args: string[]): ChildProcess;
  /** Starts the user-space delay relay for these TCP ports (and UDP 53 on INSIDE4). */
  startRelay(ports: RelayPort[]): void;
  /** Removes the namespace, the veth pair, the servers and the temp dir. */
  close(): void;
}

/** Sets up the delayed namespace (as root); the caller must close() it. */
export function openNetnsLab(dirPrefix: string): NetnsLab {
  if (process.getuid?.() !== 0) throw new Error("needs root (a network namespace and low ports)");
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  chmodSync(dir, 0o755);
  const children: ChildProcess[] = [];
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    for (const child of children) child.kill("SIGTERM");
    removeNetwork();
    rmSync(dir, { recursive: true, force: true });
  };
  // Interrupted (Ctrl-C, timeout): take the namespace and its servers down all the same.
  const interrupted = (): void => {
    close();
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  let netem: boolean;
  try {
    netem = setUpNetwork();
  } catch (error) {
    close();
    throw error;
  }
  // The servers log to files in dir; the relay has nowhere else to say why it died.
  const startWith = (stderr: "ignore" | "inherit", command: string, args: string[]): ChildProcess => {
    const child = spawn("ip", ["netns", "exec", NS, command, ...args], { stdio: ["ignore", "ignore", stderr], env: ENV });
    children.push(child);
    return child;
  };
  return {
    dir,
    netem,
    listen4: netem ? INSIDE4 : "127.0.0.1",
    listen6: netem ? INSIDE6 : undefined,
    delayNote: netem
      ? "netem: 10 ms each way on every packet"
      : "no netem on this kernel: a userspace relay delays every DNS datagram and TCP data chunk 10 ms each way (TCP handshakes themselves are not delayed)",
    start: (command, args) => startWith("ignore", command, args),
    startRelay: (ports) => {
      startWith("inherit", process.execPath, [RELAY, ...ports.map(({ port, v6 }) => `${String(port)}${v6 ? "/6" : ""}`)]);
    },
    close,
  };
}

/** Polls CHECK every 100 ms, up to TRIES times; throws "WHAT did not come up" after. */
export async function waitFor(check: () => boolean, what: string, tries = 100): Promise<void> {
  for (let attempt = 0; attempt < tries; attempt++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not come up`);
}

/** Whether a TCP connect to ADDRESS:PORT from inside the namespace succeeds (the servers themselves, behind the relay too). */
export const acceptsInNs = (address: string, port: number): boolean => succeedsInNs("bash", ["-c", `exec 3<>/dev/tcp/${address}/${String(port)}`]);

/**
 * Whether a TCP connect from the host to INSIDE4:PORT succeeds: the path the
 * checks take, so behind the relay it also says the relay is up.
 */
export const acceptsFromHost = (port: number): boolean => spawnSync("bash", ["-c", `exec 3<>/dev/tcp/${INSIDE4}/${String(port)}`]).status === 0;

/** The median of five TCP connects to ADDRESS:PORT in ms: one round trip each. */
export async function connectTime(address: string, port: number): Promise<number> {
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

/** dig's "Query time" for NAME A asked of INSIDE4, in ms ("?" when dig said none). */
export function dnsQueryTime(name: string): string {
  return /Query time: (\d+) msec/.exec(spawnSync("dig", ["+tries=1", `@${INSIDE4}`, name, "A"], { encoding: "utf8" }).stdout)?.[1] ?? "?";
}

/**
 * Whether NSD in the namespace answers NAME A with INSIDE4. An answer line,
 * not a substring: dig prints ";; communications error to 10.254.0.2#53"
 * on stdout too.
 */
export function answersA(name: string): boolean {
  return spawnSync("dig", ["+short", "+time=1", "+tries=1", `@${INSIDE4}`, name, "A"], { encoding: "utf8" }).stdout.split("\n").includes(INSIDE4);
}

/**
 * Writes LAB.dir/nsd.conf serving the zone file LAB.dir/zones/ZONE.zone
 * (the caller writes that) on LAB.listen4 port 53, without rate limiting.
 */
export function writeNsdConf(lab: NetnsLab, zone: string): string {
  const conf = join(lab.dir, "nsd.conf");
  writeFileSync(conf, `server:
    ip-address: ${lab.listen4}
    port: 53
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    database: ""
    zonesdir: "${lab.dir}/zones"
    pidfile: "${lab.dir}/nsd.pid"
    logfile: "${lab.dir}/nsd.log"
    zonelistfile: "${lab.dir}/zone.list"
    xfrdfile: "${lab.dir}/xfrd.state"
    rrl-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: "${zone}"
    zonefile: "${zone}.zone"
`);
  return conf;
}

/** nginx.conf's common head (daemon off, pid, logs, temp paths under DIR), around the http block's BODY. */
export function nginxConf(dir: string, body: string): string {
  return `daemon off;
worker_processes 2;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body; proxy_temp_path ${dir}/tmp/proxy; fastcgi_temp_path ${dir}/tmp/fastcgi; uwsgi_temp_path ${dir}/tmp/uwsgi; scgi_temp_path ${dir}/tmp/scgi;
${body}}
`;
}

const openssl = (args: string[]): string => run("openssl", args);

/** A P-256 CA for this run: DIR/ca.pem and DIR/ca.key. */
export function makeCa(dir: string, commonName: string): void {
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(dir, "ca.key"),
    "-subj", `/CN=${commonName}`, "-days", "2", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign", "-out", join(dir, "ca.pem")]);
}

/** A P-256 server certificate DIR/NAME.pem (key DIR/NAME.key) for SANS, signed by makeCa's CA. */
export function issueLeaf(dir: string, name: string, sans: string[]): void {
  openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(dir, `${name}.key`), "-subj", `/CN=${sans[0] ?? name}`, "-out", join(dir, `${name}.csr`)]);
  writeFileSync(join(dir, `${name}.ext`), `basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans.map((san) => `DNS:${san}`).join(",")}\n`);
  openssl(["x509", "-req", "-in", join(dir, `${name}.csr`), "-CA", join(dir, "ca.pem"), "-CAkey", join(dir, "ca.key"), "-CAcreateserial", "-days", "2", "-extfile", join(dir, `${name}.ext`), "-out", join(dir, `${name}.pem`)]);
}
