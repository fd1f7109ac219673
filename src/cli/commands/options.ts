/** Options shared by several commands. */
import { Option } from "commander";
import { REQUIRED_LANGUAGES } from "../../catalog/schema.ts";

export function languageOption(): Option {
  return new Option("--lang <code>", "language of the texts").choices(REQUIRED_LANGUAGES).default("en");
}
