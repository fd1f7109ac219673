/**
 * `baseline worker --db postgres://...` (interfaces.md): runs queued checks.
 * Any number of workers on any number of machines share one PostgreSQL
 * database: they take the jobs `baseline serve` enqueued on pg-boss
 * (jobs/pg-boss.ts), write each result once, finish runs and send their
 * alerts, and keep every target address within a few connections at once
 * across the whole fleet (jobs/address-limit.ts). It takes the check
 * options of `baseline serve` (resolver, --ca-file, RPKI data, alert mail).
 *
 * A worker stopped with SIGINT or SIGTERM stops taking jobs and gives the
 * running ones a grace time; a worker killed outright loses nothing either:
 * its jobs go to another worker once their lease (--lease) runs out.
 */
import type { Command } from "commander";
import { AlertDeliverer, smtpUrlProblem } from "../../campaigns/delivery.ts";
import { CampaignEngine } from "../../campaigns/engine.ts";
import { createCheckHandler, createGiveUp } from "../../campaigns/execute.ts";
import { defaultSettings } from "../../checks/context.ts";
import { DEFAULT_CONNECTIONS_PER_ADDRESS, PostgresAddressLimiter } from "../../jobs/address-limit.ts";
import { DEFAULT_PGBOSS_SCHEMA, PgBossQueue } from "../../jobs/pg-boss.ts";
import { DatabaseOpenError, DatabaseUrlError, openDatabase, parseDatabaseUrl, type Store } from "../../store/index.ts";
import { UsageError } from "../output.ts";
import { addResolverOptions, parseDkimSelectors, positiveInteger, readCaFile, readRouting, resolverFromFlags, type ResolverFlags } from "./network-options.ts";

/** How long running checks get to finish on SIGINT/SIGTERM before their jobs go back to the queue. */
const STOP_GRACE_MS = 20_000;

interface WorkerFlags extends ResolverFlags {
  db: string;
  concurrency: string;
  connectionsPerAddress: string;
  lease: string;
  pgbossSchema: string;
  caFile?: string;
  rpkiVrps?: string;
  bgpOrigins?: string;
  dkimSelectors?: string;
  smtpUrl?: string;
  mailFrom: string;
}

/** `--connections-per-address N`: a positive whole number, at most 64. */
export function connectionsPerAddress(text: string): number {
  const value = positiveInteger(text, "--connections-per-address");
  if (value > 64) throw new UsageError(`--connections-per-address ${text}: expected a whole number from 1 to 64`);
  return value;
}

/** `--db URL`, which must be PostgreSQL: a worker shares its queue with the server through it. */
export function postgresUrl(url: string, command: string): string {
  let dialect: string;
  try {
    dialect = parseDatabaseUrl(url).dialect;
  } catch (error) {
    throw new UsageError(`--db: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (dialect !== "postgres") throw new UsageError(`--db: ${command} needs PostgreSQL (postgres://USER@HOST/DB); on SQLite \`baseline serve\` runs the checks itself`);
  return url;
}

export function registerWorkerCommand(program: Command): void {
  const command = program
    .command("worker")
    .description("run queued checks (campaigns, contracts, batch API) from a PostgreSQL database that `baseline serve` shares")
    .requiredOption("--db <url>", "postgres://USER@HOST/DB, the database of `baseline serve --db`")
    .option("--concurrency <n>", "domains this worker checks at once", "8")
    .option("--connections-per-address <n>", "connections to one target address at once, across every worker", String(DEFAULT_CONNECTIONS_PER_ADDRESS))
    .option("--lease <seconds>", "a job whose worker stopped answering goes to another worker after this long (at least 10)", "30")
    .option("--pgboss-schema <name>", "the job queue's schema in the database", DEFAULT_PGBOSS_SCHEMA);
  addResolverOptions(command)
    .option("--ca-file <file>", "checks also trust the certificate authorities in this PEM file (labs)")
    .option("--rpki-vrps <file>", "validated ROA payloads for the RPKI checks; with --bgp-origins")
    .option("--bgp-origins <file>", "announced prefixes and their origin AS; with --rpki-vrps")
    .option("--dkim-selectors <list>", "DKIM selectors the mail checks look for, comma-separated")
    .option("--smtp-url <url>", "SMTP server for the alert e-mails of runs this worker finishes")
    .option("--mail-from <address>", "From address of alert e-mails", "baseline@localhost")
    .action(async (flags: WorkerFlags) => {
      const url = postgresUrl(flags.db, "baseline worker");
      const concurrency = positiveInteger(flags.concurrency, "--concurrency");
      if (concurrency > 256) throw new UsageError(`--concurrency ${flags.concurrency}: expected a whole number from 1 to 256`);
      const perAddress = connectionsPerAddress(flags.connectionsPerAddress);
      const lease = positiveInteger(flags.lease, "--lease");
      if (lease < 10) throw new UsageError(`--lease ${flags.lease}: expected at least 10 seconds`);
      if (!/^[a-z_][a-z0-9_]*$/.test(flags.pgbossSchema)) throw new UsageError(`--pgboss-schema ${flags.pgbossSchema}: expected lower-case letters, digits and _`);
      // Named before anything opens (AlertDeliverer would throw only once the store and the address limiter were open).
      const smtpProblem = flags.smtpUrl === undefined ? null : smtpUrlProblem(flags.smtpUrl);
      if (smtpProblem) throw new UsageError(smtpProblem);
      // Files are read before the database opens, so that a bad one is named at once.
      const base = defaultSettings(resolverFromFlags(flags), {
        allowPrivate: flags.allowPrivate ?? false,
        dkimSelectors: flags.dkimSelectors === undefined ? [] : parseDkimSelectors(flags.dkimSelectors),
        extraCa: flags.caFile ? readCaFile(flags.caFile) : [],
        routing: readRouting(flags.rpkiVrps, flags.bgpOrigins),
      });
      const store = await openStore(url);
      const addressLimit = new PostgresAddressLimiter({ connectionString: url, limit: perAddress });
      const settings = { ...base, addressLimit };
      const alerts = new AlertDeliverer({ store, ...(flags.smtpUrl ? { smtpUrl: flags.smtpUrl } : {}), mailFrom: flags.mailFrom, allowPrivate: flags.allowPrivate ?? false });
      const onRunFinished = CampaignEngine.afterRun(store, alerts.deliver);
      // Its sweep gives up on a target whose jobs keep ending without a result (onGiveUp writes the error).
      const queue = new PgBossQueue({ connectionString: url, schema: flags.pgbossSchema, concurrency, leaseSeconds: lease, superviseSeconds: Math.max(1, Math.floor(lease / 5)), store, onGiveUp: createGiveUp({ store, onRunFinished }) });
      const handler = createCheckHandler({ store, settings, onRunFinished });
      try {
        await queue.start(handler);
      } catch (error) {
        await Promise.allSettled([queue.close(0), addressLimit.close(), store.close()]);
        throw new UsageError(`--db ${store.url}: cannot start the job queue (${error instanceof Error ? error.message : String(error)})`);
      }
      console.error(`baseline: worker ${process.pid} takes checks from ${store.url} (${concurrency} at once, ${perAddress} connections per address)`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      console.error(`baseline: worker ${process.pid} stopping (running checks get ${STOP_GRACE_MS / 1000} s, then go back to the queue)`);
      await queue.stop(STOP_GRACE_MS);
      await queue.close(1000);
      await addressLimit.close();
      await store.close();
    });
}

async function openStore(url: string): Promise<Store> {
  try {
    return await openDatabase(url);
  } catch (error) {
    if (error instanceof DatabaseUrlError || error instanceof DatabaseOpenError) throw new UsageError(error.message.split("\n")[0] ?? error.message);
    throw error;
  }
}
