/**
 * A tender pool worker: reads and analyses one file at a time, as asked by
 * pool.ts, under the memory limits the pool gave this thread. Whatever a
 * hostile file does here (exhaust the heap, loop, throw), the pool sees the
 * worker fail or fall silent and the main process goes on.
 */
import { parentPort } from "node:worker_threads";
import { loadCatalog } from "../../catalog/load.ts";
import { analyzeTender } from "../analyze.ts";
import { oneLine } from "../ingest/common.ts";
import { ingestFileStream } from "../ingest/index.ts";
import type { TaskMessage, WorkerMessage } from "./protocol.ts";

/** Progress is reported at most this often: enough to show the pool that a long document is moving, read or analysed. */
const PROGRESS_INTERVAL_MS = 250;

const port = parentPort;
if (!port) throw new Error("worker.ts runs only as a worker thread of the tender pool");
const catalog = loadCatalog();
const post = (message: WorkerMessage): void => port.postMessage(message);

port.on("message", (task: TaskMessage) => {
  void run(task);
});
post({ kind: "ready" });

async function run(task: TaskMessage): Promise<void> {
  let lastProgress = Date.now();
  const onProgress = (): void => {
    const now = Date.now();
    if (now - lastProgress < PROGRESS_INTERVAL_MS) return;
    lastProgress = now;
    post({ id: task.id, kind: "progress" });
  };
  try {
    for await (const item of ingestFileStream(task.path, { ...task.options, onProgress })) {
      if ("error" in item) post({ id: task.id, kind: "failure", failure: item });
      else post({ id: task.id, kind: "analysis", analysis: analyzeTender(item, catalog, { assumeIct: task.assumeIct === true, onProgress }) });
    }
  } catch (error) {
    // ingestFileStream turns reader errors into failures; this is for anything else (analysis).
    post({ id: task.id, kind: "failure", failure: { source: task.path, error: `analysis failed: ${oneLine(error)}` } });
  }
  post({ id: task.id, kind: "done" });
}
