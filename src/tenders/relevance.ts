/**
 * What a tender buys and which standards are therefore relevant: the
 * categories come from its CPV codes through the catalog (a code belongs to
 * a category when it or an ancestor is listed), or, when the codes name no
 * ICT category or there are none, from the categories' keywords in its text. The relevant standards
 * are those the categories make mandatory, as the Dutch monitor counts the
 * standards of the comply-or-explain list whose scope covers the purchase.
 */
import type { Catalog } from "../catalog/catalog.ts";
import { CpvError } from "../catalog/cpv.ts";
import { progressTicker } from "./ingest/common.ts";
import { PairMemo } from "./pair-memo.ts";
import type { Passage, SharedPassages, TenderDocument } from "./types.ts";

/**
 * The watchdog's view of a scan: `tick` for each of many small steps (a
 * passage, a match), `step` for each scan of the whole text (a keyword),
 * which on a document of tens of megabytes takes a good part of a second.
 */
interface Progress {
  tick: () => void;
  step: () => void;
}

/** CPV codes written in the text: "72415000-2", "CPV 72415000". */
const CPV_IN_TEXT = /(?<!\d)(\d{8})(?:-(\d))?(?!\d)/g;

export interface Relevance {
  cpv: string[];
  categories: string[];
  relevant: string[];
}

/** `onProgress` is called while the text is scanned, for a watchdog (IngestOptions.onProgress). */
export function relevanceOf(document: TenderDocument, catalog: Catalog, onProgress?: () => void): Relevance {
  const progress: Progress = { tick: progressTicker(onProgress), step: onProgress ?? (() => undefined) };
  const codes = new Set(document.cpv);
  if (codes.size === 0) {
    for (const code of cpvInText(document.passages, catalog, progress)) codes.add(code);
    for (const { group } of document.shared ?? []) for (const code of sharedScan(catalog, group, progress).cpv) codes.add(code);
  }
  const categories = new Set<string>();
  for (const code of codes) {
    try {
      for (const category of catalog.categoriesForCpv(catalog.cpv.resolve(code))) categories.add(category.id);
    } catch (error) {
      if (!(error instanceof CpvError)) throw error;
    }
  }
  // Without codes, or with codes outside every ICT category (meters that are in fact smart meters), the text decides.
  if (categories.size === 0) for (const id of categoriesFromKeywords(document, catalog, progress)) categories.add(id);

  const relevant = new Set<string>();
  for (const id of categories) {
    for (const entry of catalog.category(id).standards) if (entry.level === "mandatory") relevant.add(entry.id);
  }
  return { cpv: [...codes].sort(), categories: [...categories].sort(), relevant: [...relevant].sort() };
}

/** Codes written in the passages that the catalog knows. */
function cpvInText(passages: Passage[], catalog: Catalog, progress: Progress): Set<string> {
  const codes = new Set<string>();
  for (const passage of passages) {
    progress.tick();
    for (const match of passage.text.matchAll(CPV_IN_TEXT)) {
      const code = match[1] ?? "";
      const entry = catalog.cpv.get(code);
      // Only real codes, with a matching check digit when one is written, so that phone numbers do not count.
      if (entry && (match[2] === undefined || match[2] === entry.checkDigit)) codes.add(code);
    }
  }
  return codes;
}

/** Every category keyword (lower case) that occurs as a word in the passages. */
function keywordsIn(passages: Passage[], catalog: Catalog, progress: Progress): Set<string> {
  const body = passages.map((passage) => passage.text).join("\n").toLowerCase();
  const found = new Set<string>();
  for (const category of catalog.categories) {
    for (const keyword of Object.values(category.keywords).flat()) {
      progress.step();
      const lower = keyword.toLowerCase();
      if (!found.has(lower) && containsWord(body, lower, progress.tick)) found.add(lower);
    }
  }
  return found;
}

const sharedScans = new PairMemo<Catalog, SharedPassages, { cpv: Set<string>; keywords: Set<string> }>();

/** What a shared attachment adds, computed once for all the tenders that cite it. */
function sharedScan(catalog: Catalog, group: SharedPassages, progress: Progress): { cpv: Set<string>; keywords: Set<string> } {
  return sharedScans.get(catalog, group, () => ({ cpv: cpvInText(group.passages, catalog, progress), keywords: keywordsIn(group.passages, catalog, progress) }));
}

/** Categories whose keywords appear at least twice, or once in the title. */
function categoriesFromKeywords(document: TenderDocument, catalog: Catalog, progress: Progress): string[] {
  const title = (document.title ?? "").toLowerCase();
  const inBody = keywordsIn(document.passages, catalog, progress);
  for (const { group } of document.shared ?? []) for (const keyword of sharedScan(catalog, group, progress).keywords) inBody.add(keyword);
  return catalog.categories
    .filter((category) => {
      const keywords = Object.values(category.keywords).flat().map((keyword) => keyword.toLowerCase());
      let hits = 0;
      for (const keyword of keywords) {
        if (title.includes(keyword)) return true;
        if (inBody.has(keyword)) hits++;
      }
      return hits >= 2;
    })
    .map((category) => category.id);
}

function containsWord(text: string, phrase: string, tick: () => void): boolean {
  let index = text.indexOf(phrase);
  while (index !== -1) {
    tick();
    const before = text[index - 1] ?? " ";
    const after = text[index + phrase.length] ?? " ";
    if (!/[\p{L}\p{N}]/u.test(before) && !/[\p{L}\p{N}]/u.test(after)) return true;
    index = text.indexOf(phrase, index + 1);
  }
  return false;
}
