/**
 * `baseline survey ...`: surveys from XLSForms. One function per
 * subcommand, each registered in registerSurveyCommands; `validate` reads a
 * form as the web upload does and prints it, `import` stores it as a new
 * survey, `export` streams a survey's responses (interfaces.md §5).
 */
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createWriteStream, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { Option, type Command } from "commander";
import { createSurvey, DatabaseOpenError, DatabaseUrlError, getSurvey, iterateResponses, openDatabase, type Store } from "../../store/index.ts";
import { exportCsv } from "../../surveys/export-csv.ts";
import { exportJson } from "../../surveys/export-json.ts";
import { exportSpss } from "../../surveys/export-spss.ts";
import { exportXlsx } from "../../surveys/export-xlsx.ts";
import { formToJson, METADATA_TYPES, type Form } from "../../surveys/form.ts";
import { FormError, formErrorLine, MAX_FORM_BYTES, oversize, readXlsForm } from "../../surveys/xlsform.ts";
import { UsageError } from "../output.ts";
import { DEFAULT_DATABASE } from "./server.ts";

/** Lines printed for one form's errors at most; the rest are counted. */
const MAX_ERROR_LINES = 20;

export function registerSurveyCommands(program: Command): void {
  const survey = program.command("survey").description("surveys from XLSForms: validate, import, export");

  survey
    .command("validate")
    .description("read an XLSForm (.xlsx or .csv) and report what Baseline makes of it, or what is wrong with it")
    .argument("<file>", "the XLSForm")
    .option("--json", "print the form as JSON")
    .action(async (file: string, options: { json?: boolean }) => {
      process.exitCode = await validateCommand(file, options);
    });

  survey
    .command("import")
    .description("store an XLSForm as a new survey (public, open at once) and print its id and public path")
    .argument("<file>", "the XLSForm (.xlsx or .csv)")
    .option("--db <url>", "database", DEFAULT_DATABASE)
    .action(async (file: string, options: { db: string }) => {
      process.exitCode = await importCommand(file, options);
    });

  survey
    .command("export")
    .description("write a survey's responses as CSV, XLSX, JSON or SPSS syntax")
    .argument("<id>", "the survey's id")
    .addOption(new Option("--format <format>", "file format").choices(EXPORT_FORMATS).default("csv"))
    .option("-o, --output <file>", "file to write (default: standard output)")
    .option("--labels", "CSV: question and choice labels instead of names")
    .option("--language <name>", "language of labels, as the form names it (default: the form's default)")
    .option("--db <url>", "database", DEFAULT_DATABASE)
    .action(async (id: string, options: ExportCommandOptions) => {
      await exportCommand(id, options);
    });
}

export const EXPORT_FORMATS = ["csv", "xlsx", "json", "spss"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

interface ExportCommandOptions {
  format: ExportFormat;
  output?: string;
  labels?: boolean;
  language?: string;
  db: string;
}

async function openStore(url: string): Promise<Store> {
  try {
    return await openDatabase(url);
  } catch (error) {
    if (error instanceof DatabaseUrlError || error instanceof DatabaseOpenError) throw new UsageError(error.message.split("\n")[0] ?? error.message);
    throw error;
  }
}

/** `survey import FILE`: the form as validate reads it, stored; prints "ID /surveys/ID". */
export async function importCommand(file: string, options: { db: string }): Promise<number> {
  let form: Form;
  try {
    form = await readXlsForm(readFormFile(file), file);
  } catch (error) {
    if (!(error instanceof FormError)) throw error;
    printFormErrors(file, error);
    return 2;
  }
  const store = await openStore(options.db);
  try {
    const survey = await createSurvey(store.db, { form, formId: form.id, title: form.title, version: form.version, fileName: basename(file) }, null);
    process.stdout.write(`${survey.id} /surveys/${survey.id}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * `survey export ID`: streams the responses in the format asked for, to
 * standard output or to a file written through a temporary one beside it
 * (renamed into place when complete, removed on failure).
 */
export async function exportCommand(id: string, options: ExportCommandOptions): Promise<void> {
  const store = await openStore(options.db);
  try {
    const survey = await getSurvey(store.db, id);
    if (!survey) throw new UsageError(`no survey with id ${id}`);
    const form = survey.form as Form;
    if (options.language !== undefined && !form.languages.includes(options.language)) {
      throw new UsageError(`--language ${options.language}: the form's languages are ${form.languages.join(", ")}`);
    }
    const language = options.language ?? form.defaultLanguage;
    const source = () => iterateResponses(store.db, survey.id);
    const write = async (out: Writable, end: boolean): Promise<void> => {
      switch (options.format) {
        case "csv":
          return exportCsv(form, source(), out, { labels: options.labels ?? false, language, end });
        case "json":
          return exportJson(form, source(), out, { end });
        case "spss":
          return exportSpss(form, source, out, { language, end });
        case "xlsx":
          return exportXlsx(form, source, out, { language });
      }
    };
    if (options.output === undefined) {
      // A reader that stops early (`survey export ID | head`) closes the pipe: the export ends
      // there, quietly, as other tools do, rather than as a crash with a stack trace. The listener
      // stays: a write still under way when the export returns can fail after it.
      if (!process.stdout.listeners("error").includes(ignoreClosedPipe)) process.stdout.on("error", ignoreClosedPipe);
      try {
        await write(process.stdout, false);
      } catch (error) {
        if (!isClosedPipe(error)) throw error;
      }
      return;
    }
    const target = options.output;
    const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
    let out: Writable | undefined;
    try {
      const file = createWriteStream(temporary, { flags: "wx" });
      out = file;
      // Opened (or refused: a missing folder) before anything is written.
      await once(file, "open");
      const done = finished(file);
      // Seen here should the export fail first; awaited below otherwise.
      done.catch(() => undefined);
      await write(file, true);
      await done;
      renameSync(temporary, target);
    } catch (error) {
      out?.destroy();
      rmSync(temporary, { force: true });
      if (error instanceof Error && "code" in error && typeof error.code === "string" && error.code.startsWith("E")) throw new UsageError(`cannot write ${target}: ${error.code === "ENOENT" ? "its folder does not exist" : error.message}`);
      throw error;
    }
  } finally {
    await store.close();
  }
}

function isClosedPipe(error: unknown): boolean {
  return error instanceof Error && "code" in error && error.code === "EPIPE";
}

function ignoreClosedPipe(error: Error): void {
  if (!isClosedPipe(error)) throw error;
}

/**
 * Reads the file into bytes: a missing file is a usage error; one over
 * MAX_FORM_BYTES a FormError, found from its size before reading it.
 */
export function readFormFile(file: string): Uint8Array {
  let size: number;
  try {
    const stats = statSync(file);
    if (!stats.isFile()) throw new UsageError(`${file}: not a file`);
    size = stats.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${file}: ${error instanceof Error && "code" in error && error.code === "ENOENT" ? "no such file" : String(error)}`);
  }
  if (size > MAX_FORM_BYTES) throw oversize(size);
  return readFileSync(file);
}

/** Prints a FormError and the others found with it, one line each, on stderr. */
export function printFormErrors(file: string, error: FormError): void {
  const all = [error, ...error.others];
  for (const each of all.slice(0, MAX_ERROR_LINES)) console.error(formErrorLine(file, each));
  if (all.length > MAX_ERROR_LINES) console.error(`${file}: ... and ${all.length - MAX_ERROR_LINES} more errors`);
}

export async function validateCommand(file: string, options: { json?: boolean }): Promise<number> {
  let form: Form;
  try {
    form = await readXlsForm(readFormFile(file), file);
  } catch (error) {
    if (!(error instanceof FormError)) throw error;
    printFormErrors(file, error);
    return 2;
  }
  process.stdout.write(options.json ? `${JSON.stringify(formToJson(form), null, 2)}\n` : summary(form));
  return 0;
}

function summary(form: Form): string {
  const topLevel = form.groups.filter((group) => !group.path.includes("/")).length;
  const metadata: readonly string[] = METADATA_TYPES;
  const asked = form.questions.filter((question) => question.type !== "calculate" && question.type !== "note" && !metadata.includes(question.type));
  return [
    form.title,
    `  id ${form.id}${form.version ? `, version ${form.version}` : ""}`,
    `  languages: ${form.languages.join(", ")} (default ${form.defaultLanguage})`,
    `  ${form.questions.length} questions (${asked.length} asked) in ${form.groups.length} groups (${topLevel} at the top level)`,
    "",
  ].join("\n");
}
