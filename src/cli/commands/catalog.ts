/** `baseline standards`, `baseline standards show ID`, `baseline categories`: print the catalog. */
import type { Command } from "commander";
import { loadCatalog } from "../../catalog/load.ts";
import type { Language, Standard } from "../../catalog/schema.ts";
import { languageOption } from "./options.ts";

export function registerCatalogCommands(program: Command): void {
  const standards = program
    .command("standards")
    .description("list the standards in the catalog")
    .option("--json", "print JSON")
    .action((options: { json?: boolean }) => {
      const catalog = loadCatalog();
      if (options.json) {
        print({ standards: catalog.standards });
        return;
      }
      const width = Math.max(...catalog.standards.map((standard) => standard.id.length));
      for (const standard of catalog.standards) {
        console.log(`${standard.id.padEnd(width)}  ${standard.name.en}: ${standard.fullName.en}`);
      }
    });

  standards
    .command("show")
    .description("show one standard")
    .argument("<id>", "standard id, e.g. dnssec")
    .option("--json", "print JSON")
    .addOption(languageOption())
    .action((id: string, options: { json?: boolean; lang: Language }) => {
      const standard = loadCatalog().standard(id);
      if (options.json) print(standard);
      else console.log(describeStandard(standard, options.lang));
    });

  program
    .command("categories")
    .description("list the procurement categories and their standards")
    .option("--json", "print JSON")
    .action((options: { json?: boolean }) => {
      const catalog = loadCatalog();
      if (options.json) {
        print({ categories: catalog.categories });
        return;
      }
      for (const category of catalog.categories) {
        const byLevel = (level: string): string =>
          category.standards
            .filter((entry) => entry.level === level)
            .map((entry) => entry.id)
            .join(", ") || "-";
        console.log(`${category.id}: ${category.name.en}`);
        console.log(`  mandatory:   ${byLevel("mandatory")}`);
        console.log(`  recommended: ${byLevel("recommended")}`);
        console.log(`  CPV:         ${category.cpv.join(", ")}`);
      }
    });
}

function describeStandard(standard: Standard, language: Language): string {
  const lines = [
    `${standard.name[language]}: ${standard.fullName[language]} (${standard.id})`,
    "",
    standard.summary[language],
    "",
    `Protects against: ${standard.protectsAgainst[language]}`,
    "",
    "Specifications:",
    ...standard.specifications.map((spec) => `  ${spec.ref} (${spec.publisher}) ${spec.title} <${spec.url}>`),
    "",
    `Applies to: ${standard.appliesTo.categories.join(", ")}`,
    `Maturity: ${standard.maturity.level}`,
    "",
    "Required or recommended by:",
    ...standard.policies.map((policy) => `  [${policy.jurisdiction}] ${policy.name} (${policy.effect}) <${policy.url}>`),
    "",
    `Mandatory clause: ${standard.clause.mandatory[language]}`,
    "",
    `Desirable clause: ${standard.clause.desirable[language]}`,
    "",
    `Or equivalent: ${standard.orEquivalent[language]}`,
    "",
    `Verification: ${standard.verification.method[language]}`,
    ...(standard.verification.checks.length ? [`Checks: ${standard.verification.checks.join(", ")}`] : []),
    ...(standard.related.length ? [`Related: ${standard.related.join(", ")}`] : []),
  ];
  return lines.join("\n");
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
