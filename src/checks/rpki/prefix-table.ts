/**
 * A table of IP prefixes that answers "which entries cover this address or
 * prefix?", longest first: the lookup route origin validation does twice
 * per address (the announced route, then the ROAs covering that route).
 *
 * Hand-written rather than node:net's BlockList (which only says whether
 * some range matches, not which entries or how long) and rather than a
 * dependency: it is one job in a few lines. It is a prefix trie with its
 * levels kept as hash maps: one Map per prefix length, keyed by the prefix
 * bits. A lookup probes only the lengths that occur (at most 33 for IPv4,
 * 129 for IPv6; real VRP sets use about 25 and 40), so it costs a few dozen
 * Map reads, and 500,000 prefixes take 500,000 keys instead of the millions
 * of nodes a one-bit-per-level trie would allocate.
 */
import type { Family, ParsedPrefix } from "./prefix.ts";

interface Level<T> {
  length: number;
  entries: Map<string, T[]>;
}

export class PrefixTable<T> {
  /** Per family, the lengths present, longest first. */
  readonly #levels: Record<Family, Level<T>[]> = { 4: [], 6: [] };
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(prefix: ParsedPrefix, value: T): void {
    const levels = this.#levels[prefix.family];
    let level = levels.find((candidate) => candidate.length === prefix.length);
    if (!level) {
      level = { length: prefix.length, entries: new Map() };
      levels.push(level);
      levels.sort((a, b) => b.length - a.length);
    }
    const list = level.entries.get(prefix.bits);
    if (list) list.push(value);
    else level.entries.set(prefix.bits, [value]);
    this.#size++;
  }

  /**
   * Entries whose prefix covers `bits` (an address's full bits or a
   * prefix's network bits), grouped by prefix length, longest first.
   */
  covering(family: Family, bits: string): { length: number; values: T[] }[] {
    const found: { length: number; values: T[] }[] = [];
    for (const level of this.#levels[family]) {
      if (level.length > bits.length) continue;
      const values = level.entries.get(bits.slice(0, level.length));
      if (values) found.push({ length: level.length, values });
    }
    return found;
  }

  /** The entries of the longest covering prefix only (longest-prefix match), or null. */
  longest(family: Family, bits: string): { length: number; values: T[] } | null {
    for (const level of this.#levels[family]) {
      if (level.length > bits.length) continue;
      const values = level.entries.get(bits.slice(0, level.length));
      if (values) return { length: level.length, values };
    }
    return null;
  }
}
