/**
 * A cache keyed by two objects (a catalog or its compiled lexicon, and a
 * shared attachment's passages), so that work on an attachment cited by
 * many tenders is done once per catalog, and dropped when either key is.
 */
export class PairMemo<A extends object, B extends object, V> {
  readonly #byFirst = new WeakMap<A, WeakMap<B, V>>();

  get(first: A, second: B, compute: () => V): V {
    let bySecond = this.#byFirst.get(first);
    if (!bySecond) {
      bySecond = new WeakMap();
      this.#byFirst.set(first, bySecond);
    }
    if (!bySecond.has(second)) bySecond.set(second, compute());
    return bySecond.get(second) as V;
  }
}
