/**
 * A worker thread's side of heavy-work.ts: opens its own connection to the
 * server's database, runs one job (store-jobs.ts), posts the result (an
 * export's chunks transferred, not copied) and closes. Its own connection is what keeps the
 * server's event loop and database connection free meanwhile: on SQLite
 * (WAL) the server goes on reading while the import writes.
 */
import { parentPort, workerData } from "node:worker_threads";
import { openDatabase, type OpenDatabaseOptions } from "../../store/index.ts";
import { runStoreJob, type StoreJob } from "./store-jobs.ts";

interface WorkerInput {
  database: { url: string; options?: OpenDatabaseOptions };
  job: StoreJob;
}

const { database, job: given } = workerData as WorkerInput;
const port = parentPort;
if (!port) throw new Error("store-worker.ts runs as a worker thread (heavy-work.ts starts it)");
const store = await openDatabase(database.url, database.options);
// PostgreSQL locks rows, not the database: an import there is one transaction, stepping aside for no one.
const job: StoreJob = given.kind === "import" && store.dialect !== "sqlite" ? { ...given, yieldTo: undefined } : given;
try {
  const result = await runStoreJob(store.db, job);
  // An export's chunks are moved to the server's thread, not copied.
  port.postMessage({ result }, "chunks" in result ? result.chunks.map((chunk) => chunk.buffer) : []);
} catch (error) {
  port.postMessage({ error: error instanceof Error ? error.message : String(error) });
} finally {
  await store.close();
}
