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
export { requirementsFor, EmptySelectionError, type RequirementRequest, type RequirementSet, type Requirement } from "./requirements/select.ts";
export { renderRequirements, FORMATS, type Format } from "./requirements/render/index.ts";
export { buildAnnex, type AnnexDocument } from "./requirements/annex.ts";
export { toOcdsCriteria } from "./requirements/render/ocds.ts";
