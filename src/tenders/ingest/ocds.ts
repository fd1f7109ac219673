/**
 * OCDS ingestion (Open Contracting Data Standard 1.1): release packages,
 * record packages (each record's compiledRelease, or else its last release
 * with a tender), single releases or records, arrays of them, and JSON Lines
 * with one of those per line. Each tender becomes one TenderDocument named
 * `path#ocid`; when a file holds several releases of one ocid, the latest
 * (by `date`) stands for it.
 *
 * What is read, with the passage role it gets:
 * - tender.title (title), tender.description, items[].description and lots
 *   (description); CPV from tender.classification, items[].classification
 *   and items[].additionalClassifications with scheme CPV;
 * - tender.criteria of the requirements extension (criterion → requirement
 *   groups → requirements), classified below;
 * - tender.awardCriteriaDetails and lots[].awardCriteria.criteria
 *   (award-criterion), tender.eligibilityCriteria (requirement), the
 *   selection criteria extension (selection-criterion);
 * - tender.documents[].description, and the document itself when its URL's
 *   file name is found in `documentRoot`.
 *
 * JSON is untyped input: every field is checked before use, and a field of
 * the wrong type is treated as absent rather than failing the tender.
 */
import { basename, join } from "node:path";
import { stat } from "node:fs/promises";
import type { IngestFailure, Passage, SharedPassages, TenderDocument } from "../types.ts";
import { addCpv, collapseWhitespace, IngestError, isoDate, progressTicker } from "./common.ts";
import { locateJsonError } from "./json-position.ts";
import { decodeText, splitLong } from "./text.ts";

type Json = Record<string, unknown>;

/** Reads a file referenced by a tender (an ingester's results for it). */
export type AttachmentReader = (path: string) => Promise<(TenderDocument | IngestFailure)[]>;

export interface OcdsOptions {
  documentRoot?: string;
  /** Required with documentRoot: how a referenced file is ingested. */
  readAttachment?: AttachmentReader;
  /** Treat the text as JSON Lines from the start (.jsonl, .ndjson). */
  jsonLines?: boolean;
  /** Called while JSON Lines are parsed and once per tender built, for a watchdog (IngestOptions.onProgress). */
  onProgress?: () => void;
}

export interface OcdsResult {
  documents: TenderDocument[];
  /** Referenced documents that were found but could not be read. */
  failures: IngestFailure[];
}

export async function ingestOcds(bytes: Uint8Array, source: string, options: OcdsOptions = {}): Promise<OcdsResult> {
  const documents: TenderDocument[] = [];
  const failures: IngestFailure[] = [];
  for await (const result of ocdsDocuments(bytes, source, options)) {
    if ("error" in result) failures.push(result);
    else documents.push(result);
  }
  return { documents, failures };
}

/**
 * The tenders of an OCDS file one at a time, so that each can be analysed
 * and dropped before the next is built; a cited file that cannot be read is
 * yielded as a failure where it is first met.
 */
export async function* ocdsDocuments(bytes: Uint8Array, source: string, options: OcdsOptions = {}): AsyncGenerator<TenderDocument | IngestFailure> {
  const values = parseJsonOrLines(decodeText(bytes), options.jsonLines ?? false, progressTicker(options.onProgress));
  const releases = values.flatMap(releasesIn);
  if (releases.length === 0) {
    throw new IngestError("not an OCDS release or record package (no releases, records or ocid)");
  }
  const tenders = latestPerOcid(releases.filter((release) => isObject(release.tender)));
  if (tenders.length === 0) throw new IngestError("OCDS data holds no tender (its releases have no tender section)");

  const attachments = new AttachmentCache(options);
  for (const [index, release] of tenders.entries()) {
    options.onProgress?.();
    const ocid = text(release.ocid) ?? `release-${index + 1}`;
    const document = tenderDocument(release, `${source}#${ocid}`);
    yield* await attachments.append(release, document);
    yield document;
  }
}

/** One JSON value, or one per line for JSON Lines; errors name the line and column. */
function parseJsonOrLines(input: string, jsonLines: boolean, tick: () => void): unknown[] {
  const text = input.replace(/^\uFEFF/, "");
  if (!jsonLines) {
    try {
      return [JSON.parse(text)];
    } catch (error) {
      if (!looksLikeJsonLines(text)) {
        const where = locateJsonError(text, error);
        throw new IngestError(`invalid JSON at line ${where.line}, column ${where.column}: ${where.reason}`);
      }
    }
  }
  const values: unknown[] = [];
  const lines = text.split("\n");
  for (const [index, line] of lines.entries()) {
    tick();
    if (line.trim() === "") continue;
    try {
      values.push(JSON.parse(line));
    } catch (error) {
      const where = locateJsonError(line, error);
      throw new IngestError(`invalid JSON Lines at line ${index + 1}, column ${where.column}: ${where.reason}`);
    }
  }
  return values;
}

/** Several lines, the first of which is a complete JSON object on its own. */
function looksLikeJsonLines(text: string): boolean {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  if (lines.length < 2) return false;
  try {
    return isObject(JSON.parse(lines[0] ?? ""));
  } catch {
    return false;
  }
}

/** The releases a JSON value stands for, or [] when it is not OCDS. */
function releasesIn(value: unknown): Json[] {
  if (Array.isArray(value)) return value.flatMap(releasesIn);
  if (!isObject(value)) return [];
  if (Array.isArray(value.records)) return value.records.flatMap(releaseOfRecord);
  if (text(value.ocid) !== undefined && (isObject(value.compiledRelease) || Array.isArray(value.releases))) return releaseOfRecord(value);
  if (Array.isArray(value.releases)) return value.releases.filter(isObject);
  if (text(value.ocid) !== undefined) return [value];
  return [];
}

/** A record's compiled release, or its last embedded release that has a tender. */
function releaseOfRecord(record: unknown): Json[] {
  if (!isObject(record)) return [];
  if (isObject(record.compiledRelease)) return [record.compiledRelease];
  const releases = list(record.releases).filter(isObject);
  const withTender = releases.filter((release) => isObject(release.tender));
  const last = withTender.at(-1) ?? releases.at(-1);
  return last ? [last] : [];
}

/** One release per ocid, the one with the latest date (the later one in the file on a tie), in first-seen order. */
function latestPerOcid(releases: Json[]): Json[] {
  const byOcid = new Map<string, Json>();
  releases.forEach((release, index) => {
    const key = text(release.ocid) ?? `#${index}`;
    const seen = byOcid.get(key);
    if (!seen || (text(release.date) ?? "") >= (text(seen.date) ?? "")) byOcid.set(key, release);
  });
  return [...byOcid.values()];
}

function tenderDocument(release: Json, source: string): TenderDocument {
  const tender = object(release.tender);
  const document: TenderDocument = { source, format: "ocds", cpv: [], passages: [] };
  const title = text(tender.title);
  if (title) document.title = title;
  const authority = buyerName(release);
  if (authority) document.authority = authority;
  const published = isoDate(text(release.date));
  if (published) document.publishedAt = published;
  const language = text(release.language);
  if (language && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(language)) document.declaredLanguage = language;

  const add = (value: unknown, section: string, role?: Passage["role"]): void => {
    for (const passage of passagesOf(value, section, role)) document.passages.push(passage);
  };
  add(tender.title, "tender.title", "title");
  add(tender.description, "tender.description", "description");

  addClassification(document.cpv, tender.classification);
  for (const item of list(tender.items).filter(isObject)) {
    addClassification(document.cpv, item.classification);
    for (const additional of list(item.additionalClassifications)) addClassification(document.cpv, additional);
    add(item.description, "tender.items", "description");
  }
  for (const lot of list(tender.lots).filter(isObject)) {
    const section = `tender.lots: ${text(lot.title) ?? text(lot.id) ?? "lot"}`;
    add(lot.title, section, "title");
    add(lot.description, section, "description");
    for (const criterion of list(object(lot.awardCriteria).criteria).filter(isObject)) add(namedText(criterion), section, "award-criterion");
    for (const criterion of list(object(lot.selectionCriteria).criteria).filter(isObject)) add(criterion.description, section, "selection-criterion");
  }

  for (const criterion of list(tender.criteria).filter(isObject)) addCriterion(criterion, document.passages);
  add(tender.awardCriteriaDetails, "tender.awardCriteriaDetails", "award-criterion");
  for (const criterion of list(object(tender.awardCriteria).criteria).filter(isObject)) add(namedText(criterion), "tender.awardCriteria", "award-criterion");
  add(tender.eligibilityCriteria, "tender.eligibilityCriteria", "requirement");
  for (const criterion of list(object(tender.selectionCriteria).criteria).filter(isObject)) add(criterion.description, "tender.selectionCriteria", "selection-criterion");

  for (const reference of list(tender.documents).filter(isObject)) {
    add(reference.description, `tender.documents: ${text(reference.title) ?? text(reference.id) ?? "document"}`);
  }
  return document;
}

/** OCDS `buyer`, else the party with role buyer, else the procuring entity. */
function buyerName(release: Json): string | undefined {
  const buyer = text(object(release.buyer).name);
  if (buyer) return buyer;
  const party = list(release.parties).filter(isObject).find((candidate) => list(candidate.roles).includes("buyer"));
  return text(party?.name) ?? text(object(object(release.tender).procuringEntity).name);
}

function addClassification(codes: string[], classification: unknown): void {
  if (!isObject(classification)) return;
  if (text(classification.scheme)?.toUpperCase() !== "CPV") return;
  addCpv(codes, text(classification.id) ?? (typeof classification.id === "number" ? String(classification.id) : undefined));
}

/**
 * The role of a requirements-extension criterion, where the data tells:
 * a classification or type naming award, selection or exclusion; a
 * criterion that judges the tenderer (relatesToTenderer, the older
 * relatesTo "tenderer") is a selection criterion; and yes/no questions
 * without any expected answer have no pass mark, so they are scored, which
 * makes them award criteria (Baseline's own OCDS output writes desirable
 * standards this way). Everything else is a requirement.
 */
export function criterionRole(criterion: Json): NonNullable<Passage["role"]> {
  const label = [text(object(criterion.classification).id), text(criterion.type), text(criterion.source)].join(" ").toLowerCase();
  if (label.includes("award")) return "award-criterion";
  if (label.includes("selection")) return "selection-criterion";
  if (label.includes("exclusion")) return "requirement";
  if (criterion.relatesToTenderer === true || text(criterion.relatesTo) === "tenderer") return "selection-criterion";
  const requirements = list(criterion.requirementGroups)
    .filter(isObject)
    .flatMap((group) => list(group.requirements).filter(isObject));
  const hasPassMark = requirements.some((requirement) => ["expectedValue", "minValue", "maxValue", "pattern"].some((field) => requirement[field] !== undefined && requirement[field] !== null));
  const hasYesNo = requirements.some((requirement) => requirement.dataType === "boolean");
  return hasYesNo && !hasPassMark ? "award-criterion" : "requirement";
}

function addCriterion(criterion: Json, passages: Passage[]): void {
  const role = criterionRole(criterion);
  const section = `tender.criteria: ${text(criterion.title) ?? text(criterion.id) ?? "criterion"}`;
  const seen = new Set<string>();
  const add = (value: unknown): void => {
    for (const passage of passagesOf(value, section, role)) {
      if (seen.has(passage.text)) continue;
      seen.add(passage.text);
      passages.push(passage);
    }
  };
  add(namedText(criterion));
  for (const group of list(criterion.requirementGroups).filter(isObject)) {
    add(group.description);
    for (const requirement of list(group.requirements).filter(isObject)) add(namedText(requirement));
  }
}

/** "Title: description", or whichever of the two there is (OCDS criteria and eForms-style criteria use `name`). */
function namedText(value: Json): string | undefined {
  const name = text(value.title) ?? text(value.name);
  const description = text(value.description);
  if (name && description) return description.toLowerCase().startsWith(name.toLowerCase()) ? description : `${name}: ${description}`;
  return name ?? description;
}

/** Passages of a free-text field: one per paragraph, long ones split. */
function passagesOf(value: unknown, section: string, role?: Passage["role"]): Passage[] {
  if (typeof value !== "string") return [];
  return value
    .split(/\n\s*\n/)
    .flatMap((paragraph) => splitLong(collapseWhitespace(paragraph)))
    .map((chunk) => (role ? { text: chunk, section, role } : { text: chunk, section }));
}

/**
 * Files named by `tender.documents[].url`, found by file name in the
 * document root, each read once per package. Only a bare file name is
 * looked up, so a URL cannot reach outside the root.
 */
class AttachmentCache {
  readonly #options: OcdsOptions;
  readonly #read = new Map<string, (TenderDocument | IngestFailure)[]>();
  /** Passages of one file, shared by every tender that cites it, whatever title each gives it. */
  readonly #shared = new Map<string, SharedPassages>();

  constructor(options: OcdsOptions) {
    this.#options = options;
  }

  /** Adds the files `release` cites to `document`; returns the failures of files read for the first time. */
  async append(release: Json, document: TenderDocument): Promise<IngestFailure[]> {
    const { documentRoot, readAttachment } = this.#options;
    const failures: IngestFailure[] = [];
    if (documentRoot === undefined || readAttachment === undefined) return failures;
    for (const reference of list(object(release.tender).documents).filter(isObject)) {
      const name = fileNameOf(text(reference.url));
      if (name === undefined) continue;
      const path = join(documentRoot, name);
      const isFile = await stat(path).then((stats) => stats.isFile(), () => false);
      if (!isFile) continue;
      let results = this.#read.get(path);
      if (!results) {
        results = await readAttachment(path);
        this.#read.set(path, results);
        for (const result of results) if ("error" in result) failures.push(result);
      }
      const title = text(reference.title) ?? name;
      // Keyed by path alone: the citing tender's title is kept beside the group, not copied into its passages.
      let shared = this.#shared.get(path);
      if (!shared) {
        const passages: Passage[] = [];
        let characters = 0;
        for (const result of results) {
          if ("error" in result) continue;
          for (const passage of [...result.passages, ...(result.shared ?? []).flatMap((citation) => citation.group.passages)]) {
            passages.push(passage);
            characters += passage.text.length;
          }
        }
        shared = { key: path, passages, characters };
        this.#shared.set(path, shared);
      }
      if (results.some((result) => !("error" in result) && result.truncated === true)) document.truncated = true;
      if (shared.passages.length > 0 && !document.shared?.some((citation) => citation.group === shared)) (document.shared ??= []).push({ title, group: shared });
    }
    return failures;
  }
}

/** The last path segment of a URL or path, decoded; undefined when it is empty, hidden or a dot segment. */
export function fileNameOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url.replace(/[?#].*$/, "");
  }
  path = path.replace(/\\/g, "/");
  if (path.endsWith("/")) return undefined;
  let name = basename(path);
  try {
    name = decodeURIComponent(name);
  } catch {
    // A malformed escape: look the name up as written.
  }
  if (name === "" || name.startsWith(".") || name.includes("/") || name.includes("\\")) return undefined;
  return name;
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function object(value: unknown): Json {
  return isObject(value) ? value : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A non-empty string field, trimmed. */
function text(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

