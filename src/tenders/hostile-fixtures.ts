/**
 * Hostile tender inputs for tests and the benchmark (issue 15, findings 11
 * to 17), written at run time into a folder the caller owns and deletes:
 * small files that expand hugely, pathological structure, and tricks with
 * names and characters. Each generator is cheap (a second or less) however
 * large the input claims to be, so the suite stays fast on a small machine;
 * none of these files is kept in the repository.
 *
 * Next to most hostile inputs is a "peer": a good document of similar size
 * read the same way, so that figures can be compared within one run.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateRawSync, constants } from "node:zlib";
import { Document, HeadingLevel, Packer, Paragraph, TextRun } from "docx";
import { makePdf } from "./ingest/fixtures/make-pdf.ts";
import { makeZip } from "./ingest/fixtures/make-zip.ts";

const MIB = 1024 * 1024;

/** Tender prose with named standards, the unit of every large good document. */
export const TENDER_PARAGRAPH =
  "The supplier shall sign the municipal zone with DNSSEC and serve every page of the website over HTTPS with HSTS. " +
  "Mail is protected with DMARC and SPF; the hosting platform must be reachable over IPv6. " +
  "The contract covers four years, with the option to extend it twice by one year.\n\n";

const HOSTING_HEADER = "Hosting of the municipal website\nCPV 72415000-2\n\n";

function repeatTo(unit: string, bytes: number): string {
  return unit.repeat(Math.max(1, Math.ceil(bytes / unit.length)));
}

/** Plain text tender of about `bytes` bytes (the peer of most inputs). */
export function textTender(dir: string, name: string, bytes: number): string {
  const path = join(dir, name);
  writeFileSync(path, HOSTING_HEADER + repeatTo(TENDER_PARAGRAPH, bytes));
  return path;
}

const CONTENT_TYPES =
  '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
  '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>';
const ROOT_RELATIONSHIPS =
  '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
  '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>';

/**
 * A DOCX whose main part holds `bytes` of short paragraphs: 50 MiB pack into
 * about 150 KB (finding 11). The main part is word/document.xml, or any
 * name the relationships point to (review M2: "word/main" escaped the cap).
 */
export function expandingDocx(dir: string, name: string, bytes: number, mainPart = "word/document.xml"): string {
  const paragraph = "<w:p><w:r><w:t>The supplier shall sign the zone with DNSSEC.</w:t></w:r></w:p>";
  const count = Math.ceil(bytes / paragraph.length);
  const head = Buffer.from('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>');
  const tail = Buffer.from("</w:body></w:document>");
  const body = Buffer.alloc(count * paragraph.length, paragraph);
  const zip = makeZip([
    { name: "[Content_Types].xml", data: Buffer.from(CONTENT_TYPES.replace("/word/document.xml", `/${mainPart}`)) },
    { name: "_rels/.rels", data: Buffer.from(ROOT_RELATIONSHIPS.replace("word/document.xml", mainPart)) },
    { name: mainPart, data: Buffer.concat([head, body, tail]) },
  ]);
  const path = join(dir, name);
  writeFileSync(path, zip);
  return path;
}

/** A DOCX with one Heading 1 paragraph of `characters` characters (finding 13: 4 KB on disk, 162 s before). */
export async function headingDocx(dir: string, name: string, characters: number): Promise<string> {
  const heading = repeatTo("Security requirements for DNSSEC and HTTPS ", characters).slice(0, characters);
  const word = new Document({
    sections: [
      {
        children: [
          new Paragraph({ heading: HeadingLevel.HEADING_1, children: [new TextRun(heading)] }),
          new Paragraph({ children: [new TextRun("CPV 72415000-2. The supplier shall sign the zone with DNSSEC.")] }),
        ],
      },
    ],
  });
  const path = join(dir, name);
  writeFileSync(path, await Packer.toBuffer(word));
  return path;
}

/** HTML with one <h2> of `characters` characters (finding 13: 525 KB took 38 s, 2.1 MB did not finish). */
export function headingHtml(dir: string, name: string, characters: number): string {
  const heading = repeatTo("Security requirements for DNSSEC and HTTPS ", characters).slice(0, characters);
  const path = join(dir, name);
  writeFileSync(path, `<!doctype html><html lang="en"><body><h2>${heading}</h2><p>CPV 72415000-2. The supplier shall sign the zone with DNSSEC.</p></body></html>`);
  return path;
}

/** HTML of `bytes` bytes of `"< "` (finding 14: 49 MB took 3.4 GB). */
export function lessThanHtml(dir: string, name: string, bytes: number): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([Buffer.from("<!doctype html><html><body><p>"), Buffer.alloc(bytes - (bytes % 2), "< "), Buffer.from("</p></body></html>")]));
  return path;
}

/** An eForms contract notice whose procedure description is `bytes` long (finding 14: 40 MB took 2.4 GB). */
export function hugeEforms(dir: string, name: string, bytes: number): string {
  const template = readFileSync(fileURLToPath(new URL("./ingest/fixtures/contract-notice.xml", import.meta.url)), "utf8");
  const marker = "The municipality buys the management of its domain names and the hosting of its websites.";
  const description = repeatTo(TENDER_PARAGRAPH.replace(/\n/g, " "), bytes);
  const path = join(dir, name);
  writeFileSync(path, template.replace(marker, description));
  return path;
}

/** A text file that is one line of `bytes` bytes, without a sentence end anywhere. */
export function singleLineText(dir: string, name: string, bytes: number): string {
  const path = join(dir, name);
  writeFileSync(path, HOSTING_HEADER + repeatTo("DNSSEC signing of the municipal zone and HTTPS for every page ", bytes));
  return path;
}

/**
 * A raw deflate stream that inflates to `inflated` zero bytes, made without
 * deflating them all: one block of zeros flushed to a byte boundary is
 * repeated (its back-references only ever reach zeros), then a final empty
 * block ends the stream. About 1,000 to 1.
 */
function zeroBomb(inflated: number): Buffer {
  const unit = 4 * MIB;
  const block = deflateRawSync(Buffer.alloc(unit), { finishFlush: constants.Z_SYNC_FLUSH });
  const end = deflateRawSync(Buffer.alloc(0));
  return Buffer.concat([...Array.from({ length: Math.ceil(inflated / unit) }, () => block), end]);
}

/**
 * A one-page PDF whose content stream is a FlateDecode bomb that inflates to
 * `inflated` bytes (finding 14: 4.2 MB inflating to about 4 GB took 9.2 GB
 * and 89 s, then exited 0). The zlib header is written by hand; pdf.js does
 * not check the trailing checksum.
 */
export function flateBombPdf(dir: string, name: string, inflated: number): string {
  const data = Buffer.concat([Buffer.from([0x78, 0x9c]), zeroBomb(inflated)]);
  const path = join(dir, name);
  writeFileSync(path, pdfWithContent(data, "/Filter /FlateDecode"));
  return path;
}

/** Ways to hide a compressed stream from a scan of PDF syntax that pdf.js still decodes (review M1 of issue 15). */
export const DISGUISED_BOMBS = ["name-escape", "filter-array", "obj-string", "long-dictionary", "lzw", "run-length"] as const;

/**
 * A one-page PDF whose content stream unpacks to `inflated` bytes, written
 * so that only a reader that decodes as pdf.js does sees it: FlateDecode
 * spelt with a name escape, behind ASCIIHexDecode in a filter array, after
 * a string holding " obj", before 5 KiB of dictionary, or another filter
 * (LZW, about 2,500 to 1; RunLength, 64 to 1).
 */
export function disguisedBombPdf(dir: string, name: string, variant: (typeof DISGUISED_BOMBS)[number], inflated: number): string {
  const flate = (): Buffer => Buffer.concat([Buffer.from([0x78, 0x9c]), zeroBomb(inflated)]);
  const [data, dictionary] = ((): [Buffer, string] => {
    switch (variant) {
      case "name-escape":
        return [flate(), "/Filter /Flat#65Decode"];
      case "filter-array":
        return [Buffer.from(`${flate().toString("hex")}>`), "/Filter [/ASCIIHexDecode /FlateDecode]"];
      case "obj-string":
        return [flate(), "/Filter /FlateDecode /Junk ( obj)"];
      case "long-dictionary":
        return [flate(), `/Filter /FlateDecode /Junk [${"0 ".repeat(2600)}]`];
      case "lzw":
        return [lzwZeros(inflated), "/Filter /LZWDecode"];
      case "run-length":
        return [runLengthSpaces(inflated), "/Filter /RunLengthDecode"];
    }
  })();
  const path = join(dir, name);
  writeFileSync(path, pdfWithContent(data, dictionary));
  return path;
}

/**
 * LZW codes (PDF's variant, EarlyChange 1) that decode to at least `inflated`
 * zero bytes: each new code is the previous run plus one zero, until the
 * 12-bit table is full, then its longest entry again and again. The code
 * width follows the decoder's own rule, computed the same way.
 */
function lzwZeros(inflated: number): Buffer {
  const bytes: number[] = [];
  let buffer = 0;
  let buffered = 0;
  let width = 9;
  const write = (code: number): void => {
    buffer = (buffer << width) | code;
    buffered += width;
    while (buffered >= 8) {
      buffered -= 8;
      bytes.push((buffer >>> buffered) & 0xff);
    }
    buffer &= (1 << buffered) - 1;
  };
  write(0);
  let next = 258;
  let produced = 1;
  while (produced < inflated) {
    const code = next < 4000 ? next : 3999;
    write(code);
    produced += code - 256;
    next++;
    if (((next + 1) & next) === 0) width = Math.min(Math.log(next + 1) / 0.6931471805599453 + 1, 12) | 0;
  }
  write(257);
  if (buffered > 0) bytes.push((buffer << (8 - buffered)) & 0xff);
  return Buffer.from(bytes);
}

/** RunLengthDecode runs of 128 spaces (two bytes each) making at least `inflated` bytes, then the end marker. */
function runLengthSpaces(inflated: number): Buffer {
  return Buffer.concat([Buffer.alloc(Math.ceil(inflated / 128) * 2, Buffer.from([129, 0x20])), Buffer.from([128])]);
}

/** A one-page PDF with the given content stream bytes and extra dictionary entries, offsets exact. */
function pdfWithContent(content: Buffer, dictionary: string): Buffer {
  const parts: Buffer[] = [Buffer.from("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "latin1")];
  const offsets: number[] = [];
  let length = parts[0]?.length ?? 0;
  const add = (...chunks: Buffer[]): void => {
    offsets.push(length);
    for (const chunk of chunks) {
      parts.push(chunk);
      length += chunk.length;
    }
  };
  const text = (value: string): Buffer => Buffer.from(value, "latin1");
  add(text("1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"));
  add(text("2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"));
  add(text("3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>\nendobj\n"));
  add(text(`4 0 obj\n<< /Length ${content.length} ${dictionary} >>\nstream\n`), content, text("\nendstream\nendobj\n"));
  add(text("5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n"));
  const xref = length;
  let trailer = `xref\n0 ${offsets.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) trailer += `${String(offset).padStart(10, "0")} 00000 n \n`;
  trailer += `trailer\n<< /Size ${offsets.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  parts.push(text(trailer));
  return Buffer.concat(parts);
}

/** A one-page PDF whose content stream is compressed honestly: the peer of the flate bomb. */
export function compressedPdf(dir: string, name: string, lines: number): string {
  const operations = ["BT", "/F1 11 Tf", "14 TL", "72 760 Td"];
  for (let line = 0; line < lines; line++) operations.push("(The supplier shall sign the zone with DNSSEC.) Tj T*");
  operations.push("ET");
  const data = Buffer.concat([Buffer.from([0x78, 0x9c]), deflateRawSync(Buffer.from(operations.join("\n")))]);
  const path = join(dir, name);
  writeFileSync(path, pdfWithContent(data, "/Filter /FlateDecode"));
  return path;
}

/** A PDF of `pages` pages; only the last one asks for DANE (finding 15: 2,001 pages reported DANE missing, exit 0). */
export function longPdf(dir: string, name: string, pages: number): string {
  const content = Array.from({ length: pages }, (_, index) => [`Page ${index + 1}: hosting of the municipal website.`]);
  content[pages - 1] = ["The mail servers of the municipality shall publish DANE records for SMTP."];
  const path = join(dir, name);
  writeFileSync(path, makePdf({ pages: content }));
  return path;
}

/** A PDF whose pages all carry the same lines (finding 17: called "no extractable text"). */
export function repeatedLinesPdf(dir: string, name: string, pages: number): string {
  const lines = ["Hosting of the municipal website", "The supplier shall sign the zone with DNSSEC."];
  const path = join(dir, name);
  writeFileSync(path, makePdf({ pages: Array.from({ length: pages }, () => lines) }));
  return path;
}

/**
 * An OCDS release package of `releases` tenders that all cite one annex of
 * `annexBytes` (finding 12: 400 releases and a 20 MiB annex ran out of
 * memory at 4.3 GB). Returns the package and the folder to give as
 * --documents. Only the annex asks for DANE. With `distinctTitles`, each
 * release gives the annex a title of its own ("Annex A (17)"), which made
 * every release copy and analyse it again (review H2: 124 s, 36 of 400).
 */
export function sharedAnnexOcds(dir: string, releases: number, annexBytes: number, distinctTitles = false): { packagePath: string; documents: string } {
  const documents = join(dir, "annexes");
  mkdirSync(documents, { recursive: true });
  writeFileSync(join(documents, "annex.txt"), `Annex A: technical requirements\n\n${repeatTo(TENDER_PARAGRAPH, annexBytes - 200)}The mail servers shall publish DANE records.\n`);
  const package_ = {
    uri: "https://example.org/package.json",
    publishedDate: "2026-01-01T00:00:00Z",
    releases: Array.from({ length: releases }, (_, index) => ({
      ocid: `ocds-test-${String(index).padStart(4, "0")}`,
      id: `${index}`,
      date: "2026-01-01T00:00:00Z",
      tag: ["tender"],
      buyer: { name: `Municipality ${index}` },
      tender: {
        title: `Hosting of website ${index}`,
        classification: { scheme: "CPV", id: "72415000" },
        documents: [{ id: "annex", title: distinctTitles ? `Annex A (${index})` : "Annex A", url: "https://example.org/files/annex.txt" }],
      },
    })),
  };
  const packagePath = join(dir, "shared-annex.json");
  writeFileSync(packagePath, JSON.stringify(package_));
  return { packagePath, documents };
}

/** JSON nested `depth` levels deep with a syntax error after the nesting (finding 17: wrong column past 512 levels). */
export function deepInvalidJson(dir: string, name: string, depth: number): { path: string; column: number } {
  const text = `${'{"a":['.repeat(depth)}1,]${"]}".repeat(depth)}`;
  const path = join(dir, name);
  writeFileSync(path, text);
  // The error is the "]" right after "1,": 1-based column.
  return { path, column: depth * 6 + 3 };
}

/**
 * HTML naming DANE with a soft hyphen, DMARC with a zero-width space, HSTS in
 * fullwidth letters, DNSSEC with a combining grapheme joiner and HTTPS with a
 * variation selector (review L7), and SPF in Cyrillic look-alikes.
 */
export function disguisedNamesHtml(dir: string, name: string): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    '<!doctype html><html lang="en"><body><h1>Hosting of the municipal website</h1><p>CPV 72415000-2</p>' +
      "<p>The mail servers shall publish D&shy;ANE records.</p><p>The domain must publish a DM\u200bARC policy.</p>" +
      "<p>Every page shall be served with \uff28\uff33\uff34\uff33.</p><p>The domain must publish an \u0405\u0420F record.</p>" +
      "<p>The zone shall be signed with DNS\u034fSEC and every page served over HT\ufe00TPS.</p></body></html>",
  );
  return path;
}

/** A FIFO (named pipe) with a tender's name (finding 16: reading it hung forever). Needs mkfifo. */
export function fifo(dir: string, name: string): string {
  const path = join(dir, name);
  const result = spawnSync("mkfifo", [path]);
  if (result.status !== 0) throw new Error(`mkfifo failed: ${result.stderr.toString()}`);
  return path;
}

/** A file name with a newline that, printed raw, would fake an error line for another file (finding 17). */
export function newlineNamedFile(dir: string): string {
  const path = join(dir, "evil\nbaseline: other.txt: forged.txt");
  writeFileSync(path, Buffer.from([0, 1, 2, 3]));
  return path;
}
