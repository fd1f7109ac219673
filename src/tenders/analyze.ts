/**
 * One tender document → its analysis (interfaces.md §3): the language, what
 * is bought, the relevant standards, those requested (with level and
 * evidence), those missing, and the coverage.
 *
 * @example
 *   for await (const item of ingestPaths(["tenders/"])) if (!("error" in item)) console.log(analyzeTender(item, catalog));
 */
import type { Catalog } from "../catalog/catalog.ts";
import { detectRequests } from "./detect.ts";
import { detectLanguage } from "./language.ts";
import { relevanceOf } from "./relevance.ts";
import type { TenderAnalysis, TenderDocument } from "./types.ts";

export function analyzeTender(document: TenderDocument, catalog: Catalog): TenderAnalysis {
  const text = [document.title ?? "", ...document.passages.map((passage) => passage.text)].join("\n");
  const language = detectLanguage(text, document.declaredLanguage);
  const { cpv, categories, relevant } = relevanceOf(document, catalog);
  const detection = detectRequests(document, catalog, { ict: categories.length > 0 });
  const requestedIds = new Set(detection.requested.map((entry) => entry.standard));
  const missing = relevant.filter((id) => !requestedIds.has(id));
  const coverage = relevant.length === 0 ? null : round((relevant.length - missing.length) / relevant.length);
  return {
    source: document.source,
    language,
    title: document.title ?? null,
    authority: document.authority ?? null,
    publishedAt: document.publishedAt ?? null,
    cpv,
    categories,
    relevant,
    requested: detection.requested,
    missing,
    coverage,
    genericDemand: detection.genericDemand,
    ignored: detection.ignored,
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
