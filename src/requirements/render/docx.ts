/**
 * Renders an annex as a Word document (Office Open XML) with real headings,
 * bullet lists and tables, through the `docx` library, so that it opens in
 * Word and LibreOffice and buyers can edit it like any tender document.
 */
import {
  AlignmentType,
  Document,
  ExternalHyperlink,
  HeadingLevel,
  Packer,
  Paragraph,
  Table,
  TableCell,
  TableLayoutType,
  TableRow,
  TextRun,
  WidthType,
  type IRunOptions,
  type ParagraphChild,
} from "docx";
import type { AnnexDocument, Inline } from "../annex.ts";

const HEADINGS = { 1: HeadingLevel.HEADING_1, 2: HeadingLevel.HEADING_2, 3: HeadingLevel.HEADING_3 } as const;
/** Text width of an A4 page with the library's default 1-inch margins, in twips. */
const TEXT_WIDTH = 9026;
/** 10 pt body text in half-points, 9 pt in tables. */
const BODY_SIZE = 20;
const TABLE_SIZE = 18;

export async function renderDocx(document: AnnexDocument): Promise<Uint8Array> {
  const children: (Paragraph | Table)[] = [new Paragraph({ heading: HeadingLevel.TITLE, children: [new TextRun(document.title)] })];
  for (const block of document.blocks) {
    switch (block.kind) {
      case "heading":
        children.push(new Paragraph({ heading: HEADINGS[block.level], children: [new TextRun(block.text)] }));
        break;
      case "paragraph":
        children.push(new Paragraph({ children: runs(block.content), spacing: { after: 120 } }));
        break;
      case "list":
        for (const item of block.items) children.push(new Paragraph({ children: runs(item), bullet: { level: 0 } }));
        break;
      case "table":
        children.push(
          new Table({
            width: { size: TEXT_WIDTH, type: WidthType.DXA },
            columnWidths: block.widths.map((share) => Math.round((share / 100) * TEXT_WIDTH)),
            layout: TableLayoutType.FIXED,
            rows: [
              new TableRow({ tableHeader: true, children: block.header.map((cell) => tableCell(cell, true)) }),
              ...block.rows.map((cells) => new TableRow({ cantSplit: true, children: cells.map((cell) => tableCell(cell, false)) })),
            ],
          }),
        );
        break;
    }
  }
  const word = new Document({
    title: document.title,
    creator: "Baseline",
    description: "Requirements annex generated from the Baseline standards catalog",
    styles: { default: { document: { run: { font: "Calibri", size: BODY_SIZE } } } },
    sections: [{ properties: { page: { size: { width: 11906, height: 16838 } } }, children }],
  });
  return new Uint8Array(await Packer.toBuffer(word));
}

function runs(content: readonly Inline[]): ParagraphChild[] {
  return content.map((part) => {
    if (typeof part === "string") return new TextRun(part);
    if (part.href) {
      return new ExternalHyperlink({ link: part.href, children: [new TextRun({ text: part.text, style: "Hyperlink" })] });
    }
    return new TextRun(runOptions(part.text, part.strong ?? false));
  });
}

function tableCell(text: string, header: boolean): TableCell {
  return new TableCell({
    shading: header ? { fill: "DDE6F0" } : undefined,
    children: [
      new Paragraph({
        alignment: AlignmentType.LEFT,
        children: [new TextRun(runOptions(text, header, TABLE_SIZE))],
      }),
    ],
  });
}

// Typed as IRunOptions on purpose: TextRun also takes a plain string, and
// String.prototype.bold would otherwise be the property the checker sees.
function runOptions(text: string, bold: boolean, size?: number): IRunOptions {
  return size === undefined ? { text, bold } : { text, bold, size };
}
