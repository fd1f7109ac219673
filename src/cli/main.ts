/**
 * The `baseline` command: parses arguments, calls the library, prints.
 * Exit codes (interfaces.md §2): 0 success, 1 a reported failure, 2 usage or
 * input error with one line on stderr.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { UnknownIdError } from "../catalog/catalog.ts";
import { CpvError } from "../catalog/cpv.ts";
import { CatalogError } from "../catalog/load.ts";
import { EmptySelectionError } from "../requirements/select.ts";
import { AddressRefusedError } from "../dns/address-policy.ts";
import { DnsInputError } from "../dns/resolver.ts";
import { CheckInputError } from "../checks/errors.ts";
import { registerCatalogCommands } from "./commands/catalog.ts";
import { registerCheckCommand } from "./commands/check.ts";
import { registerDnsCommand } from "./commands/dns.ts";
import { registerRequirementsCommand } from "./commands/requirements.ts";
import { registerServerCommands } from "./commands/server.ts";
import { registerSurveyCommands } from "./commands/survey.ts";
import { registerTenderCommands } from "./commands/tender.ts";
import { registerWorkerCommand } from "./commands/worker.ts";
import { UsageError } from "./output.ts";

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

/** Errors that are the user's input, not Baseline's fault: one line, exit 2. */
const INPUT_ERRORS = [UsageError, UnknownIdError, CpvError, EmptySelectionError, DnsInputError, AddressRefusedError, CheckInputError];

export async function main(argv: string[]): Promise<number> {
  const program = new Command("baseline")
    .description("Internet security standards in every procurement")
    .version(version)
    .showSuggestionAfterError()
    .exitOverride()
    .enablePositionalOptions()
    .configureOutput({ outputError: (message, write) => write(`baseline: ${message.replace(/^error: /, "")}`) });
  registerCatalogCommands(program);
  registerRequirementsCommand(program, version);
  registerDnsCommand(program);
  registerCheckCommand(program, version);
  registerTenderCommands(program);
  registerServerCommands(program);
  registerSurveyCommands(program);
  registerWorkerCommand(program);
  const overrideExits = (command: Command): void => {
    command.exitOverride();
    command.commands.forEach(overrideExits);
  };
  program.commands.forEach(overrideExits);

  try {
    await program.parseAsync(argv, { from: "user" });
    // A command that ran but reports failures (e.g. documents that could not be read) sets exitCode 1.
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    if (INPUT_ERRORS.some((kind) => error instanceof kind)) {
      console.error(`baseline: ${(error as Error).message}`);
      return 2;
    }
    if (error instanceof CatalogError) {
      console.error(`baseline: the catalog is invalid: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
