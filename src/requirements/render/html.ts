/**
 * Renders an annex as one standalone HTML file: no external resources,
 * readable on screen and printable (A4, tables kept together, links shown
 * with their address on paper).
 */
import type { AnnexDocument, Inline } from "../annex.ts";

const STYLE = `
  :root { color-scheme: light; }
  body { font: 11pt/1.45 "Segoe UI", "Liberation Sans", Arial, sans-serif; color: #1a1a1a; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; }
  h1 { font-size: 1.6rem; border-bottom: 2px solid #1f4e79; padding-bottom: .3rem; }
  h2 { font-size: 1.3rem; color: #1f4e79; margin-top: 2rem; }
  h3 { font-size: 1.05rem; margin-top: 1.5rem; }
  table { border-collapse: collapse; width: 100%; font-size: .9rem; }
  th, td { border: 1px solid #8a8a8a; padding: .3rem .45rem; text-align: left; vertical-align: top; }
  th { background: #dde6f0; }
  a { color: #1f4e79; overflow-wrap: anywhere; }
  @page { size: A4; margin: 2cm; }
  @media print {
    body { margin: 0; max-width: none; }
    h2, h3 { break-after: avoid; }
    tr { break-inside: avoid; }
  }
`;

export function renderHtml(document: AnnexDocument): string {
  const body = document.blocks
    .map((block) => {
      switch (block.kind) {
        case "heading":
          return `<h${block.level}>${escapeHtml(block.text)}</h${block.level}>`;
        case "paragraph":
          return `<p>${inline(block.content)}</p>`;
        case "list":
          return `<ul>\n${block.items.map((item) => `  <li>${inline(item)}</li>`).join("\n")}\n</ul>`;
        case "table":
          return [
            "<table>",
            `  <colgroup>${block.widths.map((share) => `<col style="width:${share}%">`).join("")}</colgroup>`,
            `  <thead><tr>${block.header.map((cell) => `<th scope="col">${escapeHtml(cell)}</th>`).join("")}</tr></thead>`,
            "  <tbody>",
            ...block.rows.map((cells) => `    <tr>${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join("")}</tr>`),
            "  </tbody>",
            "</table>",
          ].join("\n");
      }
    })
    .join("\n");
  return `<!doctype html>
<html lang="${document.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Baseline">
<title>${escapeHtml(document.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(document.title)}</h1>
${body}
</main>
</body>
</html>
`;
}

function inline(content: readonly Inline[]): string {
  return content
    .map((part) => {
      if (typeof part === "string") return escapeHtml(part);
      const text = escapeHtml(part.text);
      if (part.href) return `<a href="${escapeHtml(part.href)}">${text}</a>`;
      return part.strong ? `<strong>${text}</strong>` : text;
    })
    .join("");
}

const HTML_SPECIAL = /[&<>"']/;
const HTML_SPECIALS = /[&<>"']/g;

export function escapeHtml(text: string): string {
  // Most values (ids, counts, names) have nothing to escape; testing first
  // spares them the replace and its callback, which web pages call thousands
  // of times (a matrix page escapes every cell).
  if (!HTML_SPECIAL.test(text)) return text;
  return text.replace(HTML_SPECIALS, (character) => `&#${character.charCodeAt(0)};`);
}
