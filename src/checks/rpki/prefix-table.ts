/**
 * A table of IP prefixes that answers "which entries cover this address or
 * prefix?", longest first: the lookup route origin validation does twice
 * per address (the announced route, then the ROAs covering that route).
 *
 * Hand-written rather than node:net's BlockList (which only says whether
 * some range matches, not which entries or how long) and rather than a
 * dependency: it is one job in a few lines. It is a prefix trie with its
 * levels kept as hash maps: one Map per prefix length, keyed by the prefix
 * bits (a number for IPv4, a '0'/'1' string for IPv6). A lookup probes only
 * the lengths that occur (at most 33 for IPv4, 129 for IPv6), so it costs a
 * few dozen Map reads, and 500,000 prefixes take 500,000 keys instead of the
 * millions of nodes a one-bit-per-level trie would allocate.
 */
import { ipv4Key, type ParsedPrefix } from "./prefix.ts";

/** Several entries under one prefix (MOAS routes, ROAs for several ASes); a lone entry is stored bare, saving an array per prefix. */
class Several<T> {
  readonly values: T[];
  constructor(values: T[]) {
    this.values = values;
  }
}

interface Level<K, T> {
  length: number;
  entries: Map<K, T | Several<T>>;
}

/** Levels sorted longest first, so that the first hit is the longest match. */
function levelFor<K, T>(levels: Level<K, T>[], length: number): Level<K, T> {
  let level = levels.find((candidate) => candidate.length === length);
  if (!level) {
    level = { length, entries: new Map() };
    levels.push(level);
    levels.sort((a, b) => b.length - a.length);
  }
  return level;
}

function put<K, T>(level: Level<K, T>, key: K, value: T): void {
  const present = level.entries.get(key);
  if (present === undefined) level.entries.set(key, value);
  else if (present instanceof Several) present.values.push(value);
  else level.entries.set(key, new Several([present, value]));
}

function valuesOf<T>(stored: T | Several<T>): T[] {
  return stored instanceof Several ? stored.values : [stored];
}

export interface Covering<T> {
  length: number;
  values: T[];
}

/** T must not be undefined (a missing key reads as undefined). */
export class PrefixTable<T extends object | string | number | boolean> {
  /** IPv4 levels keyed by the prefix's first bits as a number, IPv6 levels by its bits as a string. */
  readonly #v4: Level<number, T>[] = [];
  readonly #v6: Level<string, T>[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(prefix: ParsedPrefix, value: T): void {
    if (prefix.family === 4) put(levelFor(this.#v4, prefix.length), ipv4Key(prefix.value, prefix.length), value);
    else put(levelFor(this.#v6, prefix.length), prefix.bits, value);
    this.#size++;
  }

  /**
   * Entries whose prefix covers `target` (an address is a prefix of full
   * length), grouped by prefix length, longest first; with `first`, only
   * the longest group (longest-prefix match).
   */
  covering(target: ParsedPrefix, first = false): Covering<T>[] {
    const found: Covering<T>[] = [];
    if (target.family === 4) {
      for (const level of this.#v4) {
        if (level.length > target.length) continue;
        const stored = level.entries.get(ipv4Key(target.value, level.length));
        if (stored !== undefined) {
          found.push({ length: level.length, values: valuesOf(stored) });
          if (first) break;
        }
      }
    } else {
      for (const level of this.#v6) {
        if (level.length > target.length) continue;
        const stored = level.entries.get(target.bits.slice(0, level.length));
        if (stored !== undefined) {
          found.push({ length: level.length, values: valuesOf(stored) });
          if (first) break;
        }
      }
    }
    return found;
  }

  /** The entries of the longest covering prefix only, or null. */
  longest(target: ParsedPrefix): Covering<T> | null {
    return this.covering(target, true)[0] ?? null;
  }
}
