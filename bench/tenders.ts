/**
 * Tender monitor benchmark on the labelled corpus (corpus/tenders):
 *
 * 1. Quality: precision, recall and F1 of `requested` (a standard counts as
 *    found when detected at all; its level is scored separately), per
 *    standard and overall, and false alarms on non-ICT tenders.
 * 2. Throughput: plain-text documents per second (ingestion + analysis),
 *    and PDF pages per second on the corpus PDFs.
 * 3. Memory: heap over a 10,000-document run made by repeating the corpus.
 *
 * The peer in the same run is the naive detector every manual check starts
 * from: "the standard's name or abbreviation occurs in the text". Its
 * scores show what the context rules (negation, existing state, URLs, false
 * friends, legacy protocols) add. Run: `node --expose-gc bench/tenders.ts`.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCatalog } from "../src/catalog/load.ts";
import { analyzeTender } from "../src/tenders/analyze.ts";
import { ingestPaths } from "../src/tenders/ingest/index.ts";
import { compileLexicon } from "../src/tenders/lexicon.ts";
import type { TenderAnalysis, TenderDocument } from "../src/tenders/types.ts";

interface Label {
  file: string;
  language: string;
  ict: boolean;
  requested: Record<string, "required" | "desired">;
}

const corpus = fileURLToPath(new URL("../corpus/tenders/", import.meta.url));
// labels.json and labels-*.json: the corpus was written in parts.
const labels = readdirSync(corpus)
  .filter((name) => /^labels(-[\w-]+)?\.json$/.test(name))
  .sort()
  .flatMap((name) => JSON.parse(readFileSync(join(corpus, name), "utf8")) as Label[]);
const catalog = loadCatalog();

async function documentsOf(paths: string[]): Promise<TenderDocument[]> {
  const documents: TenderDocument[] = [];
  for await (const item of ingestPaths(paths)) {
    if ("error" in item) throw new Error(`${item.source}: ${item.error}`);
    documents.push(item);
  }
  return documents;
}

/** The peer: any lexicon hit anywhere counts as a request. */
function naiveRequested(document: TenderDocument): Set<string> {
  const text = document.passages.map((passage) => passage.text).join("\n");
  const found = new Set<string>();
  for (const matcher of compileLexicon(catalog).matchers) {
    if (matcher.mention.some((pattern) => new RegExp(pattern.source, pattern.flags.replace("g", "")).test(text))) found.add(matcher.standard);
  }
  return found;
}

interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

function score(predicted: Map<string, Set<string>>): { overall: Counts; perStandard: Map<string, Counts>; nonIctFalseAlarms: number } {
  const perStandard = new Map<string, Counts>();
  const overall: Counts = { tp: 0, fp: 0, fn: 0 };
  let nonIctFalseAlarms = 0;
  for (const label of labels) {
    const found = predicted.get(label.file) ?? new Set<string>();
    const expected = new Set(Object.keys(label.requested));
    if (!label.ict) nonIctFalseAlarms += found.size;
    for (const standard of new Set([...found, ...expected])) {
      const counts = perStandard.get(standard) ?? { tp: 0, fp: 0, fn: 0 };
      const key = found.has(standard) ? (expected.has(standard) ? "tp" : "fp") : "fn";
      counts[key]++;
      overall[key]++;
      perStandard.set(standard, counts);
    }
  }
  return { overall, perStandard, nonIctFalseAlarms };
}

const f1 = ({ tp, fp, fn }: Counts): { precision: number; recall: number; f1: number } => {
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  return { precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall) };
};
const fmt = (value: number): string => value.toFixed(3);

const textFiles = labels.map((label) => join(corpus, label.file));
const documents = await documentsOf(textFiles);
const byFile = new Map(documents.map((document, index) => [labels[index]?.file ?? document.source, document]));

const analyses = new Map<string, TenderAnalysis>();
for (const [file, document] of byFile) analyses.set(file, analyzeTender(document, catalog));
const ours = score(new Map([...analyses].map(([file, analysis]) => [file, new Set(analysis.requested.map((entry) => entry.standard))])));
const naive = score(new Map([...byFile].map(([file, document]) => [file, naiveRequested(document)])));

let levelRight = 0;
let levelTotal = 0;
for (const label of labels) {
  for (const entry of analyses.get(label.file)?.requested ?? []) {
    const expected = label.requested[entry.standard];
    if (!expected) continue;
    levelTotal++;
    if (expected === entry.level) levelRight++;
  }
}

console.log(`quality on ${labels.length} labelled tenders (${labels.filter((label) => !label.ict).length} non-ICT):`);
console.log("standard                     baseline P / R / F1         naive P / R / F1");
for (const standard of [...new Set([...ours.perStandard.keys(), ...naive.perStandard.keys()])].sort()) {
  const a = f1(ours.perStandard.get(standard) ?? { tp: 0, fp: 0, fn: 0 });
  const b = f1(naive.perStandard.get(standard) ?? { tp: 0, fp: 0, fn: 0 });
  console.log(`  ${standard.padEnd(26)} ${fmt(a.precision)} ${fmt(a.recall)} ${fmt(a.f1)}    ${fmt(b.precision)} ${fmt(b.recall)} ${fmt(b.f1)}`);
}
const total = f1(ours.overall);
const peer = f1(naive.overall);
console.log(`overall: baseline P ${fmt(total.precision)} R ${fmt(total.recall)} F1 ${fmt(total.f1)} (target >= 0.95); naive F1 ${fmt(peer.f1)}; ratio ${(total.f1 / peer.f1).toFixed(2)}`);
console.log(`false alarms on non-ICT tenders: baseline ${ours.nonIctFalseAlarms} (target 0), naive ${naive.nonIctFalseAlarms}`);
console.log(`level (required/desired) right for ${levelRight} of ${levelTotal} correctly found standards`);

// Throughput: ingestion + analysis of the plain-text corpus, repeated.
const ROUNDS = 20;
let started = process.hrtime.bigint();
for (let round = 0; round < ROUNDS; round++) {
  for (const document of await documentsOf(textFiles)) analyzeTender(document, catalog);
}
let seconds = Number(process.hrtime.bigint() - started) / 1e9;
const textRate = (ROUNDS * textFiles.length) / seconds;
started = process.hrtime.bigint();
for (let round = 0; round < ROUNDS; round++) for (const document of documents) naiveRequested(document);
seconds = Number(process.hrtime.bigint() - started) / 1e9;
const naiveRate = (ROUNDS * documents.length) / seconds;
console.log(`plain text: ${Math.round(textRate)} documents/s read and analysed (target >= 200); naive matcher alone ${Math.round(naiveRate)} documents/s`);

const documentsFolder = fileURLToPath(new URL("../corpus/documents/", import.meta.url));
const pdfs = readdirSync(documentsFolder).filter((name) => name.endsWith(".pdf")).map((name) => join(documentsFolder, name));
if (pdfs.length > 0) {
  started = process.hrtime.bigint();
  let pages = 0;
  for (let round = 0; round < 5; round++) {
    for (const document of await documentsOf(pdfs)) {
      pages += document.pages ?? 0;
      analyzeTender(document, catalog);
    }
  }
  seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`PDF: ${Math.round(pages / seconds)} pages/s over ${pdfs.length} files x 5`);
}

// Memory over 10,000 documents: the corpus repeated, analysed one at a time.
const heap: number[] = [];
for (let index = 0; index < 10_000; index++) {
  const document = documents[index % documents.length];
  if (document) analyzeTender({ ...document, source: `${document.source}#${index}` }, catalog);
  if (index % 2000 === 1999) {
    globalThis.gc?.();
    heap.push(process.memoryUsage().heapUsed / 1024 / 1024);
  }
}
console.log(`heap after every 2,000 of 10,000 documents: ${heap.map((value) => value.toFixed(1)).join(", ")} MiB${globalThis.gc ? "" : " (run with --expose-gc for steadier figures)"}`);
