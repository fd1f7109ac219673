/**
 * The shapes of the tender monitor: a document as read from any format, and
 * the analysis of which relevant standards it requested. Shared by
 * ingestion (ingest/), detection, the monitor and the command line.
 * The JSON of `baseline tender analyze --json` is `TenderAnalysis`
 * (interfaces.md §3); add fields, never rename.
 */

/** Where a passage sits in its document, for evidence a person can find. */
export interface Location {
  /** 1-based page (PDF). */
  page?: number;
  /** The nearest heading or a structural path: "3.2 Security requirements", "tender.awardCriteria". */
  section?: string;
}

/**
 * A piece of a document's text. `role` says what the passage is in the
 * tender, when the format tells (OCDS criteria, eForms fields, a table):
 * award criteria make a request "desired" rather than "required".
 */
export interface Passage extends Location {
  text: string;
  role?: "title" | "description" | "requirement" | "selection-criterion" | "award-criterion" | "table" | "other";
}

/** A tender document, whatever format it came from. */
export interface TenderDocument {
  /** Path as given (or path#ocid for each tender of an OCDS package). */
  source: string;
  format: "text" | "html" | "pdf" | "docx" | "ocds" | "eforms";
  title?: string;
  /** CPV codes given by the document itself, eight digits, as found (check digit dropped). */
  cpv: string[];
  /** Contracting authority (buyer) name, when the format tells. */
  authority?: string;
  /** ISO date of publication, when the format tells. */
  publishedAt?: string;
  /** BCP 47 language when the format declares it (eForms, HTML lang); detection fills it otherwise. */
  declaredLanguage?: string;
  passages: Passage[];
  /**
   * Files this document cites and shares with other documents: a file that
   * several OCDS tenders cite. Each file is read once and held once, and
   * analysis computes its part once (finding 12 of issue 15: 400 tenders
   * citing one 20 MiB annex copied and analysed it 400 times). They count
   * as the document's own, after `passages`.
   */
  shared?: SharedCitation[];
  /** Pages in the original (PDF), and whether extraction stopped at a cap (pages, characters). */
  pages?: number;
  truncated?: boolean;
}

/**
 * One document's citation of a shared file: the file's passages (the same
 * object in every citing document) and the title this document gives it.
 * The title stays beside the passages and is applied to evidence only, so
 * that tenders giving one annex different titles still share one analysis
 * (review H2 of issue 15: a title per release made 400 copies again).
 */
export interface SharedCitation {
  title: string;
  group: SharedPassages;
}

/** Passages shared by reference between documents; the same object in each. */
export interface SharedPassages {
  /** What the passages come from: the attachment's path. */
  key: string;
  passages: Passage[];
  /** Characters of `passages`, counted once per file, for the character cap. */
  characters: number;
}

export interface Evidence extends Location {
  /** The sentence or table cell that carries the request, trimmed to ~300 characters. */
  quote: string;
}

export interface RequestedStandard {
  standard: string;
  level: "required" | "desired";
  evidence: Evidence[];
}

/** A mention that was found and deliberately not counted, kept for people who review the result. */
export interface IgnoredMention {
  standard: string;
  reason: "negated" | "out-of-scope" | "existing-state" | "url" | "false-friend" | "other";
  evidence: Evidence;
}

export interface TenderAnalysis {
  source: string;
  language: string;
  title: string | null;
  authority: string | null;
  publishedAt: string | null;
  cpv: string[];
  categories: string[];
  relevant: string[];
  requested: RequestedStandard[];
  missing: string[];
  /** Requested relevant standards over relevant standards; null when nothing is relevant. */
  coverage: number | null;
  /** A blanket demand for "the mandatory standards of the comply-or-explain list", reported separately. */
  genericDemand: Evidence[];
  ignored: IgnoredMention[];
  /**
   * Present (true) when only part of the document was read: the PDF page
   * cap or the character cap was reached, here or in a cited attachment.
   * What was not read may hold requests, so `missing` may be wrong.
   */
  truncated?: true;
}

/** A document that could not be read; the batch goes on. */
export interface IngestFailure {
  source: string;
  error: string;
}
