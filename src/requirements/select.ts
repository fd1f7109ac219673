/**
 * From "what is being bought" (category ids and/or CPV codes) to the set of
 * requirements a tender should carry, with every text resolved in one
 * language. Several categories combine: each standard appears once, at the
 * highest level any of them gives it.
 *
 * @example
 *   const set = requirementsFor(loadCatalog(), { cpv: ["72415000-2"], level: "all", language: "fr" });
 */
import type { Catalog } from "../catalog/catalog.ts";
import type { Category, Language, LocalizedText, RequirementLevel, Standard } from "../catalog/schema.ts";

export interface RequirementRequest {
  categories?: readonly string[];
  cpv?: readonly string[];
  /** "mandatory": only what a category makes mandatory; "all" adds the recommended ones as award criteria. */
  level?: "mandatory" | "all";
  language?: Language;
}

/** The request could not be turned into requirements (nothing in it maps to a category). */
export class EmptySelectionError extends Error {
  override name = "EmptySelectionError";
}

export interface CpvScope {
  code: string;
  label: string;
  categories: string[];
}

export interface Requirement {
  /** Position in the document, from 1. */
  number: number;
  standard: string;
  name: string;
  fullName: string;
  level: RequirementLevel;
  summary: string;
  /** The clause to paste: the mandatory form, or the desirable (award) form for recommended standards. */
  clause: string;
  rationale: string;
  /** Why it matters for each selected category that lists it. */
  reasons: { category: string; categoryName: string; text: string }[];
  verification: {
    method: string;
    evidence: { kind: string; description: string }[];
    checks: string[];
  };
  orEquivalent: string;
  complyOrExplain: string;
  checklist: string;
  specifications: Standard["specifications"];
  policies: Standard["policies"];
}

export interface RequirementSet {
  language: Language;
  level: "mandatory" | "all";
  scope: {
    categories: { id: string; name: string }[];
    cpv: CpvScope[];
    /** CPV codes given that belong to no category (e.g. office furniture). */
    unmatchedCpv: { code: string; label: string }[];
  };
  requirements: Requirement[];
}

const LEVEL_RANK: Record<RequirementLevel, number> = { mandatory: 2, recommended: 1 };

export function requirementsFor(catalog: Catalog, request: RequirementRequest): RequirementSet {
  const language = request.language ?? "en";
  const level = request.level ?? "all";
  const pick = (text: LocalizedText): string => text[language];

  const categories: Category[] = [];
  const addCategory = (category: Category): void => {
    if (!categories.includes(category)) categories.push(category);
  };
  for (const id of request.categories ?? []) addCategory(catalog.category(id));

  const cpvScope: CpvScope[] = [];
  const unmatchedCpv: RequirementSet["scope"]["unmatchedCpv"] = [];
  for (const input of request.cpv ?? []) {
    const entry = catalog.cpv.resolve(input);
    const code = catalog.cpv.format(entry);
    const label = catalog.cpv.label(entry, language);
    if (cpvScope.some((scope) => scope.code === code) || unmatchedCpv.some((scope) => scope.code === code)) continue;
    const matched = catalog.categoriesForCpv(entry);
    if (matched.length === 0) unmatchedCpv.push({ code, label });
    else cpvScope.push({ code, label, categories: matched.map((category) => category.id) });
    matched.forEach(addCategory);
  }

  if (categories.length === 0) {
    const codes = unmatchedCpv.map((scope) => `${scope.code} (${scope.label})`).join(", ");
    throw new EmptySelectionError(
      codes
        ? `CPV ${codes} belongs to no Baseline procurement category, so no security standards apply; give --category (see baseline categories)`
        : "nothing selected: give at least one --category or --cpv",
    );
  }

  // Highest level per standard across the selected categories, in first-listed order.
  const chosen = new Map<string, { level: RequirementLevel; reasons: Requirement["reasons"] }>();
  for (const category of categories) {
    for (const entry of category.standards) {
      const reason = { category: category.id, categoryName: pick(category.name), text: pick(entry.reason) };
      const existing = chosen.get(entry.id);
      if (!existing) chosen.set(entry.id, { level: entry.level, reasons: [reason] });
      else {
        existing.reasons.push(reason);
        if (LEVEL_RANK[entry.level] > LEVEL_RANK[existing.level]) existing.level = entry.level;
      }
    }
  }

  const ordered = [...chosen.entries()]
    .filter(([, choice]) => level === "all" || choice.level === "mandatory")
    .sort(([, a], [, b]) => LEVEL_RANK[b.level] - LEVEL_RANK[a.level]);

  const requirements = ordered.map(([id, choice], index): Requirement => {
    const standard = catalog.standard(id);
    return {
      number: index + 1,
      standard: id,
      name: pick(standard.name),
      fullName: pick(standard.fullName),
      level: choice.level,
      summary: pick(standard.summary),
      clause: pick(choice.level === "mandatory" ? standard.clause.mandatory : standard.clause.desirable),
      rationale: pick(standard.protectsAgainst),
      reasons: choice.reasons,
      verification: {
        method: pick(standard.verification.method),
        evidence: standard.verification.evidence.map((item) => ({ kind: item.kind, description: pick(item.description) })),
        checks: [...standard.verification.checks],
      },
      orEquivalent: pick(standard.orEquivalent),
      complyOrExplain: pick(standard.complyOrExplain),
      checklist: pick(standard.checklist),
      specifications: standard.specifications,
      policies: standard.policies,
    };
  });

  return {
    language,
    level,
    scope: {
      categories: categories.map((category) => ({ id: category.id, name: pick(category.name) })),
      cpv: cpvScope,
      unmatchedCpv,
    },
    requirements,
  };
}
