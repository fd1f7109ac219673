/** Renders an annex as CommonMark (GitHub-flavoured tables), ready to paste into a tender. */
import type { AnnexDocument, Inline } from "../annex.ts";

export function renderMarkdown(document: AnnexDocument): string {
  const lines: string[] = [`# ${document.title}`, ""];
  for (const block of document.blocks) {
    switch (block.kind) {
      case "heading":
        lines.push(`${"#".repeat(block.level)} ${escapeText(block.text)}`, "");
        break;
      case "paragraph":
        lines.push(inline(block.content), "");
        break;
      case "list":
        for (const item of block.items) lines.push(`- ${inline(item)}`);
        lines.push("");
        break;
      case "table":
        lines.push(row(block.header), row(block.header.map(() => "---")));
        for (const cells of block.rows) lines.push(row(cells));
        lines.push("");
        break;
    }
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

function inline(content: readonly Inline[]): string {
  return content
    .map((part) => {
      if (typeof part === "string") return escapeText(part);
      if (part.href) return `<${part.href}>`;
      // Keep the label's trailing space outside the emphasis, as CommonMark requires.
      const text = escapeText(part.text);
      const trimmed = text.trimEnd();
      return part.strong ? `**${trimmed}**${text.slice(trimmed.length)}` : text;
    })
    .join("");
}

function row(cells: readonly string[]): string {
  return `| ${cells.map((cell) => escapeText(cell).replaceAll("|", "\\|").replaceAll("\n", " ")).join(" | ")} |`;
}

/** Characters that would otherwise start Markdown syntax inside catalog prose. */
function escapeText(text: string): string {
  return text.replace(/([\\`*_<>[\]])/g, "\\$1");
}
