/**
 * Messages between the tender pool (main thread) and its workers. A task is
 * one file; the worker answers with each tender's analysis or failure as
 * soon as it has it, progress while a long document is being read, and
 * `done` when the file is finished.
 */
import type { IngestOptions } from "../ingest/common.ts";
import type { IngestFailure, TenderAnalysis } from "../types.ts";

export interface TaskMessage {
  id: number;
  path: string;
  options: IngestOptions;
  /** analyzeTender's assumeIct (policy pre-fill). */
  assumeIct?: boolean;
}

export type WorkerMessage =
  | { kind: "ready" }
  | { id: number; kind: "analysis"; analysis: TenderAnalysis }
  | { id: number; kind: "failure"; failure: IngestFailure }
  | { id: number; kind: "progress" }
  | { id: number; kind: "done" };
