/**
 * `baseline serve`, `baseline admin create`, `baseline backup` and
 * `baseline restore`: the observatory's database and web server.
 * The database defaults to a SQLite file under data/local/ in the project.
 */
import { createInterface } from "node:readline/promises";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import type { Command } from "commander";
import { loadCatalog } from "../../catalog/load.ts";
import { backupDatabase, countUsers, createApiAccount, createUser, pruneAnswerSessions, ROLES, type Role, DatabaseOpenError, DatabaseUrlError, openDatabase, restoreDatabase, ValidationError, type Store } from "../../store/index.ts";
import { hashPassword, LoginLimiter, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, passwordProblem } from "../../server/auth.ts";
import { createApp } from "../../server/app.ts";
import { seedIfEmpty } from "../../server/seed.ts";
import { HeavyWork } from "../../server/workers/heavy-work.ts";
import { defaultSettings } from "../../checks/context.ts";
import { CampaignEngine } from "../../campaigns/engine.ts";
import { createGiveUp } from "../../campaigns/execute.ts";
import { AlertDeliverer, smtpUrlProblem } from "../../campaigns/delivery.ts";
import { DEFAULT_CONNECTIONS_PER_ADDRESS, LocalAddressLimiter, PostgresAddressLimiter, type AddressLimiter } from "../../jobs/address-limit.ts";
import { PgBossQueue } from "../../jobs/pg-boss.ts";
import { connectionsPerAddress } from "./worker.ts";
import { UsageError } from "../output.ts";
import { addResolverOptions, parseDkimSelectors, readCaFile, readRouting, resolverFromFlags, type ResolverFlags } from "./network-options.ts";

export const DEFAULT_DATABASE = `sqlite:${fileURLToPath(new URL("../../../data/local/baseline.sqlite", import.meta.url))}`;

async function open(url: string): Promise<Store> {
  try {
    return await openDatabase(url);
  } catch (error) {
    if (error instanceof DatabaseUrlError || error instanceof DatabaseOpenError) throw new UsageError(error.message.split("\n")[0] ?? error.message);
    throw error;
  }
}

/** How often `serve` refreshes the planner's statistics (a no-op when little changed). */
const OPTIMIZE_EVERY_MS = 5 * 60 * 1000;
/** Days an answer started and left keeps its answers (`--survey-keep-days`). */
const DEFAULT_SURVEY_KEEP_DAYS = 90;

/** The `serve` options that every check the server runs obeys (interfaces.md §5). */
interface ServeCheckFlags extends ResolverFlags {
  caFile?: string;
  dkimSelectors?: string;
  rpkiVrps?: string;
  bgpOrigins?: string;
}

export function registerServerCommands(program: Command): void {
  const serveCommand = program
    .command("serve")
    .description("start the observatory web app")
    .option("--db <url>", "sqlite:PATH or postgres://USER@HOST/DB", DEFAULT_DATABASE)
    .option("--port <n>", "port to listen on", "8080")
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--secure-cookies", "mark the session cookie Secure (when served over HTTPS)")
    .option("--trust-proxy <addresses>", "reverse proxies (comma-separated addresses or CIDR ranges) whose X-Forwarded-For names the client; without it the client is the TCP peer");
  addResolverOptions(serveCommand)
    .option("--ca-file <file>", "checks also trust the certificate authorities in this PEM file (labs)")
    .option("--rpki-vrps <file>", "validated ROA payloads for the RPKI checks; with --bgp-origins")
    .option("--bgp-origins <file>", "announced prefixes and their origin AS; with --rpki-vrps")
    .option("--dkim-selectors <list>", "DKIM selectors the mail checks look for, comma-separated")
    .option("--check-concurrency <n>", "domains the server's own runner checks at once (campaigns, contracts, batch API)", "8")
    .option("--smtp-url <url>", "SMTP server for alert e-mails, smtp://host:port (smtps:// for TLS; user:password@ when it asks)")
    .option("--mail-from <address>", "From address of alert e-mails", "baseline@localhost")
    .option("--connections-per-address <n>", "connections to one target address at once (with PostgreSQL: across the server and every `baseline worker`)", String(DEFAULT_CONNECTIONS_PER_ADDRESS))
    .option("--batch-max-domains <n>", "domains one batch API request may hold", "5000")
    .option("--public-url <url>", "the address people reach this server at (https://...), for the links in alert e-mails and webhooks")
    .option("--run-checks", "with PostgreSQL: this server also runs queued checks, like a `baseline worker` (without it, workers do)")
    .option("--survey-posts-per-minute <n>", "answering POSTs one client address may send a minute (an office behind one NAT address answers as one client)", "60")
    .option("--survey-keep-days <n>", "days a survey answer that was started and left keeps its answers before they are deleted", String(DEFAULT_SURVEY_KEEP_DAYS))
    .action(async (options: { db: string; port: string; host: string; secureCookies?: boolean; trustProxy?: string; checkConcurrency: string; smtpUrl?: string; mailFrom: string; connectionsPerAddress: string; runChecks?: boolean; batchMaxDomains: string; publicUrl?: string; surveyPostsPerMinute: string; surveyKeepDays: string } & ServeCheckFlags) => {
      const port = Number(options.port);
      const checkConcurrency = Number(options.checkConcurrency);
      if (!Number.isInteger(checkConcurrency) || checkConcurrency < 1 || checkConcurrency > 256) throw new UsageError(`--check-concurrency ${options.checkConcurrency}: expected a whole number from 1 to 256`);
      const smtpProblem = options.smtpUrl === undefined ? null : smtpUrlProblem(options.smtpUrl);
      if (smtpProblem) throw new UsageError(smtpProblem);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${options.port}: expected a port number from 0 to 65535`);
      const perAddress = connectionsPerAddress(options.connectionsPerAddress);
      const surveyPostsPerMinute = Number(options.surveyPostsPerMinute);
      if (!Number.isInteger(surveyPostsPerMinute) || surveyPostsPerMinute < 1 || surveyPostsPerMinute > 100_000) throw new UsageError(`--survey-posts-per-minute ${options.surveyPostsPerMinute}: expected a whole number from 1 to 100000`);
      const surveyKeepDays = Number(options.surveyKeepDays);
      if (!Number.isInteger(surveyKeepDays) || surveyKeepDays < 1 || surveyKeepDays > 3650) throw new UsageError(`--survey-keep-days ${options.surveyKeepDays}: expected a whole number of days from 1 to 3650`);
      const batchMaxDomains = Number(options.batchMaxDomains);
      if (!Number.isInteger(batchMaxDomains) || batchMaxDomains < 1 || batchMaxDomains > 1_000_000) throw new UsageError(`--batch-max-domains ${options.batchMaxDomains}: expected a whole number from 1 to 1000000`);
      if (options.publicUrl !== undefined && !/^https?:\/\/[^\s/]+/i.test(options.publicUrl)) throw new UsageError(`--public-url ${options.publicUrl}: expected an http:// or https:// address`);
      let limiter: LoginLimiter;
      try {
        limiter = new LoginLimiter({ trustProxy: (options.trustProxy ?? "").split(",").map((entry) => entry.trim()).filter(Boolean) });
      } catch (error) {
        throw new UsageError(`--trust-proxy: ${error instanceof Error ? error.message : String(error)}`);
      }
      // Read before the database opens, so that a bad file is named at once.
      const checkSettings = defaultSettings(resolverFromFlags(options), {
        allowPrivate: options.allowPrivate ?? false,
        dkimSelectors: options.dkimSelectors === undefined ? [] : parseDkimSelectors(options.dkimSelectors),
        extraCa: options.caFile ? readCaFile(options.caFile) : [],
        routing: readRouting(options.rpkiVrps, options.bgpOrigins),
      });
      const catalog = loadCatalog();
      const store = await open(options.db);
      const seeded = await seedIfEmpty(store, catalog);
      if (seeded) console.error(`baseline: first start: loaded ${seeded.policies} policies of ${seeded.institutions} institutions from the starter dataset`);
      if ((await countUsers(store.db)) === 0) console.error("baseline: no account yet: create the first admin with `baseline admin create --email ADDRESS --name NAME` (password on standard input)");
      // Imports and export builds run in worker threads, each on a connection of its own to the same database.
      const heavyWork = new HeavyWork({ database: { url: options.db } });
      // Campaigns run in this process by default: the scheduler and the embedded queue on the same database.
      // Alerts go out by e-mail and webhook (webhooks reach private addresses only with --allow-private); each tick also looks for missed contract deadlines.
      const alerts = new AlertDeliverer({ store, ...(options.smtpUrl ? { smtpUrl: options.smtpUrl } : {}), mailFrom: options.mailFrom, allowPrivate: options.allowPrivate ?? false, ...(options.publicUrl ? { baseUrl: options.publicUrl } : {}) });
      // SQLite: the embedded queue in this process, its connections per address bounded here.
      // PostgreSQL: jobs go to pg-boss for `baseline worker` processes (and this one with --run-checks);
      // the bound per address holds across all of them (jobs/pg-boss.ts, jobs/address-limit.ts).
      const onPostgres = store.dialect === "postgres";
      const runChecks = !onPostgres || (options.runChecks ?? false);
      const addressLimit: AddressLimiter = onPostgres ? new PostgresAddressLimiter({ connectionString: options.db, limit: perAddress }) : new LocalAddressLimiter(perAddress);
      const queue = onPostgres ? new PgBossQueue({ connectionString: options.db, concurrency: checkConcurrency, store, onGiveUp: createGiveUp({ store, onRunFinished: CampaignEngine.afterRun(store, alerts.deliver) }) }) : undefined;
      if (queue) {
        try {
          // Installs the queue's schema, then brings back targets whose jobs were lost while no server ran.
          await queue.open();
          void queue.sweep();
        } catch (error) {
          throw new UsageError(`--db ${store.url}: cannot start the job queue (${error instanceof Error ? error.message : String(error)})`);
        }
      }
      const campaigns = new CampaignEngine({ store, settings: { ...checkSettings, addressLimit }, concurrency: checkConcurrency, deliver: alerts.deliver, onTick: alerts.onTick, runJobs: runChecks, ...(queue ? { queue } : {}) });
      await campaigns.start();
      const app = createApp({ store, catalog, limiter, secureCookies: options.secureCookies ?? false, heavyWork, campaigns, checks: { settings: checkSettings }, batchApi: { maxDomains: batchMaxDomains }, surveys: { ...(options.smtpUrl ? { smtpUrl: options.smtpUrl } : {}), mailFrom: options.mailFrom, ...(options.publicUrl ? { baseUrl: options.publicUrl } : {}), rateLimit: { max: surveyPostsPerMinute, windowMs: 60_000 } } });
      const server = serve({ fetch: app.fetch, port, hostname: options.host }, (info) => {
        console.log(`Baseline observatory on http://${options.host}:${info.port}/ (database ${store.url})`);
      });
      // Imports and a day's editing change the data's shape; fresh planner
      // statistics keep the list pages on the right indexes (Store.optimize).
      const optimizer = setInterval(() => void store.optimize().catch((error: unknown) => console.error(`baseline: optimize: ${String(error)}`)), OPTIMIZE_EVERY_MS);
      optimizer.unref();
      // Answers started and left hold what someone typed and never chose to
      // send: they are not kept for ever (the private link stops working).
      const pruneSessions = (): void => {
        void pruneAnswerSessions(store.db, new Date(Date.now() - surveyKeepDays * 86_400_000)).catch((error: unknown) => console.error(`baseline: survey sessions: ${String(error)}`));
      };
      pruneSessions();
      const pruner = setInterval(pruneSessions, 86_400_000);
      pruner.unref();
      const stop = (): void => {
        clearInterval(optimizer);
        clearInterval(pruner);
        server.close();
        // Checks still running after the grace time are taken up again at the next start (their leases).
        void campaigns
          .stop(5000)
          .then(() => queue?.close(1000))
          .then(() => addressLimit.close())
          .finally(() => void store.close());
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });

  program
    .command("admin")
    .description("manage accounts")
    .command("create")
    .description("create an account (the first one is the admin); the password is read from standard input")
    .requiredOption("--email <address>", "e-mail address to log in with")
    .requiredOption("--name <name>", "display name")
    .option("--role <role>", "admin, editor, viewer, or api (an account of the batch API only)", "admin")
    .option("--db <url>", "database", DEFAULT_DATABASE)
    .action(async (options: { email: string; name: string; role: string; db: string }) => {
      if (options.role !== "api" && !(ROLES as readonly string[]).includes(options.role)) throw new UsageError(`--role ${options.role}: expected one of ${[...ROLES, "api"].join(", ")}`);
      const password = await readPassword();
      const problem = passwordProblem(password);
      if (problem === "short") throw new UsageError(`password: must be at least ${MIN_PASSWORD_LENGTH} characters`);
      if (problem === "long") throw new UsageError(`password: must be at most ${MAX_PASSWORD_LENGTH} characters`);
      const store = await open(options.db);
      try {
        if (options.role === "api") {
          // Batch API accounts live apart from the users of the pages (store/api-accounts.ts).
          const account = await createApiAccount(store.db, { email: options.email, name: options.name, passwordHash: await hashPassword(password) }, null);
          console.error(`baseline: created api account ${account.email}`);
          return;
        }
        const user = await createUser(store.db, { email: options.email, name: options.name, role: options.role as Role, passwordHash: await hashPassword(password) }, null);
        console.error(`baseline: created ${user.role} ${user.email}`);
      } catch (error) {
        if (error instanceof ValidationError) throw new UsageError(error.issues.map((issue) => `--${issue.path || "input"}: ${issue.message}`).join("; "));
        throw new UsageError(error instanceof Error ? error.message : String(error));
      } finally {
        await store.close();
      }
    });

  program
    .command("backup")
    .description("write every table of the database to a JSON file")
    .argument("<file>", "backup file to write")
    .option("--db <url>", "database", DEFAULT_DATABASE)
    .action(async (file: string, options: { db: string }) => {
      const store = await open(options.db);
      try {
        const summary = await backupDatabase(store, file);
        console.error(`baseline: backup written to ${file} (${JSON.stringify(summary)})`);
      } finally {
        await store.close();
      }
    });

  program
    .command("restore")
    .description("replace the database's content with a backup file")
    .argument("<file>", "backup file to read")
    .option("--db <url>", "database", DEFAULT_DATABASE)
    .action(async (file: string, options: { db: string }) => {
      const store = await open(options.db);
      try {
        const summary = await restoreDatabase(store, file);
        console.error(`baseline: restored ${file} (${JSON.stringify(summary)})`);
      } catch (error) {
        throw new UsageError(`${file}: ${error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error)}`);
      } finally {
        await store.close();
      }
    });
}

/** The first line of standard input (a pipe in scripts, or typed at a prompt). */
async function readPassword(): Promise<string> {
  const lines = createInterface({ input: process.stdin, terminal: false });
  if (process.stdin.isTTY) process.stderr.write("password: ");
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return "";
}
