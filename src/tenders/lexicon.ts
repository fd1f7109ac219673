/**
 * Compiles the catalog's detection lexicons (catalog/standards/*.yaml,
 * field `lexicon`) into regular expressions, once per catalog: for each
 * standard, one case-sensitive expression for its abbreviations ("DNSSEC",
 * "HSTS"), one case-insensitive expression for its names and phrasings in
 * every language, guideline names that imply it, and the RFC numbers that
 * stand for it.
 */
import type { Catalog } from "../catalog/catalog.ts";

export interface StandardMatcher {
  standard: string;
  /**
   * Abbreviations, names, phrasings, implying guidelines: any hit is a
   * mention. Detection scans with the combined expressions below; these
   * per-standard ones serve callers that ask about one standard (the
   * benchmark's naive peer).
   */
  mention: RegExp[];
  /** Legacy protocols: a hit is a request only when the clause asks to switch them off. */
  legacy: RegExp | undefined;
  /** Words that, near a mention, give it another meaning. */
  falseFriends: RegExp | undefined;
}

export interface CompiledLexicon {
  matchers: StandardMatcher[];
  /** RFC number → the standards that cite it. */
  rfcs: Map<number, string[]>;
  /**
   * Every standard's abbreviations in one case-sensitive expression, and
   * every name and phrasing in one case-insensitive expression, so that a
   * passage is scanned twice rather than twice per standard; `owners` maps
   * the matched text (lower-cased, spaces collapsed) back to its standards.
   */
  tokens: RegExp | undefined;
  phrases: RegExp | undefined;
  owners: Map<string, string[]>;
  /** The abbreviations, as written (case-sensitive). */
  tokenSet: Set<string>;
}

/** The key under which a matched term is looked up in `owners`. */
export function ownerKey(text: string): string {
  return text.toLowerCase().replace(/\s+/g, " ");
}

const compiled = new WeakMap<Catalog, CompiledLexicon>();

export function compileLexicon(catalog: Catalog): CompiledLexicon {
  const known = compiled.get(catalog);
  if (known) return known;
  const rfcs = new Map<number, string[]>();
  const matchers = catalog.standards.map((standard): StandardMatcher => {
    const { lexicon } = standard;
    for (const rfc of lexicon.rfcs) rfcs.set(rfc, [...(rfcs.get(rfc) ?? []), standard.id]);
    const phrases = [...Object.values(lexicon.phrases).flat(), ...lexicon.impliedBy];
    const mention = [alternation(lexicon.tokens, ""), alternation(phrases, "i")].filter((pattern): pattern is RegExp => pattern !== undefined);
    return {
      standard: standard.id,
      mention,
      legacy: alternation(lexicon.legacy, "i"),
      falseFriends: alternation(lexicon.falseFriends, "i"),
    };
  });
  const owners = new Map<string, string[]>();
  const own = (term: string, standard: string): void => {
    const key = ownerKey(term.trim());
    const list = owners.get(key) ?? [];
    if (!list.includes(standard)) owners.set(key, [...list, standard]);
  };
  const allTokens: string[] = [];
  const allPhrases: string[] = [];
  for (const standard of catalog.standards) {
    for (const token of standard.lexicon.tokens) {
      allTokens.push(token);
      own(token, standard.id);
    }
    for (const phrase of [...Object.values(standard.lexicon.phrases).flat(), ...standard.lexicon.impliedBy]) {
      allPhrases.push(phrase);
      own(phrase, standard.id);
    }
  }
  const result = { matchers, rfcs, tokens: alternation(allTokens, ""), phrases: alternation(allPhrases, "i"), owners, tokenSet: new Set(allTokens) };
  compiled.set(catalog, result);
  return result;
}

/** "RFC 7208", "RFC7208", "RFC-7208". */
export const RFC_PATTERN = /(?<![\p{L}\p{N}])RFC[\s-]?(\d{3,5})(?![\p{N}])/giu;

/**
 * One expression matching any of `terms` as whole words (no letter or digit
 * right before or after), the longest term first so that "TLS 1.2" wins
 * over "TLS". The terms are written as a trie ("Transport (?:Layer
 * Security|...)") rather than a flat alternation: a flat list of a few
 * hundred names makes the regular expression engine try every name at
 * every position, five times slower on long documents (finding 13 of issue
 * 15). Greedy optional tails give the same longest-first choice.
 */
function alternation(terms: readonly string[], flags: string): RegExp | undefined {
  const unique = [...new Set(terms.map((term) => term.trim()).filter(Boolean))];
  if (unique.length === 0) return undefined;
  const root: TrieNode = { end: false, children: new Map() };
  for (const term of unique) {
    let node = root;
    for (const unit of trieUnits(term, flags.includes("i"))) {
      let child = node.children.get(unit);
      if (!child) {
        child = { end: false, children: new Map() };
        node.children.set(unit, child);
      }
      node = child;
    }
    node.end = true;
  }
  return new RegExp(`(?<![\\p{L}\\p{N}])${trieSource(root)}(?![\\p{L}\\p{N}])`, `gu${flags}`);
}

interface TrieNode {
  end: boolean;
  children: Map<string, TrieNode>;
}

/** A term as regular-expression units: one escaped character each, and any run of spaces as \\s+. */
function trieUnits(term: string, caseInsensitive: boolean): string[] {
  const units: string[] = [];
  for (const part of term.split(/(\s+)/)) {
    if (part === "") continue;
    if (/^\s+$/.test(part)) units.push("\\s+");
    else for (const character of caseInsensitive ? part.toLowerCase() : part) units.push(escapeRegExp(character));
  }
  return units;
}

function trieSource(node: TrieNode): string {
  const branches = [...node.children].map(([unit, child]) => unit + trieSource(child));
  if (branches.length === 0) return "";
  const body = branches.length === 1 ? (branches[0] ?? "") : `(?:${branches.join("|")})`;
  return node.end ? `(?:${body})?` : body;
}

function escapeRegExp(text: string): string {
  // Not "-" or "/": in Unicode mode (flag u) they may not be escaped outside a class.
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
