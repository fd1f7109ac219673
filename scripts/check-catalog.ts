/**
 * Lists every problem in the catalog files, one line each; exit 1 when there
 * are any. For catalog editors: `node scripts/check-catalog.ts [DIR]`.
 */
import { validateCatalog } from "../src/catalog/load.ts";

const { problems, catalog } = validateCatalog(process.argv[2]);
for (const problem of problems) console.log(problem);
if (catalog) console.log(`catalog OK: ${catalog.standards.length} standards, ${catalog.categories.length} categories`);
process.exitCode = problems.length > 0 ? 1 : 0;
