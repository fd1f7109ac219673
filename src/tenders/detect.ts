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
import { progressTicker } from "./ingest/common.ts";
import { splitLong } from "./ingest/text.ts";
import { compileLexicon, ownerKey, RFC_PATTERN, type CompiledLexicon } from "./lexicon.ts";
import { PairMemo } from "./pair-memo.ts";
import type { Evidence, IgnoredMention, Passage, RequestedStandard, SharedPassages, TenderDocument } from "./types.ts";

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
  /** Called every few hundred passages, so that a watchdog can tell a long document from a stuck one. */
  onProgress?: () => void;
}

export function detectRequests(document: TenderDocument, catalog: Catalog, options: DetectOptions = { ict: true }): Detection {
  const lexicon = compileLexicon(catalog);
  const tokens = abbreviationNames(catalog);
  const shared = document.shared ?? [];
  const tick = progressTicker(options.onProgress);
  const ownRedefinitions = (group: SharedPassages): Set<string> => cached(lexicon, group, "redefined", () => redefinedAbbreviations(group.passages, tokens, tick));
  const redefined = redefinedAbbreviations(document.passages, tokens, tick);
  for (const { group } of shared) for (const abbreviation of ownRedefinitions(group)) redefined.add(abbreviation);
  const parts = [detectPassages(document.passages, lexicon, redefined, options)];
  for (const { title, group } of shared) {
    // A file cited by many tenders is analysed once per ICT flag and kind of title (at most 2 x 4 times), never per
    // tender: its own redefined abbreviations apply to it, not those of each citing tender, which would give every
    // tender a context of its own again (review H2 of issue 15).
    const context: SectionContext = { award: AWARD_SECTION.test(title), requirement: REQUIREMENT_SECTION.test(title) };
    const key = `${options.ict ? "ict" : "other"}|${context.award ? "award" : ""}|${context.requirement ? "requirement" : ""}`;
    const part = cached(lexicon, group, key, () => detectPassages(group.passages, lexicon, ownRedefinitions(group), options, context));
    parts.push(titled(part, title));
  }
  return mergeDetections(parts);
}

/** What the title a tender gives a cited file says about its passages: "Award criteria", "Technical requirements". */
interface SectionContext {
  award: boolean;
  requirement: boolean;
}

const NO_CONTEXT: SectionContext = { award: false, requirement: false };

/** A shared part with the citing tender's title put before each evidence's section ("Annex A / 3. Security"). */
function titled(part: PartialDetection, title: string): PartialDetection {
  const withTitle = (evidence: Evidence): Evidence => ({ ...evidence, section: evidence.section ? `${title} / ${evidence.section}` : title });
  return {
    found: new Map([...part.found].map(([standard, entry]) => [standard, { required: entry.required, evidence: entry.evidence.map(withTitle) }])),
    ignored: part.ignored.map((mention) => ({ ...mention, evidence: withTitle(mention.evidence) })),
    genericDemand: part.genericDemand.map(withTitle),
  };
}

/**
 * What a run of passages contributes to a detection: no more than the
 * result keeps (the first evidence of each kind), so that the part of a
 * shared attachment can be kept and merged into every tender citing it.
 */
interface PartialDetection {
  found: Map<string, { required: boolean; evidence: Evidence[] }>;
  ignored: IgnoredMention[];
  genericDemand: Evidence[];
}

function emptyPartial(): PartialDetection {
  return { found: new Map(), ignored: [], genericDemand: [] };
}

/** Merges parts in document order, with the same caps as one pass over all their passages. */
function mergeDetections(parts: PartialDetection[]): Detection {
  const total = emptyPartial();
  for (const part of parts) {
    for (const [standard, entry] of part.found) for (const evidence of entry.evidence) recordFound(total, standard, entry.required, evidence);
    for (const [standard, entry] of part.found) if (entry.evidence.length === 0) recordFound(total, standard, entry.required, undefined);
    for (const mention of part.ignored) pushIgnored(total, mention);
    for (const evidence of part.genericDemand) if (total.genericDemand.length < MAX_EVIDENCE) total.genericDemand.push(evidence);
  }
  return {
    requested: [...total.found.entries()]
      .map(([standard, { required, evidence }]): RequestedStandard => ({ standard, level: required ? "required" : "desired", evidence }))
      .sort((a, b) => a.standard.localeCompare(b.standard)),
    genericDemand: total.genericDemand,
    ignored: total.ignored.filter((mention) => !total.found.has(mention.standard)),
  };
}

function recordFound(into: PartialDetection, standard: string, required: boolean, evidence: Evidence | undefined): void {
  const entry = into.found.get(standard) ?? { required: false, evidence: [] };
  if (required) entry.required = true;
  if (evidence && entry.evidence.length < MAX_EVIDENCE && !entry.evidence.some((item) => item.quote === evidence.quote)) entry.evidence.push(evidence);
  into.found.set(standard, entry);
}

function pushIgnored(into: PartialDetection, mention: IgnoredMention): void {
  let count = 0;
  for (const other of into.ignored) if (other.standard === mention.standard) count++;
  if (count < MAX_EVIDENCE) into.ignored.push(mention);
}

/** Verdicts remembered per detection before the memory is cleared. */
const MAX_REMEMBERED_VERDICTS = 10_000;

/** Passages longer than this are cut before detection, so that the work per passage stays bounded whatever an ingester made. */
const MAX_DETECTED_PASSAGE = 4000;

function detectPassages(passages: Passage[], lexicon: CompiledLexicon, redefined: Set<string>, options: DetectOptions, context: SectionContext = NO_CONTEXT): PartialDetection {
  const result = emptyPartial();
  const matcherOf = new Map(lexicon.matchers.map((matcher) => [matcher.standard, matcher]));
  const verdicts = new Map<string, Verdict>();
  /**
   * A standard already required with all the evidence kept can gain nothing
   * from another mention (and its ignored mentions are dropped in the end),
   * so its later mentions are not classified: a document that names DNSSEC
   * a million times costs little more than one that names it three times.
   */
  const settled = (standard: string): boolean => {
    const entry = result.found.get(standard);
    return entry !== undefined && entry.required && entry.evidence.length >= MAX_EVIDENCE;
  };
  const record = (standard: string, verdict: Verdict, evidence: Evidence): void => {
    if (verdict.kind === "ignored") pushIgnored(result, { standard, reason: verdict.reason, evidence });
    else recordFound(result, standard, verdict.kind === "required", evidence);
  };
  const tick = progressTicker(options.onProgress);
  for (const whole of passages) {
    tick();
    for (const chunk of whole.text.length > MAX_DETECTED_PASSAGE ? splitLong(whole.text, MAX_DETECTED_PASSAGE) : [whole.text]) {
      const passage = chunk === whole.text ? whole : { ...whole, text: chunk };
      const text = maskUrls(passage.text);
      const passageSentences = sentences(text);
      const bySentence = mentionsBySentence(mentionsIn(text, lexicon), passageSentences);
      const falseFriendIn = new Map<string, boolean>();
      passageSentences.forEach((sentence, index) => {
        // A sentence may name many standards in one clause: its quote, clauses and verdicts are worked out once
        // (per mention, a 20 MB line without full stops took minutes).
        let sentenceQuote: string | undefined;
        const evidence = (): Evidence => ({ quote: (sentenceQuote ??= quote(sentence.text)), ...location(passage) });
        let breaks: ClauseBreak[] | undefined;
        const clauseOf = (offset: number): string => clauseAt(sentence.text, offset, (breaks ??= clauseBreaks(sentence.text)));
        const verdictOf = (clause: string): Verdict => {
          // Boilerplate repeats: the same clause in the same sentence and section gets the same verdict.
          const key = `${passage.role ?? ""}\u0000${passage.section ?? ""}\u0000${sentence.text}\u0000${clause}`;
          let verdict = verdicts.get(key);
          if (!verdict) {
            verdict = classify(clause, sentence.text, passage, context);
            if (verdicts.size >= MAX_REMEMBERED_VERDICTS) verdicts.clear();
            verdicts.set(key, verdict);
          }
          return verdict;
        };
        if (GENERIC_DEMAND.some((cue) => cue.test(sentence.text)) && !NEGATION.some((cue) => cue.test(sentence.text))) {
          if (result.genericDemand.length < MAX_EVIDENCE) result.genericDemand.push(evidence());
        }
        for (const { standard, offset: passageOffset, text: mentioned } of bySentence[index] ?? []) {
          if (settled(standard)) continue;
          const offset = passageOffset - sentence.start;
          const falseFriends = matcherOf.get(standard)?.falseFriends;
          let falseFriend = falseFriendIn.get(standard);
          if (falseFriend === undefined) {
            falseFriend = falseFriends !== undefined && testGlobal(falseFriends, passage.text);
            falseFriendIn.set(standard, falseFriend);
          }
          const bareAbbreviation = !options.ict && lexicon.tokenSet.has(mentioned);
          const otherMeaning = bareAbbreviation || redefined.has(mentioned) || falseFriend;
          const verdict = otherMeaning ? ({ kind: "ignored", reason: "false-friend" } as const) : verdictOf(clauseOf(offset));
          record(standard, verdict, evidence());
        }
        for (const matcher of lexicon.matchers) {
          if (!matcher.legacy || settled(matcher.standard)) continue;
          for (const match of matchAllFrom(matcher.legacy, sentence.text)) {
            const clause = clauseOf(match.index);
            if (DISABLE.some((cue) => cue.test(clause))) record(matcher.standard, { kind: "required" }, evidence());
          }
        }
      });
      // Standards seen only inside URLs ("https://www.tenderned.nl/...") are recorded as such.
      for (const standard of urlOnlyMentions(passage.text, lexicon)) {
        if (!result.found.has(standard)) pushIgnored(result, { standard, reason: "url", evidence: { quote: quote(passage.text), ...location(passage) } });
      }
    }
  }
  return result;
}

/** The mentions of each sentence, in the order they were found; sentences are sorted by start, so a binary search places each. */
function mentionsBySentence(mentions: Mention[], passageSentences: { text: string; start: number }[]): Mention[][] {
  const groups: Mention[][] = passageSentences.map(() => []);
  for (const mention of mentions) {
    let low = 0;
    let high = passageSentences.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((passageSentences[middle]?.start ?? 0) <= mention.offset) low = middle;
      else high = middle - 1;
    }
    const sentence = passageSentences[low];
    if (sentence && mention.offset >= sentence.start && mention.offset < sentence.start + sentence.text.length) groups[low]?.push(mention);
  }
  return groups;
}

const partialCache = new PairMemo<CompiledLexicon, SharedPassages, Map<string, unknown>>();

/** A value computed once per shared passage group, lexicon and key. */
function cached<T>(lexicon: CompiledLexicon, group: SharedPassages, key: string, compute: () => T): T {
  const values = partialCache.get(lexicon, group, () => new Map());
  if (!values.has(key)) values.set(key, compute());
  return values.get(key) as T;
}

/** What one clause around a mention makes of it. */
function classify(clause: string, sentence: string, passage: Passage, context: SectionContext): Verdict {
  if (NEGATION.some((cue) => cue.test(clause))) return { kind: "ignored", reason: "negated" };
  if (TOPIC_ONLY.some((cue) => cue.test(clause))) return { kind: "ignored", reason: "other" };
  const strong = STRONG_REQUIRED.some((cue) => cue.test(clause));
  if (!strong && EXISTING_STATE.some((cue) => cue.test(clause))) return { kind: "ignored", reason: "existing-state" };
  const section = passage.section ?? "";
  if (DESIRED.some((cue) => cue.test(clause)) || passage.role === "award-criterion" || context.award || AWARD_SECTION.test(section)) return { kind: "desired" };
  if (strong || WEAK_REQUIRED.some((cue) => cue.test(clause))) return { kind: "required" };
  // A clause without a cue of its own ("A certificate is accepted as proof, but is not mandatory") takes the sentence's negation.
  if (NEGATION.some((cue) => cue.test(sentence))) return { kind: "ignored", reason: "negated" };
  if (passage.role === "requirement" || passage.role === "selection-criterion" || passage.role === "table" || context.requirement || REQUIREMENT_SECTION.test(section)) return { kind: "required" };
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
function redefinedAbbreviations(passages: Passage[], tokens: Map<string, string[]>, tick: () => void): Set<string> {
  const redefined = new Set<string>();
  for (const passage of passages) {
    tick();
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

const abbreviationCache = new WeakMap<Catalog, Map<string, string[]>>();

/** Each abbreviation with the names (lower case) of the standards it stands for. */
function abbreviationNames(catalog: Catalog): Map<string, string[]> {
  const known = abbreviationCache.get(catalog);
  if (known) return known;
  const tokens = new Map<string, string[]>();
  for (const standard of catalog.standards) {
    const names = [standard.fullName.en, standard.fullName.fr, standard.fullName.es, standard.fullName.nl, ...Object.values(standard.lexicon.phrases).flat()].map((name) => name.toLowerCase());
    for (const token of standard.lexicon.tokens) tokens.set(token, [...(tokens.get(token) ?? []), ...names]);
  }
  abbreviationCache.set(catalog, tokens);
  return tokens;
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

function mentionsIn(text: string, lexicon: CompiledLexicon): Mention[] {
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
  return withoutCoveredMentions(mentions);
}

/**
 * "TLS-RPT" names tls-rpt, not also tls: a mention inside a longer mention
 * of another standard does not count. One sweep in order of position
 * (comparing every pair was quadratic: finding 13 of issue 15), keeping the
 * mention that reaches furthest and the furthest one of another standard.
 */
function withoutCoveredMentions(mentions: Mention[]): Mention[] {
  const order = mentions.map((_, index) => index).sort((a, b) => {
    const x = mentions[a];
    const y = mentions[b];
    return x && y ? x.offset - y.offset || y.end - x.end : 0;
  });
  const covered = new Set<number>();
  let furthest: Mention | undefined;
  let furthestOther: Mention | undefined;
  for (const index of order) {
    const mention = mentions[index];
    if (!mention) continue;
    const cover = furthest?.standard !== mention.standard ? furthest : furthestOther;
    // Sorted by position, so cover.offset <= mention.offset; it covers when it reaches as far and is longer.
    if (cover && cover.end >= mention.end && cover.end - cover.offset > mention.end - mention.offset) covered.add(index);
    if (!furthest || mention.end > furthest.end) {
      if (furthest && furthest.standard !== mention.standard) furthestOther = furthest;
      furthest = mention;
    } else if (mention.standard !== furthest.standard && (!furthestOther || mention.end > furthestOther.end)) furthestOther = mention;
  }
  return covered.size === 0 ? mentions : mentions.filter((_, index) => !covered.has(index));
}

function urlOnlyMentions(text: string, lexicon: CompiledLexicon): string[] {
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
function clauseAt(sentence: string, offset: number, breaks: ClauseBreak[] = clauseBreaks(sentence)): string {
  let start = 0;
  for (const { at, length } of breaks) {
    if (at < start) continue;
    if (offset < at) return sentence.slice(start, at);
    start = at + length;
  }
  return sentence.slice(start);
}

interface ClauseBreak {
  at: number;
  length: number;
}

/** Where the clauses of a sentence end, in order. */
function clauseBreaks(sentence: string): ClauseBreak[] {
  const breaks = matchAllFrom(CLAUSE_BREAK, sentence).map((match) => ({ at: match.index, length: match[0].length }));
  const comma = sentence.indexOf(",");
  if (CONCESSIVE_OPENING.test(sentence) && comma > 0) breaks.push({ at: comma, length: 1 });
  return breaks.sort((a, b) => a.at - b.at);
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
