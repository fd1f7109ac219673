/**
 * Which standards a tender document asks for, with evidence. A mention of a
 * standard (from the catalog's lexicons) becomes a request only when its
 * clause says so: a requirement ("shall", "moet", "doit"...) or a wish or
 * award criterion (then `desired`). Mentions that are negated or excluded,
 * that describe what already exists, that sit in a URL, or whose passage
 * shows another meaning (SPF of a sunscreen, CAA the aviation authority) are
 * kept apart as `ignored`, with the reason. A legacy protocol counts only when
 * the clause asks to switch it off ("TLS 1.0 must be disabled" asks for TLS).
 */
import type { Catalog } from "../catalog/catalog.ts";
import { AWARD_SECTION, DESIRED, DISABLE, EXISTING_STATE, GENERIC_DEMAND, NEGATION, REQUIREMENT_SECTION, STRONG_REQUIRED, WEAK_REQUIRED } from "./cues.ts";
import { compileLexicon, RFC_PATTERN } from "./lexicon.ts";
import type { Evidence, IgnoredMention, Passage, RequestedStandard, TenderDocument } from "./types.ts";

export interface Detection {
  requested: RequestedStandard[];
  genericDemand: Evidence[];
  ignored: IgnoredMention[];
}

const MAX_EVIDENCE = 3;
const MAX_QUOTE = 300;

type Verdict = { kind: "required" | "desired" } | { kind: "ignored"; reason: IgnoredMention["reason"] };

export function detectRequests(document: TenderDocument, catalog: Catalog): Detection {
  const lexicon = compileLexicon(catalog);
  const found = new Map<string, { level: "required" | "desired"; evidence: Evidence[] }>();
  const ignored: IgnoredMention[] = [];
  const genericDemand: Evidence[] = [];

  for (const passage of document.passages) {
    const text = maskUrls(passage.text);
    const urlMentions = new Set<string>();
    for (const sentence of sentences(text)) {
      const evidence = (): Evidence => ({ quote: quote(sentence.text), ...location(passage) });
      if (GENERIC_DEMAND.some((cue) => cue.test(sentence.text)) && !NEGATION.some((cue) => cue.test(sentence.text))) {
        if (genericDemand.length < MAX_EVIDENCE) genericDemand.push(evidence());
      }
      for (const { standard, offset } of mentionsIn(sentence.text, lexicon)) {
        const matcher = lexicon.matchers.find((entry) => entry.standard === standard);
        const verdict = matcher?.falseFriends && testGlobal(matcher.falseFriends, passage.text)
          ? ({ kind: "ignored", reason: "false-friend" } as const)
          : classify(clauseAt(sentence.text, offset), sentence.text, passage);
        record(standard, verdict, evidence());
      }
      for (const matcher of lexicon.matchers) {
        if (!matcher.legacy) continue;
        for (const match of matchAllFrom(matcher.legacy, sentence.text)) {
          const clause = clauseAt(sentence.text, match.index);
          if (DISABLE.some((cue) => cue.test(clause))) record(matcher.standard, { kind: "required" }, evidence());
        }
      }
    }
    // Standards seen only inside URLs ("https://www.tenderned.nl/...") are recorded as such.
    for (const standard of urlOnlyMentions(passage.text, lexicon)) urlMentions.add(standard);
    for (const standard of urlMentions) {
      if (!found.has(standard)) pushIgnored(standard, "url", { quote: quote(passage.text), ...location(passage) });
    }
  }

  return {
    requested: [...found.entries()].map(([standard, { level, evidence }]) => ({ standard, level, evidence })).sort((a, b) => a.standard.localeCompare(b.standard)),
    genericDemand,
    ignored: ignored.filter((mention) => !found.has(mention.standard)),
  };

  function record(standard: string, verdict: Verdict, evidence: Evidence): void {
    if (verdict.kind === "ignored") {
      pushIgnored(standard, verdict.reason, evidence);
      return;
    }
    const entry = found.get(standard) ?? { level: verdict.kind, evidence: [] };
    if (verdict.kind === "required") entry.level = "required";
    if (entry.evidence.length < MAX_EVIDENCE && !entry.evidence.some((item) => item.quote === evidence.quote)) entry.evidence.push(evidence);
    found.set(standard, entry);
  }

  function pushIgnored(standard: string, reason: IgnoredMention["reason"], evidence: Evidence): void {
    if (ignored.filter((mention) => mention.standard === standard).length < MAX_EVIDENCE) ignored.push({ standard, reason, evidence });
  }
}

/** What one clause around a mention makes of it. */
function classify(clause: string, sentence: string, passage: Passage): Verdict {
  if (NEGATION.some((cue) => cue.test(clause))) return { kind: "ignored", reason: "negated" };
  const strong = STRONG_REQUIRED.some((cue) => cue.test(clause));
  if (!strong && EXISTING_STATE.some((cue) => cue.test(clause))) return { kind: "ignored", reason: "existing-state" };
  const section = passage.section ?? "";
  if (DESIRED.some((cue) => cue.test(clause)) || passage.role === "award-criterion" || AWARD_SECTION.test(section)) return { kind: "desired" };
  if (strong || WEAK_REQUIRED.some((cue) => cue.test(clause)) || STRONG_REQUIRED.some((cue) => cue.test(sentence))) return { kind: "required" };
  if (passage.role === "requirement" || passage.role === "selection-criterion" || passage.role === "table" || REQUIREMENT_SECTION.test(section)) return { kind: "required" };
  return { kind: "ignored", reason: "other" };
}

/** Every standard mentioned in `text`, with the offset of the mention. */
function mentionsIn(text: string, lexicon: ReturnType<typeof compileLexicon>): { standard: string; offset: number }[] {
  const mentions: { standard: string; offset: number }[] = [];
  for (const matcher of lexicon.matchers) {
    for (const pattern of matcher.mention) {
      for (const match of matchAllFrom(pattern, text)) mentions.push({ standard: matcher.standard, offset: match.index });
    }
  }
  for (const match of matchAllFrom(RFC_PATTERN, text)) {
    for (const standard of lexicon.rfcs.get(Number(match[1])) ?? []) mentions.push({ standard, offset: match.index });
  }
  return mentions;
}

function urlOnlyMentions(text: string, lexicon: ReturnType<typeof compileLexicon>): string[] {
  const urls = [...text.matchAll(URL_PATTERN)].map((match) => match[0]).join(" ");
  if (!urls) return [];
  // A URL's scheme is the classic case: "https://..." is no request for HTTPS.
  const standards = new Set(mentionsIn(urls.replace(/^https:\/\/|\shttps:\/\//gi, " HTTPS "), lexicon).map((mention) => mention.standard));
  return [...standards];
}

const URL_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"')\]]+/giu;

/** URLs replaced by spaces of the same length, so offsets stay and nothing in them matches. */
function maskUrls(text: string): string {
  return text.replace(URL_PATTERN, (url) => " ".repeat(url.length));
}

/** Sentences of a passage: line breaks, and . ! ? followed by a capital or a digit. */
function sentences(text: string): { text: string }[] {
  return text
    .split(/\n+|(?<=[.!?])\s+(?=[\p{Lu}\d"“«¿¡(])/u)
    .map((sentence) => ({ text: sentence.trim() }))
    .filter((sentence) => sentence.text.length > 0);
}

const CLAUSE_BREAK = /;|\s[-–—]\s|,?\s+(?:but|however|whereas|while|although|maar|echter|terwijl|hoewel|mais|cependant|alors que|tandis que|pero|sin embargo|mientras que|aunque|aber|jedoch|während|wohingegen|mas|porém|enquanto|embora)\s/giu;

/** The clause of `sentence` that holds `offset`: negation and wishes apply to their own clause only. */
function clauseAt(sentence: string, offset: number): string {
  let start = 0;
  for (const match of matchAllFrom(CLAUSE_BREAK, sentence)) {
    const end = match.index;
    if (offset < end) return sentence.slice(start, end);
    start = end + match[0].length;
  }
  return sentence.slice(start);
}

function location(passage: Passage): { page?: number; section?: string } {
  return { ...(passage.page !== undefined ? { page: passage.page } : {}), ...(passage.section ? { section: passage.section } : {}) };
}

function quote(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > MAX_QUOTE ? `${flat.slice(0, MAX_QUOTE - 1)}…` : flat;
}

/** Global expressions keep their lastIndex between uses (test() moves it); start each use afresh. */
function testGlobal(pattern: RegExp, text: string): boolean {
  pattern.lastIndex = 0;
  const found = pattern.test(text);
  pattern.lastIndex = 0;
  return found;
}

function matchAllFrom(pattern: RegExp, text: string): IterableIterator<RegExpExecArray> {
  pattern.lastIndex = 0;
  return text.matchAll(pattern);
}
