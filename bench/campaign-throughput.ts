/**
 * Campaign throughput: 1,000 lab web or mail domains behind a 20 ms round trip,
 * checked as a campaign run, by the embedded runner (`baseline serve` on
 * SQLite) and by 1, 2 and 4 `baseline worker` processes on pg-boss
 * (PostgreSQL), against the same checks run directly (inOrder of
 * src/checks/batch.ts, as `baseline check` does) as the peer. It prints
 * domains per minute, the queue's overhead against the peer, peak resident
 * memory per process, and the fault runs: a worker SIGKILLed mid-run,
 * PostgreSQL restarted mid-run, a server on SQLite SIGKILLed and started
 * again; each must end with exactly one result per domain.
 *
 * The network is bench/lib/netns-lab.ts's delayed namespace (netem, or the
 * user-space relay on kernels without it), with nginx and NSD inside as in
 * bench/web-throughput.ts, except that each domain has addresses of its own
 * (dNNNN A 10.254.4.0/22, AAAA fd00:5a5b::1:N), as a campaign's domains
 * mostly do: the per-address connection limit (4 at once, fleet-wide) then
 * bounds each domain, not the whole campaign.
 *
 * The mail half (part `mail`) checks the mail suite over dNNNN.bench.mail.secure
 * (which the mail lab's DNS delegates into the namespace) instead: Postfix as
 * in bench/mail-throughput.ts, nginx for the MTA-STS policy hosts, NSD with
 * each domain's MX, SPF, DMARC, DKIM, MTA-STS and TLS-RPT records. The
 * domains share MX hosts as hosted mail does: 1,000 domains over 250 MX
 * hosts (mxNNN, DOMAINS/4 of them, at most 250), each with addresses of its
 * own (10.254.8.0/24, fd00:5a5b::2:N), a domain's host picked by a hash of
 * its name (so some hosts serve one domain, some eight or more, and the
 * domains checked at once sometimes share one); a domain's MTA-STS policy
 * host sits on its MX host's IPv4 address. The workers and the server take no
 * DKIM selectors, so neither does the direct peer: every mode checks alike.
 *
 * PostgreSQL is a private cluster (bench/lib/private-postgres.ts), so that
 * restarting it touches nothing else. Every configuration checks CONCURRENCY
 * domains at once in total (split over the workers), so that the figures
 * compare the machinery, not more parallel work on two cores.
 *
 * Run: `node bench/campaign-throughput.ts [DOMAINS=1000] [CONCURRENCY=20] [PARTS]`
 * (PARTS: some of unlimited,direct,embedded,workers,faults, and `mail` for
 * the mail half; default all the web parts; `mail` alone means
 * mail,direct,embedded,workers) as root (starts the DNS lab, or the mail
 * lab for `mail`; takes the lab lock; needs nginx, nsd, openssl, iproute2,
 * postfix for `mail`, and PostgreSQL's initdb/pg_ctl). Not part of the tests.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { CampaignEngine } from "../src/campaigns/engine.ts";
import { createRun, getRun, manualSlot, type RunRecord } from "../src/campaigns/runs.ts";
import { inOrder } from "../src/checks/batch.ts";
import { checkAndScore } from "../src/checks/run.ts";
import { LocalAddressLimiter } from "../src/jobs/address-limit.ts";
import { PgBossQueue } from "../src/jobs/pg-boss.ts";
import { openDatabase, type Store } from "../src/store/index.ts";
import { acquireLab, releaseLab } from "../test/lab/lab-lock.ts";
import { mailRecords, makeDkimKey } from "./lib/mail-records.ts";
import { ENV, INSIDE4, NS, acceptsFromHost, acceptsInNs, connectTime, dnsQueryTime, issueLeaf, makeCa, nginxConf, openNetnsLab, run, succeedsInNs, waitFor, writeNsdConf, type NetnsLab } from "./lib/netns-lab.ts";
import { postfixWarnings, writePostfix } from "./lib/postfix.ts";
import { PrivateCluster, privateClusterUnavailable } from "./lib/private-postgres.ts";
import { benchDomain, labSettings } from "./lib/suite-throughput.ts";

const DOMAINS = Number(process.argv[2] ?? 1000);
const CONCURRENCY = Number(process.argv[3] ?? 20);
const KNOWN_PARTS = ["unlimited", "direct", "embedded", "workers", "faults", "mail"];
/** Which parts to run (comma-separated): direct, unlimited, embedded, workers, faults; default all; `mail` for the mail half. */
const GIVEN = (process.argv[4] ?? "unlimited,direct,embedded,workers,faults").split(",");
for (const part of GIVEN) {
  if (!KNOWN_PARTS.includes(part)) {
    console.error(`parts ${process.argv[4] ?? ""}: "${part}" is not one of ${KNOWN_PARTS.join(", ")}`);
    process.exit(2);
  }
}
/** The mail half: the mail suite over mail domains, in the modes given with it (or direct, embedded, workers). */
const MAIL = GIVEN.includes("mail");
const PARTS = new Set(MAIL && GIVEN.length === 1 ? ["direct", "embedded", "workers"] : GIVEN.filter((part) => part !== "mail"));
const SUITE: "web" | "mail" = MAIL ? "mail" : "web";
const ZONE = MAIL ? "bench.mail.secure" : "bench.web.secure";
/** The mail half's MX hosts: four domains each on average, at most 250 (one /24). */
const MX_HOSTS = Math.min(250, Math.max(1, Math.ceil(DOMAINS / 4)));
const PER_ADDRESS = 4;
const LEASE_SECONDS = 10;
const root = fileURLToPath(new URL("../", import.meta.url));
const bin = join(root, "bin/baseline.js");
const labDns = join(root, "lab/dns/");

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The MX host (from 0) of the INDEX-th mail domain: a hash of its name, as a hoster's customers spread over its hosts. */
function mxHostOf(index: number): number {
  return createHash("sha256").update(benchDomain(index, ZONE)).digest().readUInt32BE(0) % MX_HOSTS;
}

const mxName = (host: number): string => `mx${String(host + 1).padStart(3, "0")}.${ZONE}`;

/** The HOST-th MX host's own addresses. */
function mxAddressesOf(host: number): { v4: string; v6: string } {
  return { v4: `10.254.8.${host + 1}`, v6: `fd00:5a5b::2:${(host + 1).toString(16)}` };
}

/** The INDEX-th domain's own addresses. */
function addressesOf(index: number): { v4: string; v6: string } {
  return { v4: `10.254.${4 + Math.floor(index / 250)}.${(index % 250) + 1}`, v6: `fd00:5a5b::1:${(index + 1).toString(16)}` };
}

function writeServers(lab: NetnsLab): void {
  const { dir } = lab;
  // Behind the relay the servers listen on loopback; under netem on every address of the namespace.
  const on = (port: string): string => (lab.netem ? `listen ${port}; listen [::]:${port};` : `listen ${lab.listen4}:${port};`);
  const expires = new Date(Date.now() + 180 * 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");
  for (const sub of ["www/.well-known", "tmp", "zones"]) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, "www/index.html"), `<!doctype html><title>bench</title>${"<p>Baseline campaign bench.</p>\n".repeat(40)}`);
  writeFileSync(join(dir, "www/.well-known/security.txt"), `Contact: mailto:security@${ZONE}\nExpires: ${expires}\n`);
  const headers = [
    'Strict-Transport-Security "max-age=31536000"', 'X-Frame-Options "DENY"', 'X-Content-Type-Options "nosniff"', 'Referrer-Policy "no-referrer"',
    "Content-Security-Policy \"default-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'\"",
  ].map((header) => `    add_header ${header} always;`).join("\n");
  writeFileSync(join(dir, "nginx.conf"), nginxConf(dir, `  include /etc/nginx/mime.types;
  server { ${on("80")} location / { return 301 https://$host$request_uri; } }
  server {
    ${on("443 ssl")}
    ssl_certificate ${dir}/leaf.pem; ssl_certificate_key ${dir}/leaf.key;
    ssl_protocols TLSv1.2 TLSv1.3; ssl_prefer_server_ciphers on; ssl_ecdh_curve X25519:prime256v1:secp384r1;
    ssl_ciphers "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:@SECLEVEL=2";
    root ${dir}/www;
    location = /.well-known/security.txt { types { } default_type "text/plain; charset=utf-8"; }
${headers}
  }
`));
  const records = Array.from({ length: DOMAINS }, (_, index) => {
    const name = benchDomain(index, ZONE).slice(0, -(ZONE.length + 1));
    const { v4, v6 } = addressesOf(index);
    return `${name} A ${v4}\n${name} AAAA ${v6}`;
  });
  writeFileSync(join(dir, "zones", `${ZONE}.zone`), `$ORIGIN ${ZONE}.\n$TTL 300\n@ SOA ns hostmaster 1 3600 900 604800 300\n@ NS ns\nns A ${INSIDE4}\n${records.join("\n")}\n`);
  writeNsdConf(lab, ZONE);
}

/**
 * Puts every domain's addresses (web) or every MX host's (mail) on the namespace's
 * interface, and routes their IPv4 block there from the host.
 */
function addAddresses(lab: NetnsLab): string[] {
  const all: string[] = [];
  const lines: string[] = [];
  const pairs = MAIL ? Array.from({ length: MX_HOSTS }, (_, host) => mxAddressesOf(host)) : Array.from({ length: DOMAINS }, (_, index) => addressesOf(index));
  for (const { v4, v6 } of pairs) {
    all.push(v4, v6);
    lines.push(`addr add ${v4}/32 dev bb-ns`, `addr add ${v6}/128 dev bb-ns nodad`);
  }
  const batch = join(lab.dir, "addresses.batch");
  writeFileSync(batch, `${lines.join("\n")}\n`);
  run("ip", ["-n", NS, "-batch", batch]);
  run("ip", ["route", "add", MAIL ? "10.254.8.0/24" : "10.254.4.0/22", "dev", "bb-host"]);
  return all;
}

/**
 * The mail half's servers: Postfix (one master answering on every MX host's
 * addresses, a certificate naming every MX host), nginx for the MTA-STS
 * policies (one policy allowing *.ZONE), NSD with the zone.
 */
function writeMailServers(lab: NetnsLab): string {
  const { dir } = lab;
  issueLeaf(dir, "mx", Array.from({ length: MX_HOSTS }, (_, host) => mxName(host)));
  issueLeaf(dir, "sts", Array.from({ length: DOMAINS }, (_, index) => `mta-sts.${benchDomain(index, ZONE)}`));
  const key = makeDkimKey(dir);
  const lines = [`$ORIGIN ${ZONE}.`, "$TTL 300", "@ SOA ns hostmaster 1 3600 900 604800 300", "@ NS ns", `ns A ${INSIDE4}`];
  for (let host = 0; host < MX_HOSTS; host++) {
    const { v4, v6 } = mxAddressesOf(host);
    lines.push(`${mxName(host).slice(0, -(ZONE.length + 1))} A ${v4}`, `${mxName(host).slice(0, -(ZONE.length + 1))} AAAA ${v6}`);
  }
  for (let index = 0; index < DOMAINS; index++) {
    const host = mxHostOf(index);
    lines.push(...mailRecords(benchDomain(index, ZONE).slice(0, -(ZONE.length + 1)), benchDomain(index, ZONE), mxName(host), key, mxAddressesOf(host).v4));
  }
  mkdirSync(join(dir, "zones"), { recursive: true });
  mkdirSync(join(dir, "tmp"), { recursive: true });
  writeFileSync(join(dir, "zones", `${ZONE}.zone`), `${lines.join("\n")}\n`);
  writeNsdConf(lab, ZONE);
  writeFileSync(join(dir, "mta-sts.txt"), `version: STSv1\r\nmode: enforce\r\nmx: *.${ZONE}\r\nmax_age: 604800\r\n`);
  writeFileSync(join(dir, "nginx.conf"), nginxConf(dir, `  server {
    ${lab.netem ? "listen 443 ssl;" : `listen ${lab.listen4}:443 ssl;`}
    ssl_certificate ${dir}/sts.pem; ssl_certificate_key ${dir}/sts.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location = /.well-known/mta-sts.txt { default_type text/plain; alias ${dir}/mta-sts.txt; }
    location / { return 404; }
  }
`));
  // Behind the relay Postfix listens on loopback (the relay holds every public address); under netem on every address.
  return writePostfix(lab, {
    hostname: mxName(0), keyFile: join(dir, "mx.key"), certFile: join(dir, "mx.pem"),
    interfaces: lab.netem ? "all" : "loopback-only", listeners: lab.netem ? ["smtp"] : [`${lab.listen4}:25`],
  });
}

/** A child process of `baseline`, its output kept. */
class Child {
  readonly process: ChildProcess;
  output = "";
  constructor(args: string[]) {
    this.process = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"], env: ENV });
    this.process.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.process.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    // A child that ends on its own (not by kill()) is news: say why.
    this.process.once("exit", (code, signal) => {
      if (!this.#killed) console.error(`baseline ${args[0] ?? ""} ${this.process.pid} ended (${code ?? signal}): ${this.output.split("\n").slice(-60).join("\n")}`);
    });
  }
  #killed = false;
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      if (this.process.exitCode !== null) throw new Error(`child exited (${this.process.exitCode}): ${this.output}`);
      if (Date.now() > deadline) throw new Error(`no ${pattern} after ${timeoutMs} ms: ${this.output}`);
      await sleep(50);
    }
  }
  /** Peak resident memory so far, in MB (VmHWM). */
  peakMb(): number {
    try {
      const status = readFileSync(`/proc/${this.process.pid}/status`, "utf8");
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
    } catch {
      return 0;
    }
  }
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise((resolve) => this.process.once("exit", resolve));
    this.#killed = true;
    this.process.kill(signal);
    await exited;
  }
}

interface Row {
  mode: string;
  processes: number;
  atOnce: string;
  seconds: number;
  peakMb: number;
  errors: number;
}

interface FaultRow {
  fault: string;
  seconds: number;
  results: number;
  exactlyOnce: boolean;
  note: string;
}

async function resultCount(store: Store, runId: string): Promise<number> {
  const row = await store.db.selectFrom("results").select((eb) => eb.fn.countAll<string>().as("n")).where("run_id", "=", runId).executeTakeFirstOrThrow();
  return Number(row.n);
}

async function until(probe: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // The database is restarting.
    }
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Exactly one result per target, the run done; and how many results are errors. */
async function verify(store: Store, run: RunRecord): Promise<{ results: number; exactlyOnce: boolean; errors: number }> {
  const rows = await store.db.selectFrom("results").select(["domain", "suite", "error"]).where("run_id", "=", run.id).execute();
  const keys = new Set(rows.map((row) => `${row.domain}/${row.suite}`));
  const status = (await getRun(store.db, run.id))?.status;
  return { results: rows.length, exactlyOnce: rows.length === DOMAINS && keys.size === DOMAINS && status === "done", errors: rows.filter((row) => row.error !== null).length };
}

const targets = (): { domain: string; suite: "web" | "mail" }[] => Array.from({ length: DOMAINS }, (_, index) => ({ domain: benchDomain(index, ZONE), suite: SUITE }));

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("needs root (a network namespace, ports 53, 80 and 443, a private PostgreSQL)");
  const unavailable = privateClusterUnavailable();
  if (unavailable) throw new Error(`PostgreSQL: ${unavailable}`);
  await acquireLab();
  // The mail lab's start makes sure the DNS lab serves mail.secure. with the bench's delegation.
  const startScript = MAIL ? join(root, "lab/mail/start.sh") : join(labDns, "start.sh");
  const started = spawnSync("bash", [startScript], { encoding: "utf8" });
  if (started.status !== 0) throw new Error(`${startScript} failed: ${started.stderr}`);
  const lab = openNetnsLab("baseline-campaign-");
  const cluster = new PrivateCluster();
  const children: Child[] = [];
  try {
    makeCa(lab.dir, "Baseline campaign bench CA");
    let postfix = "";
    if (MAIL) postfix = writeMailServers(lab);
    else {
      issueLeaf(lab.dir, "leaf", [`*.${ZONE}`]);
      writeServers(lab);
    }
    const extra = addAddresses(lab);
    if (!lab.netem) {
      // The relay inherits ENV (netns-lab.ts), read when it starts.
      (ENV as NodeJS.ProcessEnv).BASELINE_RELAY_ADDRESSES = extra.join(",");
      lab.startRelay(MAIL ? [{ port: 25, v6: true }, { port: 53, v6: false }, { port: 443, v6: true }] : [{ port: 53, v6: false }, { port: 80, v6: true }, { port: 443, v6: true }]);
    }
    lab.start("nsd", ["-d", "-c", join(lab.dir, "nsd.conf")]);
    lab.start("nginx", ["-c", join(lab.dir, "nginx.conf"), "-e", join(lab.dir, "nginx.log")]);
    if (MAIL) lab.start("/usr/lib/postfix/sbin/master", ["-c", postfix, "-d"]);
    // The first name's address, as NSD answers it: the domain's own (web), its MX host's (mail).
    const [probeName, probeAddress, lastAddress, port]: [string, string, string, number] = MAIL
      ? [mxName(0), mxAddressesOf(0).v4, mxAddressesOf(MX_HOSTS - 1).v4, 25]
      : [benchDomain(0, ZONE), addressesOf(0).v4, addressesOf(DOMAINS - 1).v4, 443];
    await waitFor(() => spawnSync("dig", ["+short", "+time=1", "+tries=1", `@${INSIDE4}`, probeName, "A"], { encoding: "utf8" }).stdout.split("\n").includes(probeAddress), "NSD in the namespace", 300);
    await waitFor(() => acceptsInNs(lab.listen4, 443), "nginx in the namespace");
    if (MAIL) {
      // The server itself, inside the namespace: behind the relay, the relay accepts before Postfix is up.
      const greets = (): boolean => succeedsInNs("timeout", ["2", "bash", "-c", `exec 3<>/dev/tcp/${lab.listen4}/25; read -r line <&3; [[ $line == 220* ]]`]);
      await waitFor(greets, "Postfix in the namespace", 300);
    }
    await waitFor(() => acceptsFromHost(port), `port ${port} from the host`);
    await waitFor(() => spawnSync("bash", ["-c", `exec 3<>/dev/tcp/${lastAddress}/${port}`]).status === 0, MAIL ? "the last MX host's address" : "the last domain's address");
    const rtt = (await connectTime(probeAddress, port)).toFixed(1);
    const dnsTime = dnsQueryTime(benchDomain(0, ZONE));
    await cluster.start();

    const caFile = join(lab.dir, "ca.pem");
    const caPem = readFileSync(caFile, "utf8");
    const labFlags = ["--root-hints", join(root, "lab/dns/run/root.hints"), "--trust-anchor", join(root, "lab/dns/run/root-anchor.ds"), "--allow-private", "--ca-file", caFile,
      "--rpki-vrps", join(root, "lab/net/rpki/vrps.json"), "--bgp-origins", join(root, "lab/net/rpki/bgp-origins.txt"), "--connections-per-address", String(PER_ADDRESS)];
    const rows: Row[] = [];
    const faults: FaultRow[] = [];
    const hosting = MAIL ? ` over ${MX_HOSTS} MX hosts (${new Set(Array.from({ length: DOMAINS }, (_, index) => mxHostOf(index))).size} used, at most ${Math.max(...countBy(Array.from({ length: DOMAINS }, (_, index) => mxHostOf(index))))} domains on one)` : "";
    console.log(`${DOMAINS} ${SUITE} domains${hosting}, ${CONCURRENCY} at once in total; TCP connect ${rtt} ms, DNS query ${dnsTime} ms; ${lab.delayNote}`);

    // The peer: the same checks run directly, in this process (a fresh one per measure would not change the rate).
    // In the order given (the first run through the relay may pay for its warm-up).
    for (const limited of [...PARTS].filter((part) => part === "direct" || part === "unlimited").map((part) => part === "direct")) {
      const settings = labSettings(caPem, limited ? { addressLimit: new LocalAddressLimiter(PER_ADDRESS) } : {});
      const begin = performance.now();
      let errors = 0;
      // Which tests did not pass, and on how many domains: the lab should make nearly all pass.
      const notPassed = new Map<string, number>();
      for await (const report of inOrder(targets(), (target) => checkAndScore(target.domain, SUITE, settings), { concurrency: CONCURRENCY })) {
        if (report.tests.some((test) => test.status === "error")) errors++;
        for (const test of report.tests) if (test.status !== "passed") notPassed.set(`${test.id} ${test.status}`, (notPassed.get(`${test.id} ${test.status}`) ?? 0) + 1);
      }
      if (notPassed.size > 0) console.log(`    not passed: ${[...notPassed].sort().map(([key, count]) => `${key} ×${count}`).join(", ")}`);
      rows.push({ mode: limited ? `direct, ${PER_ADDRESS} per address` : "direct, no address limit", processes: 1, atOnce: String(CONCURRENCY), seconds: (performance.now() - begin) / 1000, peakMb: process.resourceUsage().maxRSS / 1024, errors });
      console.log(`  ${rows.at(-1)?.mode}: ${rows.at(-1)?.seconds.toFixed(1)} s`);
    }

    // The embedded runner: `baseline serve` on SQLite; the run is written into its database, as "run now" does.
    const sqliteDir = join(lab.dir, "sqlite");
    mkdirSync(sqliteDir);
    const sqliteUrl = `sqlite:${join(sqliteDir, "baseline.sqlite")}`;
    const startServe = async (): Promise<Child> => {
      const serve = new Child(["serve", "--db", sqliteUrl, "--port", "0", "--check-concurrency", String(CONCURRENCY), ...labFlags]);
      children.push(serve);
      await serve.waitFor(/Baseline observatory on/);
      return serve;
    };
    if (PARTS.has("embedded") || PARTS.has("faults")) {
      const serve = await startServe();
      const sqliteStore = await openDatabase(sqliteUrl);
      const begin = performance.now();
      if (PARTS.has("embedded")) {
        const { run } = await createRun(sqliteStore.db, { subjectKind: "batch", subjectId: "bench", slot: manualSlot(), targets: targets() });
        await until(async () => (await getRun(sqliteStore.db, run.id))?.status === "done");
        const seconds = (performance.now() - begin) / 1000;
        const checked = await verify(sqliteStore, run);
        rows.push({ mode: "embedded (serve, SQLite)", processes: 1, atOnce: String(CONCURRENCY), seconds, peakMb: serve.peakMb(), errors: checked.errors });
        console.log(`  embedded: ${seconds.toFixed(1)} s`);
      }

      if (PARTS.has("faults")) {
        // Fault: the server SIGKILLed a third of the way through, started again.
        const begin2 = performance.now();
        const { run: second } = await createRun(sqliteStore.db, { subjectKind: "batch", subjectId: "bench", slot: manualSlot(), targets: targets() });
        await until(async () => (await resultCount(sqliteStore, second.id)) >= DOMAINS / 3);
        await serve.kill("SIGKILL");
        const atKill = await resultCount(sqliteStore, second.id);
        const again = await startServe();
        await until(async () => (await getRun(sqliteStore.db, second.id))?.status === "done");
        const verified = await verify(sqliteStore, second);
        faults.push({ fault: "serve SIGKILL at 1/3 + restart", seconds: (performance.now() - begin2) / 1000, results: verified.results, exactlyOnce: verified.exactlyOnce, note: `${atKill} done at kill` });
        await again.kill("SIGTERM");
      } else {
        await serve.kill("SIGTERM");
      }
      await sqliteStore.close();
    }

    // pg-boss: this process enqueues (what serve does on PostgreSQL); workers check.
    const store = await openDatabase(cluster.url);
    const producer = new PgBossQueue({ connectionString: cluster.url, concurrency: 1, store, sweepMs: 10_000, onError: () => undefined });
    await producer.open();
    const engine = new CampaignEngine({ store, settings: labSettings(caPem), queue: producer, runJobs: false });
    const startWorkers = async (count: number): Promise<Child[]> => {
      const started = Array.from({ length: count }, () => new Child(["worker", "--db", cluster.url, "--concurrency", String(Math.max(1, Math.round(CONCURRENCY / count))), "--lease", String(LEASE_SECONDS), ...labFlags]));
      children.push(...started);
      for (const worker of started) await worker.waitFor(/takes checks from/);
      return started;
    };
    for (const count of PARTS.has("workers") ? [1, 2, 4] : []) {
      const workers = await startWorkers(count);
      const begin = performance.now();
      const run = await engine.runTargets(`bench-${count}`, targets());
      await until(async () => (await getRun(store.db, run.id))?.status === "done");
      const seconds = (performance.now() - begin) / 1000;
      const checked = await verify(store, run);
      rows.push({ mode: `pg-boss, ${count} worker${count > 1 ? "s" : ""}`, processes: count, atOnce: count === 1 ? String(CONCURRENCY) : `${count}×${Math.round(CONCURRENCY / count)}`, seconds, peakMb: Math.max(...workers.map((worker) => worker.peakMb())), errors: checked.errors });
      console.log(`  pg-boss ${count}: ${seconds.toFixed(1)} s`);
      for (const worker of workers) await worker.kill("SIGTERM");
    }

    // Faults on PostgreSQL, two workers each.
    if (PARTS.has("faults")) {
      const [doomed, survivor] = await startWorkers(2);
      const begin = performance.now();
      const run = await engine.runTargets("bench-kill", targets());
      await until(async () => (await resultCount(store, run.id)) >= DOMAINS / 3);
      await doomed?.kill("SIGKILL");
      const atKill = await resultCount(store, run.id);
      await until(async () => (await getRun(store.db, run.id))?.status === "done");
      const verified = await verify(store, run);
      const again = await sql<{ n: number }>`select count(*)::int as n from pgboss.job where singleton_key like ${`${run.id}/%`} and retry_count > 0`.execute(store.db);
      faults.push({ fault: "worker SIGKILL at 1/3 (of 2)", seconds: (performance.now() - begin) / 1000, results: verified.results, exactlyOnce: verified.exactlyOnce, note: `${atKill} done at kill, ${again.rows[0]?.n ?? 0} again` });
      await survivor?.kill("SIGTERM");
    }
    if (PARTS.has("faults")) {
      const workers = await startWorkers(2);
      const begin = performance.now();
      const run = await engine.runTargets("bench-restart", targets());
      await until(async () => (await resultCount(store, run.id)) >= DOMAINS / 3);
      await cluster.restart(2000);
      await until(async () => (await getRun(store.db, run.id))?.status === "done");
      const verified = await verify(store, run);
      faults.push({ fault: "PostgreSQL restart at 1/3 (2 s)", seconds: (performance.now() - begin) / 1000, results: verified.results, exactlyOnce: verified.exactlyOnce, note: `${verified.errors} in error` });
      for (const worker of workers) await worker.kill("SIGTERM");
    }
    await producer.close(0);
    await store.close();
    printReport(rows, faults);
    if (MAIL) {
      const warnings = postfixWarnings(lab);
      if (warnings.length > 0) console.log(`Postfix logged ${warnings.length} other warnings, e.g.:\n  ${warnings.slice(0, 5).join("\n  ")}`);
    }
  } finally {
    for (const child of children) await child.kill("SIGKILL");
    cluster.remove();
    lab.close();
    releaseLab();
  }
}

/** How many times each value occurs. */
function countBy(values: number[]): number[] {
  const counts = new Map<number, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts.values()];
}

function printReport(rows: Row[], faults: FaultRow[]): void {
  const peer = rows.find((row) => row.mode.startsWith(`direct, ${PER_ADDRESS}`)) ?? rows[0];
  const line = (cells: string[], widths: number[]): string => cells.map((cell, index) => (index === 0 ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0))).join(" ");
  const widths = [25, 5, 7, 7, 7, 8, 7, 6];
  console.log("");
  console.log(line(["mode", "procs", "at once", "seconds", "dom/min", "overhead", "peak MB", "errors"], widths));
  for (const row of rows) {
    const perMinute = (DOMAINS / row.seconds) * 60;
    const overhead = peer && row !== peer && !row.mode.startsWith("direct") ? `${(((row.seconds - peer.seconds) / peer.seconds) * 100).toFixed(1)}%` : "";
    console.log(line([row.mode, String(row.processes), row.atOnce, row.seconds.toFixed(1), perMinute.toFixed(0), overhead, row.peakMb.toFixed(0), String(row.errors)], widths));
  }
  console.log(`overhead: time against "direct, ${PER_ADDRESS} per address" (same checks, same limit).`);
  console.log("peak MB: per process (the largest worker's); errors: domains with a test in error.");
  console.log("serve (SQLite) killed and restarted; workers and PostgreSQL: 2 workers; \"again\":");
  console.log("jobs delivered again after the killed worker's lease.");
  console.log("");
  const faultWidths = [32, 7, 7, 4];
  console.log(line(["fault", "seconds", "results", "once", "note"], [...faultWidths, 0]));
  for (const fault of faults) console.log(line([fault.fault, fault.seconds.toFixed(1), String(fault.results), fault.exactlyOnce ? "yes" : "NO", ` ${fault.note}`], [...faultWidths, 0]));
}

await main();
