/**
 * Queries over a loaded, validated catalog: standards and categories by id,
 * and which categories a CPV code belongs to.
 */
import { closest, distance } from "fastest-levenshtein";
import type { CpvEntry, CpvVocabulary } from "./cpv.ts";
import type { Category, Standard } from "./schema.ts";

/** An id that is not in the catalog; the message offers the nearest valid ids. */
export class UnknownIdError extends Error {
  override name = "UnknownIdError";
}

export class Catalog {
  readonly standards: readonly Standard[];
  readonly categories: readonly Category[];
  readonly cpv: CpvVocabulary;
  readonly #standardsById: Map<string, Standard>;
  readonly #categoriesById: Map<string, Category>;
  /** CPV code (8 digits) listed by a category → the categories listing it. */
  readonly #categoriesByCpv = new Map<string, Category[]>();

  constructor(standards: Standard[], categories: Category[], cpv: CpvVocabulary) {
    this.standards = [...standards].sort((a, b) => a.id.localeCompare(b.id));
    this.categories = [...categories].sort((a, b) => a.id.localeCompare(b.id));
    this.cpv = cpv;
    this.#standardsById = new Map(this.standards.map((standard) => [standard.id, standard]));
    this.#categoriesById = new Map(this.categories.map((category) => [category.id, category]));
    for (const category of this.categories) {
      for (const code of category.cpv) {
        const eightDigits = code.slice(0, 8);
        const list = this.#categoriesByCpv.get(eightDigits) ?? [];
        list.push(category);
        this.#categoriesByCpv.set(eightDigits, list);
      }
    }
  }

  standard(id: string): Standard {
    const standard = this.#standardsById.get(id);
    if (!standard) throw new UnknownIdError(`unknown standard "${id}"${suggest(id, [...this.#standardsById.keys()])}`);
    return standard;
  }

  category(id: string): Category {
    const category = this.#categoriesById.get(id);
    if (!category) throw new UnknownIdError(`unknown category "${id}"${suggest(id, [...this.#categoriesById.keys()])}`);
    return category;
  }

  hasStandard(id: string): boolean {
    return this.#standardsById.has(id);
  }

  /**
   * The categories a CPV code belongs to: every category that lists the code
   * itself or one of its ancestors in the CPV tree.
   */
  categoriesForCpv(entry: CpvEntry): Category[] {
    const found = new Set<Category>();
    for (const ancestor of this.cpv.lineage(entry)) {
      for (const category of this.#categoriesByCpv.get(ancestor.code) ?? []) found.add(category);
    }
    return this.categories.filter((category) => found.has(category));
  }
}

/** ": did you mean X? (valid: a, b, c)" with the closest id first. */
export function suggest(input: string, valid: readonly string[]): string {
  if (valid.length === 0) return "";
  const nearest = closest(input, [...valid]);
  const close = distance(input, nearest) <= Math.max(2, Math.floor(nearest.length / 3));
  return `${close ? `: did you mean "${nearest}"?` : ""} (valid: ${[...valid].sort().join(", ")})`;
}
