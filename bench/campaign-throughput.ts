/**
 * Campaign throughput: 1,000 lab web domains behind a 20 ms round trip,
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
 * PostgreSQL is a private cluster (bench/lib/private-postgres.ts), so that
 * restarting it touches nothing else. Every configuration checks CONCURRENCY
 * domains at once in total (split over the workers), so that the figures
 * compare the machinery, not more parallel work on two cores.
 *
 * Run: `node bench/campaign-throughput.ts [DOMAINS=1000] [CONCURRENCY=20] [PARTS]`
 * (PARTS: some of unlimited,direct,embedded,workers,faults; default all)
 * as root (starts the DNS lab; takes the lab lock; needs nginx, nsd,
 * openssl, iproute2 and PostgreSQL's initdb/pg_ctl). Not part of the tests.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
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
import { ENV, INSIDE4, NS, acceptsFromHost, acceptsInNs, connectTime, dnsQueryTime, issueLeaf, makeCa, nginxConf, openNetnsLab, run, waitFor, writeNsdConf, type NetnsLab } from "./lib/netns-lab.ts";
import { PrivateCluster, privateClusterUnavailable } from "./lib/private-postgres.ts";
import { benchDomain, labSettings } from "./lib/suite-throughput.ts";

const DOMAINS = Number(process.argv[2] ?? 1000);
const CONCURRENCY = Number(process.argv[3] ?? 20);
/** Which parts to run (comma-separated): direct, unlimited, embedded, workers, faults; default all. */
const PARTS = new Set((process.argv[4] ?? "unlimited,direct,embedded,workers,faults").split(","));
const ZONE = "bench.web.secure";
const PER_ADDRESS = 4;
const LEASE_SECONDS = 10;
const root = fileURLToPath(new URL("../", import.meta.url));
const bin = join(root, "bin/baseline.js");
const labDns = join(root, "lab/dns/");

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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

/** Puts every domain's addresses on the namespace's interface, and routes the IPv4 block there from the host. */
function addAddresses(lab: NetnsLab): string[] {
  const all: string[] = [];
  const lines: string[] = [];
  for (let index = 0; index < DOMAINS; index++) {
    const { v4, v6 } = addressesOf(index);
    all.push(v4, v6);
    lines.push(`addr add ${v4}/32 dev bb-ns`, `addr add ${v6}/128 dev bb-ns nodad`);
  }
  const batch = join(lab.dir, "addresses.batch");
  writeFileSync(batch, `${lines.join("\n")}\n`);
  run("ip", ["-n", NS, "-batch", batch]);
  run("ip", ["route", "add", "10.254.4.0/22", "dev", "bb-host"]);
  return all;
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

const targets = (): { domain: string; suite: "web" }[] => Array.from({ length: DOMAINS }, (_, index) => ({ domain: benchDomain(index, ZONE), suite: "web" as const }));

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("needs root (a network namespace, ports 53, 80 and 443, a private PostgreSQL)");
  const unavailable = privateClusterUnavailable();
  if (unavailable) throw new Error(`PostgreSQL: ${unavailable}`);
  await acquireLab();
  const started = spawnSync("bash", [join(labDns, "start.sh")], { encoding: "utf8" });
  if (started.status !== 0) throw new Error(`lab/dns/start.sh failed: ${started.stderr}`);
  const lab = openNetnsLab("baseline-campaign-");
  const cluster = new PrivateCluster();
  const children: Child[] = [];
  try {
    makeCa(lab.dir, "Baseline campaign bench CA");
    issueLeaf(lab.dir, "leaf", [`*.${ZONE}`]);
    writeServers(lab);
    const extra = addAddresses(lab);
    if (!lab.netem) {
      // The relay inherits ENV (netns-lab.ts), read when it starts.
      (ENV as NodeJS.ProcessEnv).BASELINE_RELAY_ADDRESSES = extra.join(",");
      lab.startRelay([{ port: 53, v6: false }, { port: 80, v6: true }, { port: 443, v6: true }]);
    }
    lab.start("nsd", ["-d", "-c", join(lab.dir, "nsd.conf")]);
    lab.start("nginx", ["-c", join(lab.dir, "nginx.conf"), "-e", join(lab.dir, "nginx.log")]);
    await waitFor(() => spawnSync("dig", ["+short", "+time=1", "+tries=1", `@${INSIDE4}`, benchDomain(0, ZONE), "A"], { encoding: "utf8" }).stdout.includes("10.254.4.1"), "NSD in the namespace");
    await waitFor(() => acceptsInNs(lab.listen4, 443), "nginx in the namespace");
    await waitFor(() => acceptsFromHost(443), "port 443 from the host");
    await waitFor(() => spawnSync("bash", ["-c", `exec 3<>/dev/tcp/${addressesOf(DOMAINS - 1).v4}/443`]).status === 0, "the last domain's address");
    const rtt = (await connectTime(addressesOf(0).v4, 443)).toFixed(1);
    const dnsTime = dnsQueryTime(benchDomain(0, ZONE));
    await cluster.start();

    const caFile = join(lab.dir, "ca.pem");
    const caPem = readFileSync(caFile, "utf8");
    const labFlags = ["--root-hints", join(root, "lab/dns/run/root.hints"), "--trust-anchor", join(root, "lab/dns/run/root-anchor.ds"), "--allow-private", "--ca-file", caFile,
      "--rpki-vrps", join(root, "lab/net/rpki/vrps.json"), "--bgp-origins", join(root, "lab/net/rpki/bgp-origins.txt"), "--connections-per-address", String(PER_ADDRESS)];
    const rows: Row[] = [];
    const faults: FaultRow[] = [];
    console.log(`${DOMAINS} web domains, ${CONCURRENCY} at once in total; TCP connect ${rtt} ms, DNS query ${dnsTime} ms; ${lab.delayNote}`);

    // The peer: the same checks run directly, in this process (a fresh one per measure would not change the rate).
    // In the order given (the first run through the relay may pay for its warm-up).
    for (const limited of [...PARTS].filter((part) => part === "direct" || part === "unlimited").map((part) => part === "direct")) {
      const settings = labSettings(caPem, limited ? { addressLimit: new LocalAddressLimiter(PER_ADDRESS) } : {});
      const begin = performance.now();
      let errors = 0;
      for await (const report of inOrder(targets(), (target) => checkAndScore(target.domain, "web", settings), { concurrency: CONCURRENCY })) {
        if (report.tests.some((test) => test.status === "error")) errors++;
      }
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
  } finally {
    for (const child of children) await child.kill("SIGKILL");
    cluster.remove();
    lab.close();
    releaseLab();
  }
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
