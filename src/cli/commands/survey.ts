/**
 * `baseline survey ...`: surveys from XLSForms. One function per
 * subcommand, each registered in registerSurveyCommands; `validate` reads a
 * form as the web upload does and prints it (interfaces.md §5).
 */
import { readFileSync, statSync } from "node:fs";
import type { Command } from "commander";
import { formToJson, METADATA_TYPES, type Form } from "../../surveys/form.ts";
import { FormError, formErrorLine, MAX_FORM_BYTES, oversize, readXlsForm } from "../../surveys/xlsform.ts";
import { UsageError } from "../output.ts";

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
