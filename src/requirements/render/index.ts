/**
 * Renders a requirement set in one of the generator's formats.
 * Text formats return a string; DOCX returns bytes.
 */
import { buildAnnex, type AnnexOptions } from "../annex.ts";
import type { RequirementSet } from "../select.ts";
import { renderDocx } from "./docx.ts";
import { renderHtml } from "./html.ts";
import { renderMarkdown } from "./markdown.ts";
import { toOcdsCriteria } from "./ocds.ts";

export const FORMATS = ["md", "html", "docx", "json", "ocds"] as const;
export type Format = (typeof FORMATS)[number];

export async function renderRequirements(set: RequirementSet, format: Format, options: AnnexOptions): Promise<string | Uint8Array> {
  switch (format) {
    case "md":
      return renderMarkdown(buildAnnex(set, options));
    case "html":
      return renderHtml(buildAnnex(set, options));
    case "docx":
      return renderDocx(buildAnnex(set, options));
    case "json":
      return `${JSON.stringify({ generator: `baseline ${options.version}`, ...set }, null, 2)}\n`;
    case "ocds":
      return `${JSON.stringify(toOcdsCriteria(set), null, 2)}\n`;
  }
}
