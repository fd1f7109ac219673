/**
 * A short feedback letter to the contracting authority of one analysed
 * tender: thanks, which relevant standards the tender asked for, and for each
 * one it left out the catalog's ready clause (with its "or equivalent"
 * wording) to use next time. A tender that asked for everything gets a short
 * congratulation instead. The letter is written in the tender's language when
 * the catalog has texts in it, otherwise in English, so the clauses can be
 * pasted into the authority's next tender as they are.
 *
 * @example
 *   const markdown = feedbackLetter(analysis, loadCatalog(), "md");
 */
import type { Catalog } from "../../catalog/catalog.ts";
import { REQUIRED_LANGUAGES, type Language } from "../../catalog/schema.ts";
import { escapeHtml } from "../../requirements/render/html.ts";
import type { TenderAnalysis } from "../types.ts";
import { toTenderRow } from "./aggregate.ts";
import { LETTER_LABELS, type LetterLabels } from "./labels.ts";

export type LetterFormat = "md" | "html";

/** What a letter says, before it is written out as Markdown or HTML. */
type LetterBlock =
  | { kind: "paragraph"; text: string }
  | { kind: "list"; items: string[] }
  | { kind: "clause"; heading: string; parts: { label: string; text: string }[] }
  | { kind: "signature"; lines: string[] };

interface Letter {
  language: Language;
  subject: string;
  colon: string;
  blocks: LetterBlock[];
}

/** Writes the feedback letter for one tender. */
export function feedbackLetter(analysis: TenderAnalysis, catalog: Catalog, format: LetterFormat): string {
  const letter = composeLetter(analysis, catalog);
  return format === "html" ? renderHtmlLetter(letter) : renderMarkdownLetter(letter);
}

/** The catalog language for a BCP 47 tag ("nl-BE" → "nl"); English for any other language. */
export function letterLanguage(tag: string): Language {
  const primary = tag.trim().toLowerCase().split(/[-_]/)[0] ?? "";
  return (REQUIRED_LANGUAGES as readonly string[]).includes(primary) ? (primary as Language) : "en";
}

function composeLetter(analysis: TenderAnalysis, catalog: Catalog): Letter {
  const language = letterLanguage(analysis.language);
  const labels = LETTER_LABELS[language];
  const row = toTenderRow(analysis);
  const title = analysis.title?.trim() || labels.untitled;
  const blocks: LetterBlock[] = [];
  const paragraph = (text: string): void => {
    blocks.push({ kind: "paragraph", text });
  };

  const authority = analysis.authority?.trim();
  if (authority) paragraph(labels.addressee(authority));
  paragraph(labels.greeting);
  paragraph(labels.thanks(title, longDate(analysis.publishedAt, language)));

  if (row.relevant.length === 0) {
    paragraph(labels.nothingRelevant);
  } else if (row.missing.length === 0) {
    paragraph(labels.congratulations(row.relevant.length));
  } else {
    const name = (id: string): string => (catalog.hasStandard(id) ? catalog.standard(id).name[language] : id);
    if (row.requested.length > 0) {
      paragraph(labels.requestedIntro);
      blocks.push({
        kind: "list",
        items: row.requested.map(({ standard, level }) => (level === "desired" ? `${name(standard)} (${labels.desiredMark})` : name(standard))),
      });
    } else {
      paragraph(labels.noneRequested(row.relevant.length));
    }
    paragraph(labels.missingIntro);
    for (const id of row.missing) blocks.push(missingClause(id, catalog, language, labels));
    if (analysis.genericDemand.length > 0) paragraph(labels.genericDemand);
    paragraph(labels.complyOrExplain);
    paragraph(labels.automated);
  }
  blocks.push({ kind: "signature", lines: [labels.closing, labels.signature] });
  return { language, subject: labels.subject(title), colon: labels.colon, blocks };
}

/** The standard's name, and its mandatory clause and "or equivalent" text from the catalog. */
function missingClause(id: string, catalog: Catalog, language: Language, labels: LetterLabels): LetterBlock {
  // A standard the catalog does not know (an older analysis) is still named, without a clause.
  if (!catalog.hasStandard(id)) return { kind: "clause", heading: id, parts: [] };
  const standard = catalog.standard(id);
  const name = standard.name[language];
  const fullName = standard.fullName[language];
  return {
    kind: "clause",
    heading: fullName === name ? name : `${name} – ${fullName}`,
    parts: [
      { label: labels.clause, text: standard.clause.mandatory[language] },
      { label: labels.orEquivalent, text: standard.orEquivalent[language] },
    ],
  };
}

/** "15 March 2024", "15 maart 2024"; the text as given when it is not an ISO date. */
function longDate(value: string | null, language: Language): string | null {
  if (!value) return null;
  const match = /^\d{4}-\d{2}-\d{2}/.exec(value.trim());
  const date = match ? new Date(`${match[0]}T00:00:00Z`) : null;
  if (!date || Number.isNaN(date.getTime())) return value.trim();
  // British order ("14 February 2023") reads naturally to the European authorities these letters go to.
  const locale = language === "en" ? "en-GB" : language;
  return new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" }).format(date);
}

function renderMarkdownLetter(letter: Letter): string {
  const lines: string[] = [`# ${escapeMarkdown(letter.subject)}`, ""];
  for (const block of letter.blocks) {
    switch (block.kind) {
      case "paragraph":
        lines.push(escapeMarkdown(block.text), "");
        break;
      case "list":
        lines.push(...block.items.map((item) => `- ${escapeMarkdown(item)}`), "");
        break;
      case "clause":
        lines.push(`## ${escapeMarkdown(block.heading)}`, "");
        for (const part of block.parts) lines.push(`**${escapeMarkdown(part.label)}**${letter.colon}${escapeMarkdown(part.text)}`, "");
        break;
      case "signature":
        // A trailing backslash is CommonMark's hard line break.
        lines.push(block.lines.map(escapeMarkdown).join("\\\n"), "");
        break;
    }
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

/** Characters that would otherwise start Markdown syntax or raw HTML. */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_<>[\]&|]/g, "\\$&");
}

const LETTER_STYLE = `
  body { font: 11pt/1.5 "Segoe UI", "Liberation Sans", Arial, sans-serif; color: #1a1a1a; background: #fff; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; }
  h1 { font-size: 1.3rem; }
  h2 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; color: #1f4e79; }
  .clause p { margin: .3rem 0 .6rem; }
  @page { size: A4; margin: 2cm; }
  @media print { body { margin: 0; max-width: none; } .clause { break-inside: avoid; } }
`;

function renderHtmlLetter(letter: Letter): string {
  const body = letter.blocks.map((block) => {
    switch (block.kind) {
      case "paragraph":
        return `<p>${escapeHtml(block.text)}</p>`;
      case "list":
        return `<ul>\n${block.items.map((item) => `<li>${escapeHtml(item)}</li>`).join("\n")}\n</ul>`;
      case "clause":
        return `<section class="clause">\n<h2>${escapeHtml(block.heading)}</h2>\n${block.parts
          .map((part) => `<p><strong>${escapeHtml(part.label)}</strong>${escapeHtml(letter.colon)}${escapeHtml(part.text)}</p>`)
          .join("\n")}\n</section>`;
      case "signature":
        return `<p>${block.lines.map(escapeHtml).join("<br>\n")}</p>`;
    }
  });
  return `<!doctype html>
<html lang="${letter.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(letter.subject)}</title>
<style>${LETTER_STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(letter.subject)}</h1>
${body.join("\n")}
</main>
</body>
</html>
`;
}
