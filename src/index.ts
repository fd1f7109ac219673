/**
 * Baseline's library entry point.
 *
 * @example
 *   import { loadCatalog, requirementsFor } from "baseline";
 *   const set = requirementsFor(loadCatalog(), { categories: ["web-hosting"], level: "all", language: "en" });
 */
export { loadCatalog, CatalogError, DEFAULT_CATALOG_DIR, type LoadCatalogOptions } from "./catalog/load.ts";
export { Catalog, UnknownIdError } from "./catalog/catalog.ts";
export { CpvVocabulary, CpvError, type CpvEntry } from "./catalog/cpv.ts";
export type { Standard, Category, LocalizedText, Language, RequirementLevel } from "./catalog/schema.ts";
