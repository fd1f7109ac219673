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

export interface AnalyzeOptions {
  /**
   * Read every abbreviation as the standard it names, as in an ICT tender,
   * whatever the document buys (the observatory's policy pre-fill: a
   * policy document has no CPV codes, and it is about standards).
   */
  assumeIct?: boolean;
  /** Called now and then during detection, so that a watchdog can tell a long document from a stuck one (IngestOptions.onProgress). */
  onProgress?: () => void;
}

export function analyzeTender(document: TenderDocument, catalog: Catalog, options: AnalyzeOptions = {}): TenderAnalysis {
  const language = detectLanguage(languageSample(document), document.declaredLanguage);
  const { cpv, categories, relevant } = relevanceOf(document, catalog, options.onProgress);
  const ict = options.assumeIct === true || categories.length > 0;
  const detection = detectRequests(document, catalog, { ict, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
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
    ...(document.truncated === true ? { truncated: true as const } : {}),
  };
}

/** The start of the text, enough for the language guess, without joining a whole (possibly huge) document. */
function languageSample(document: TenderDocument): string {
  const parts = [document.title ?? ""];
  let length = parts[0]?.length ?? 0;
  for (const passage of [...document.passages, ...(document.shared ?? []).flatMap(({ group }) => group.passages.slice(0, 50))]) {
    if (length >= LANGUAGE_SAMPLE) break;
    parts.push(passage.text);
    length += passage.text.length + 1;
  }
  return parts.join("\n");
}

/** detectLanguage reads 2,500 characters; a little more leaves room for the joins. */
const LANGUAGE_SAMPLE = 3000;

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
