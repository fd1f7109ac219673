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
import { AWARD_SECTION, DESIRED, DISABLE, EXISTING_STATE, GENERIC_DEMAND, NEGATION, REQUIREMENT_SECTION, STRONG_REQUIRED, TOPIC_ONLY, WEAK_REQUIRED } from "./cues.ts";
import { compileLexicon, ownerKey, RFC_PATTERN } from "./lexicon.ts";
import type { Evidence, IgnoredMention, Passage, RequestedStandard, TenderDocument } from "./types.ts";

export interface Detection {
  requested: RequestedStandard[];
  genericDemand: Evidence[];
  ignored: IgnoredMention[];
}

const MAX_EVIDENCE = 3;
const MAX_QUOTE = 300;

type Verdict = { kind: "required" | "desired" } | { kind: "ignored"; reason: IgnoredMention["reason"] };

export interface DetectOptions {
  /**
   * Whether the tender buys ICT (it has a catalog category). In other
   * tenders a bare abbreviation is far more often something else ("SPF
   * Finances", "TLS 2012", "Ms DANE") than a standard, so only names,
   * phrasings and RFC numbers count there.
   */
  ict: boolean;
}

export function detectRequests(document: TenderDocument, catalog: Catalog, options: DetectOptions = { ict: true }): Detection {
  const lexicon = compileLexicon(catalog);
  const found = new Map<string, { level: "required" | "desired"; evidence: Evidence[] }>();
  const ignored: IgnoredMention[] = [];
  const genericDemand: Evidence[] = [];

  const redefined = redefinedAbbreviations(document, catalog);
  for (const passage of document.passages) {
    const text = maskUrls(passage.text);
    const urlMentions = new Set<string>();
    const passageMentions = mentionsIn(text, lexicon);
    for (const sentence of sentences(text)) {
      const evidence = (): Evidence => ({ quote: quote(sentence.text), ...location(passage) });
      if (GENERIC_DEMAND.some((cue) => cue.test(sentence.text)) && !NEGATION.some((cue) => cue.test(sentence.text))) {
        if (genericDemand.length < MAX_EVIDENCE) genericDemand.push(evidence());
      }
      const inSentence = passageMentions.filter((mention) => mention.offset >= sentence.start && mention.offset < sentence.start + sentence.text.length);
      for (const { standard, offset: passageOffset, text: mentioned } of inSentence) {
        const offset = passageOffset - sentence.start;
        const matcher = lexicon.matchers.find((entry) => entry.standard === standard);
        const bareAbbreviation = !options.ict && lexicon.tokenSet.has(mentioned);
        const otherMeaning = bareAbbreviation || redefined.has(mentioned) || (matcher?.falseFriends !== undefined && testGlobal(matcher.falseFriends, passage.text));
        const verdict = otherMeaning
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
  if (TOPIC_ONLY.some((cue) => cue.test(clause))) return { kind: "ignored", reason: "other" };
  const strong = STRONG_REQUIRED.some((cue) => cue.test(clause));
  if (!strong && EXISTING_STATE.some((cue) => cue.test(clause))) return { kind: "ignored", reason: "existing-state" };
  const section = passage.section ?? "";
  if (DESIRED.some((cue) => cue.test(clause)) || passage.role === "award-criterion" || AWARD_SECTION.test(section)) return { kind: "desired" };
  if (strong || WEAK_REQUIRED.some((cue) => cue.test(clause))) return { kind: "required" };
  // A clause without a cue of its own ("A certificate is accepted as proof, but is not mandatory") takes the sentence's negation.
  if (NEGATION.some((cue) => cue.test(sentence))) return { kind: "ignored", reason: "negated" };
  if (passage.role === "requirement" || passage.role === "selection-criterion" || passage.role === "table" || REQUIREMENT_SECTION.test(section)) return { kind: "required" };
  // In tenders, a standard named without negation describes what is to be delivered:
  // list items such as "- DNSSEC signing of the municipal zone" are requirements.
  return { kind: "required" };
}

/**
 * Abbreviations a document defines as something else: "Transport Logistics
 * Services (TLS)", "Civil Aviation Authority (CAA)". The words before the
 * parenthesis must start with the abbreviation's first letter and spell at
 * least two of its letters as initials, and must not be one of the
 * standard's own names ("Transport Layer Security (TLS)" keeps TLS).
 */
function redefinedAbbreviations(document: TenderDocument, catalog: Catalog): Set<string> {
  const tokens = new Map<string, string[]>();
  for (const standard of catalog.standards) {
    const names = [standard.fullName.en, standard.fullName.fr, standard.fullName.es, standard.fullName.nl, ...Object.values(standard.lexicon.phrases).flat()].map((name) => name.toLowerCase());
    for (const token of standard.lexicon.tokens) tokens.set(token, [...(tokens.get(token) ?? []), ...names]);
  }
  const redefined = new Set<string>();
  for (const passage of document.passages) {
    for (const match of passage.text.matchAll(/\(([\p{Lu}\d-]{2,12})\)/gu)) {
      const abbreviation = match[1] ?? "";
      const names = tokens.get(abbreviation);
      if (!names) continue;
      const before = passage.text.slice(Math.max(0, match.index - 100), match.index).split(/[\s,]+/).filter(Boolean).slice(-6);
      const expansion = expansionFor(abbreviation, before);
      if (expansion && !names.some((name) => expansion.toLowerCase().includes(name) || name.includes(expansion.toLowerCase()))) redefined.add(abbreviation);
    }
  }
  return redefined;
}

const MINOR_WORDS = new Set(["and", "of", "the", "for", "en", "van", "de", "het", "der", "die", "das", "und", "für", "et", "du", "des", "la", "le", "y", "del", "e", "do", "da", "dos"]);

/** The words ending just before "(ABBR)" whose initials spell the abbreviation, or undefined. */
function expansionFor(abbreviation: string, words: string[]): string | undefined {
  const first = abbreviation[0]?.toLowerCase();
  for (let start = words.length - 1; start >= 0; start--) {
    const candidate = words.slice(start);
    if (candidate[0]?.[0]?.toLowerCase() !== first) continue;
    const initials = candidate
      .flatMap((word) => word.split("-"))
      .filter((part) => part && !MINOR_WORDS.has(part.toLowerCase()))
      .map((part) => part[0]?.toLowerCase() ?? "")
      .join("");
    let matched = 0;
    for (const letter of initials) if (abbreviation[matched]?.toLowerCase() === letter) matched++;
    if (matched >= 2) return candidate.join(" ");
  }
  return undefined;
}

/** Every standard mentioned in `text`, with the offset of the mention. */
interface Mention {
  standard: string;
  offset: number;
  end: number;
  /** The matched text, e.g. "TLS" or "Transport Layer Security". */
  text: string;
}

function mentionsIn(text: string, lexicon: ReturnType<typeof compileLexicon>): Mention[] {
  const mentions: Mention[] = [];
  for (const pattern of [lexicon.tokens, lexicon.phrases]) {
    if (!pattern) continue;
    for (const match of matchAllFrom(pattern, text)) {
      for (const standard of lexicon.owners.get(ownerKey(match[0])) ?? []) {
        mentions.push({ standard, offset: match.index, end: match.index + match[0].length, text: match[0] });
      }
    }
  }
  for (const match of matchAllFrom(RFC_PATTERN, text)) {
    for (const standard of lexicon.rfcs.get(Number(match[1])) ?? []) mentions.push({ standard, offset: match.index, end: match.index + match[0].length, text: match[0] });
  }
  // "TLS-RPT" names tls-rpt, not also tls: a mention inside a longer mention of another standard does not count.
  return mentions.filter((mention) => !mentions.some((other) => other.standard !== mention.standard && other.offset <= mention.offset && other.end >= mention.end && other.end - other.offset > mention.end - mention.offset));
}

function urlOnlyMentions(text: string, lexicon: ReturnType<typeof compileLexicon>): string[] {
  const urls = [...text.matchAll(URL_PATTERN)].map((match) => match[0]).join(" ");
  if (!urls) return [];
  // A URL's scheme is the classic case: "https://..." is no request for HTTPS.
  const standards = new Set(mentionsIn(urls.replace(/^https:\/\/|\shttps:\/\//gi, " HTTPS "), lexicon).map((mention) => mention.standard));
  return [...standards];
}

/** A URL, without the punctuation that ends the sentence around it. */
const URL_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"')\]]*[^\s<>"')\].,;:!?]/giu;

/** URLs replaced by spaces of the same length, so offsets stay and nothing in them matches. */
function maskUrls(text: string): string {
  return text.replace(URL_PATTERN, (url) => " ".repeat(url.length));
}

/** Sentences of a passage, with their offsets: line breaks, and . ! ? followed by a capital or a digit. */
function sentences(text: string): { text: string; start: number }[] {
  const result: { text: string; start: number }[] = [];
  let start = 0;
  for (const boundary of text.matchAll(/\n+|(?<=[.!?])\s+(?=[\p{Lu}\d"“«¿¡(])/gu)) {
    pushSentence(result, text, start, boundary.index);
    start = boundary.index + boundary[0].length;
  }
  pushSentence(result, text, start, text.length);
  return result;
}

function pushSentence(into: { text: string; start: number }[], text: string, from: number, to: number): void {
  const raw = text.slice(from, to);
  const lead = raw.length - raw.trimStart().length;
  const trimmed = raw.trim();
  if (trimmed) into.push({ text: trimmed, start: from + lead });
}

const CLAUSE_BREAK = /;|\s[-–—]\s|,?\s+(?:but|however|whereas|while|although|maar|echter|terwijl|hoewel|mais|cependant|alors que|tandis que|pero|sin embargo|mientras que|aunque|aber|jedoch|während|wohingegen|mas|porém|enquanto|embora)\s/giu;

/** A sentence that opens with a concessive clause ("Although the portal already uses HTTPS, ..."). */
const CONCESSIVE_OPENING = /^(?:although|though|even though|while|hoewel|ofschoon|terwijl|bien que|quoique|même si|aunque|si bien|obwohl|obgleich|wenngleich|embora|ainda que|apesar de)(?![\p{L}])/iu;

/** The clause of `sentence` that holds `offset`: negation and wishes apply to their own clause only. */
function clauseAt(sentence: string, offset: number): string {
  const breaks = [...matchAllFrom(CLAUSE_BREAK, sentence)].map((match) => ({ at: match.index, length: match[0].length }));
  const comma = sentence.indexOf(",");
  if (CONCESSIVE_OPENING.test(sentence) && comma > 0) breaks.push({ at: comma, length: 1 });
  breaks.sort((a, b) => a.at - b.at);
  let start = 0;
  for (const { at, length } of breaks) {
    if (at < start) continue;
    if (offset < at) return sentence.slice(start, at);
    start = at + length;
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

/**
 * Every match of a global expression, by exec() on the expression itself.
 * Not String.prototype.matchAll: it clones the expression for every call, and
 * a fresh clone of the lexicon's large expressions starts in V8's regexp
 * interpreter again, which made short passages fifty times slower to scan.
 */
function matchAllFrom(pattern: RegExp, text: string): RegExpExecArray[] {
  const matches: RegExpExecArray[] = [];
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    matches.push(match);
    // An empty match would not move lastIndex on its own.
    if (match[0] === "") pattern.lastIndex++;
  }
  pattern.lastIndex = 0;
  return matches;
}
