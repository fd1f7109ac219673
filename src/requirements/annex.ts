/**
 * Lays a requirement set out as a tender annex: a small, format-neutral
 * document model (headings, paragraphs, lists, tables) that the Markdown,
 * HTML and Word renderers print. The structure is decided once, here, so the
 * three formats cannot disagree on content.
 */
import type { Language } from "../catalog/schema.ts";
import { ANNEX_LABELS } from "./labels.ts";
import type { Requirement, RequirementSet } from "./select.ts";

/** A run of text; strong for labels, href for references. */
export type Inline = string | { text: string; strong?: boolean; href?: string };

export type Block =
  | { kind: "heading"; level: 1 | 2 | 3; text: string }
  | { kind: "paragraph"; content: Inline[] }
  | { kind: "list"; items: Inline[][] }
  /** `widths`: relative column widths, summing to 100. */
  | { kind: "table"; header: string[]; rows: string[][]; widths: number[] };

export interface AnnexDocument {
  language: Language;
  title: string;
  blocks: Block[];
}

export interface AnnexOptions {
  /** Baseline's version, printed in the footer line. */
  version: string;
  /** ISO date printed in the footer line; fixed in tests for reproducible output. */
  date: string;
}

export function buildAnnex(set: RequirementSet, options: AnnexOptions): AnnexDocument {
  const labels = ANNEX_LABELS[set.language];
  const levelName = (requirement: Requirement): string =>
    requirement.level === "mandatory" ? labels.levelMandatory : labels.levelRecommended;
  const blocks: Block[] = [];
  const heading = (level: 1 | 2 | 3, text: string): void => void blocks.push({ kind: "heading", level, text });
  const paragraph = (...content: Inline[]): void => void blocks.push({ kind: "paragraph", content });
  const labelled = (label: string, text: string): void => paragraph({ text: `${label}. `, strong: true }, text);
  const colon = labels.colon;

  paragraph({ text: `${labels.scopeCategories}${colon}`, strong: true }, set.scope.categories.map((category) => category.name).join("; "));
  if (set.scope.cpv.length > 0) {
    paragraph(
      { text: `${labels.scopeCpv}${colon}`, strong: true },
      set.scope.cpv.map((scope) => `${scope.code} ${scope.label}`).join("; "),
    );
  }

  heading(2, `1. ${labels.introduction}`);
  for (const text of labels.introParagraphs) paragraph(text);

  heading(2, `2. ${labels.requirementsHeading}`);
  for (const requirement of set.requirements) {
    heading(3, `R${requirement.number}. ${requirement.name}${colon}${requirement.fullName} (${levelName(requirement)})`);
    paragraph(requirement.summary);
    labelled(labels.clause, requirement.clause);
    labelled(labels.rationale, requirement.rationale);
    blocks.push({
      kind: "list",
      items: requirement.reasons.map((reason) => [{ text: `${labels.forThisPurchase} (${reason.categoryName})${colon}`, strong: true }, reason.text]),
    });
    labelled(labels.verification, requirement.verification.method);
    paragraph({ text: `${labels.evidence}${colon.trimEnd()}`, strong: true });
    blocks.push({
      kind: "list",
      items: requirement.verification.evidence.map((item): Inline[] => [
        { text: labels.evidenceKinds[item.kind] ?? item.kind, strong: true },
        `${colon}${item.description}`,
      ]),
    });
    if (requirement.verification.checks.length > 0) {
      paragraph({ text: `${labels.automatedChecks}${colon}`, strong: true }, requirement.verification.checks.join(", "));
    }
    labelled(labels.orEquivalent, requirement.orEquivalent);
    labelled(labels.complyOrExplain, requirement.complyOrExplain);
  }

  heading(2, `3. ${labels.checklistHeading}`);
  paragraph(labels.checklistIntro);
  const columns = labels.columns;
  blocks.push({
    kind: "table",
    header: [columns.number, columns.requirement, columns.level, columns.question, columns.evidence, columns.met, columns.remarks],
    // The question needs the room; the remarks column is left wide enough to write in.
    widths: [6, 13, 11, 30, 16, 11, 13],
    rows: set.requirements.map((requirement) => [
      `R${requirement.number}`,
      requirement.name,
      levelName(requirement),
      requirement.checklist,
      requirement.verification.evidence.map((item) => labels.evidenceKinds[item.kind] ?? item.kind).join("; "),
      labels.yesNo,
      "",
    ]),
  });

  heading(2, `4. ${labels.referencesHeading}`);
  heading(3, labels.specifications);
  const specifications = uniqueBy(
    set.requirements.flatMap((requirement) => requirement.specifications),
    (specification) => specification.ref,
  );
  blocks.push({
    kind: "list",
    items: specifications.map((specification): Inline[] => [
      { text: specification.ref, strong: true },
      ` (${specification.publisher})${colon}${specification.title}. `,
      { text: specification.url, href: specification.url },
    ]),
  });
  heading(3, labels.policies);
  const policies = uniqueBy(
    set.requirements.flatMap((requirement) => requirement.policies),
    (policy) => policy.url + policy.name,
  );
  blocks.push({
    kind: "list",
    items: policies.map((policy): Inline[] => [
      { text: policy.name, strong: true },
      ` (${policy.publisher}, ${policy.jurisdiction}). `,
      { text: policy.url, href: policy.url },
    ]),
  });
  paragraph(labels.generated(options.version, options.date));

  return { language: set.language, title: labels.title, blocks };
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
}

/** Plain text of a run of inlines, as the Markdown and Word renderers need it. */
export function inlineText(content: readonly Inline[]): string {
  return content.map((part) => (typeof part === "string" ? part : part.text)).join("");
}
