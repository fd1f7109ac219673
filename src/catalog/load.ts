/**
 * Loads and validates the catalog: every standard and category YAML file is
 * checked against the schema, then against each other (ids that refer to
 * other entries must exist) and against the CPV vocabulary. Any problem
 * throws a CatalogError that names the file and the field.
 *
 * @example
 *   const catalog = loadCatalog();
 *   catalog.standard("dnssec").clause.mandatory.en;
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { CpvError, CpvVocabulary } from "./cpv.ts";
import { Catalog } from "./catalog.ts";
import { categorySchema, standardSchema, type Category, type Standard } from "./schema.ts";

export interface LoadCatalogOptions {
  /** Folder holding `standards/`, `categories/` and `cpv/`; defaults to the repository's `catalog/`. */
  dir?: string;
}

export const DEFAULT_CATALOG_DIR = fileURLToPath(new URL("../../catalog/", import.meta.url));

export class CatalogError extends Error {
  override name = "CatalogError";
}

let cached: Catalog | undefined;

/** Loads the catalog once per process (for the default folder) and validates it. */
export function loadCatalog(options: LoadCatalogOptions = {}): Catalog {
  if (!options.dir && cached) return cached;
  const dir = options.dir ?? DEFAULT_CATALOG_DIR;
  const { problems, catalog } = validateCatalog(dir);
  const first = problems[0];
  if (first !== undefined || !catalog) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : "";
    throw new CatalogError(`${first ?? "catalog could not be loaded"}${more}`);
  }
  if (!options.dir) cached = catalog;
  return catalog;
}

/**
 * Checks every catalog file and returns all problems found, one line each
 * ("catalog/standards/x.yaml: field clause.mandatory.fr: must not be empty"),
 * and the catalog when there were none.
 */
export function validateCatalog(dir: string = DEFAULT_CATALOG_DIR): { problems: string[]; catalog?: Catalog } {
  const problems: string[] = [];
  const cpv = CpvVocabulary.fromCsv(join(dir, "cpv", "cpv-2008.csv"));
  const standards = readEntries(dir, "standards", standardSchema, problems);
  const categories = readEntries(dir, "categories", categorySchema, problems);
  checkReferences(dir, standards, categories, cpv, problems);
  if (problems.length > 0) return { problems };
  const catalog = new Catalog(
    standards.map((entry) => entry.value),
    categories.map((entry) => entry.value),
    cpv,
  );
  return { problems, catalog };
}

interface Loaded<T> {
  file: string;
  value: T;
}

function readEntries<S extends z.ZodType>(dir: string, folder: string, schema: S, problems: string[]): Loaded<z.infer<S>>[] {
  const folderPath = join(dir, folder);
  const files = readdirSync(folderPath)
    .filter((name) => name.endsWith(".yaml"))
    .sort();
  const loaded: Loaded<z.infer<S>>[] = [];
  for (const name of files) {
    const path = join(folderPath, name);
    const file = relative(process.cwd(), path) || path;
    const document = parseDocument(readFileSync(path, "utf8"), { prettyErrors: true });
    const firstError = document.errors[0];
    if (firstError) {
      problems.push(`${file}: invalid YAML: ${firstError.message.split("\n")[0]}`);
      continue;
    }
    const result = schema.safeParse(document.toJS());
    if (!result.success) {
      for (const issue of result.error.issues) {
        const field = issue.path.length ? issue.path.join(".") : "(top level)";
        problems.push(`${file}: field ${field}: ${issue.message}`);
      }
      continue;
    }
    const value = result.data as { id: string };
    const expectedId = basename(name, ".yaml");
    if (value.id !== expectedId) problems.push(`${file}: field id: is "${value.id}" but the file is named ${name}`);
    else loaded.push({ file, value: result.data });
  }
  return loaded;
}

function checkReferences(
  dir: string,
  standards: Loaded<Standard>[],
  categories: Loaded<Category>[],
  cpv: CpvVocabulary,
  problems: string[],
): void {
  const standardIds = new Set(standards.map((entry) => entry.value.id));
  const categoryIds = new Set(categories.map((entry) => entry.value.id));
  const fail = (file: string, field: string, message: string): void => {
    problems.push(`${file}: field ${field}: ${message}`);
  };
  for (const { file, value } of standards) {
    value.appliesTo.categories.forEach((id, index) => {
      if (!categoryIds.has(id)) fail(file, `appliesTo.categories.${index}`, `unknown category "${id}"`);
    });
    value.related.forEach((id, index) => {
      if (!standardIds.has(id)) fail(file, `related.${index}`, `unknown standard "${id}"`);
    });
  }
  for (const { file, value } of categories) {
    const seen = new Set<string>();
    value.standards.forEach((entry, index) => {
      if (!standardIds.has(entry.id)) fail(file, `standards.${index}.id`, `unknown standard "${entry.id}"`);
      if (seen.has(entry.id)) fail(file, `standards.${index}.id`, `standard "${entry.id}" is listed twice`);
      seen.add(entry.id);
    });
    value.cpv.forEach((code, index) => {
      try {
        cpv.resolve(code);
      } catch (error) {
        if (!(error instanceof CpvError)) throw error;
        fail(file, `cpv.${index}`, error.message);
      }
    });
  }
  if (standards.length === 0) problems.push(`${join(dir, "standards")}: no standard files found`);
}
