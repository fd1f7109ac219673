/** `baseline requirements`: the tender annex for what is being bought. */
import { Option, type Command } from "commander";
import { loadCatalog } from "../../catalog/load.ts";
import type { Language } from "../../catalog/schema.ts";
import { FORMATS, renderRequirements, type Format } from "../../requirements/render/index.ts";
import { requirementsFor } from "../../requirements/select.ts";
import { UsageError, writeFileAtomically } from "../output.ts";
import { languageOption } from "./options.ts";

interface RequirementsOptions {
  category: string[];
  cpv: string[];
  level: "mandatory" | "all";
  lang: Language;
  format?: Format;
  output?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, ...value.split(",").filter(Boolean)];

export function registerRequirementsCommand(program: Command, version: string): void {
  program
    .command("requirements")
    .description("generate the security requirements annex for a tender")
    .option("--category <id>", "procurement category (repeatable, or comma-separated)", collect, [])
    .option("--cpv <code>", "CPV code such as 72415000-2 (repeatable, or comma-separated)", collect, [])
    .addOption(new Option("--level <level>", "mandatory only, or all (recommended ones become award criteria)").choices(["mandatory", "all"]).default("all"))
    .addOption(languageOption())
    .addOption(new Option("--format <format>", "output format (default: from the -o extension, else md)").choices(FORMATS))
    .option("-o, --output <file>", "write to FILE instead of standard output")
    .addHelpText("after", "\nExample:\n  baseline requirements --cpv 72415000-2 --lang nl --format docx -o annex.docx")
    .action(async (options: RequirementsOptions) => {
      const format = options.format ?? formatFromPath(options.output) ?? "md";
      if (format === "docx" && !options.output && process.stdout.isTTY) {
        throw new UsageError("--format docx writes a binary file: give -o FILE");
      }
      const set = requirementsFor(loadCatalog(), {
        categories: options.category,
        cpv: options.cpv,
        level: options.level,
        language: options.lang,
      });
      for (const unmatched of set.scope.unmatchedCpv) {
        console.error(`baseline: note: CPV ${unmatched.code} (${unmatched.label}) belongs to no procurement category; it adds no requirements`);
      }
      const content = await renderRequirements(set, format, { version, date: new Date().toISOString().slice(0, 10) });
      if (options.output) {
        writeFileAtomically(options.output, content);
        console.error(`baseline: wrote ${set.requirements.length} requirements (${format}) to ${options.output}`);
      } else {
        process.stdout.write(content);
      }
    });
}

function formatFromPath(path: string | undefined): Format | undefined {
  const extension = path?.split(".").pop()?.toLowerCase();
  if (extension === "markdown") return "md";
  if (extension === "htm") return "html";
  return FORMATS.find((format) => format === extension);
}
