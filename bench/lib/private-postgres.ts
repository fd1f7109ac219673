/**
 * A PostgreSQL cluster of its own for benches and fault tests: initdb in a
 * temporary folder, run as the postgres user (runuser; the caller is root)
 * on a free port, so that it can be restarted or killed without touching
 * the machine's shared server on 5432. Trust authentication on 127.0.0.1,
 * fsync off (nothing here must survive a power cut).
 *
 * @example
 *   const cluster = new PrivateCluster();
 *   await cluster.start();
 *   // ... cluster.url ..., await cluster.restart(1500)
 *   cluster.remove();
 */
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Where PostgreSQL's server programs are: Debian keeps them out of PATH, in
 * /usr/lib/postgresql/VERSION/bin (the newest is taken); some machines link
 * them into /usr/local/bin.
 */
function serverBinary(name: string): string {
  const linked = `/usr/local/bin/${name}`;
  if (existsSync(linked)) return linked;
  const versions = existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql").filter((entry) => /^\d+$/.test(entry)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const path = `/usr/lib/postgresql/${version}/bin/${name}`;
    if (existsSync(path)) return path;
  }
  return linked;
}

export const INITDB = serverBinary("initdb");
export const PG_CTL = serverBinary("pg_ctl");

/** Why a private cluster cannot run here, or false. */
export function privateClusterUnavailable(): string | false {
  if (process.getuid?.() !== 0) return "needs root (the cluster runs as the postgres user, through runuser)";
  if (!existsSync(INITDB) || !existsSync(PG_CTL)) return `needs ${INITDB} and ${PG_CTL}`;
  if (spawnSync("id", ["-u", "postgres"]).status !== 0) return "needs the postgres user";
  return false;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class PrivateCluster {
  /** The cluster's folder (made by start()). */
  dir = "";
  port = 0;

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(maxConnections = 300): Promise<void> {
    const id = (flag: string): number => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
    this.dir = mkdtempSync(join(tmpdir(), "baseline-pg-"));
    chownSync(this.dir, id("-u"), id("-g"));
    this.#asPostgres(INITDB, ["-D", join(this.dir, "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
    this.port = await freePort();
    this.#maxConnections = maxConnections;
    this.#pgCtl(["start"]);
  }

  /** Stops the server (fast: sessions are cut), waits `downMs`, starts it again. */
  async restart(downMs: number): Promise<void> {
    this.#pgCtl(["stop", "-m", "fast"]);
    await new Promise((resolve) => setTimeout(resolve, downMs));
    this.#pgCtl(["start"]);
  }

  /** Stops the server at once and removes its folder. */
  remove(): void {
    if (this.dir === "") return;
    spawnSync("runuser", ["-u", "postgres", "--", PG_CTL, "-D", join(this.dir, "data"), "-m", "immediate", "-w", "stop"], { encoding: "utf8" });
    rmSync(this.dir, { recursive: true, force: true });
  }

  #maxConnections = 300;

  #pgCtl(args: string[]): void {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=${this.#maxConnections}`;
    this.#asPostgres(PG_CTL, ["-D", join(this.dir, "data"), "-o", options, "-l", join(this.dir, "log"), "-w", ...args]);
  }

  #asPostgres(command: string, args: string[]): void {
    const result = spawnSync("runuser", ["-u", "postgres", "--", command, ...args], { encoding: "utf8", cwd: this.dir });
    if (result.status !== 0) throw new Error(`${command} ${args.join(" ")}: ${result.stderr || result.stdout}`);
  }
}
