import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Document, Packer, Paragraph } from "docx";
import type { IngestFailure, SharedPassages, TenderDocument } from "../types.ts";
import { makePdf } from "./fixtures/make-pdf.ts";
import { capCharacters, detectFormat, ingestFile, ingestPaths, isIngestFailure, type IngestOptions, type IngestResult } from "./index.ts";

const fixture = (name: string): string => new URL(`fixtures/${name}`, import.meta.url).pathname;

async function collect(paths: string[], options?: IngestOptions): Promise<IngestResult[]> {
  const results: IngestResult[] = [];
  for await (const result of ingestPaths(paths, options)) results.push(result);
  return results;
}

function failures(results: IngestResult[]): IngestFailure[] {
  return results.filter(isIngestFailure);
}

function documents(results: IngestResult[]): TenderDocument[] {
  return results.filter((result): result is TenderDocument => !isIngestFailure(result));
}

describe("ingestPaths over a folder of good and bad files", () => {
  let root = "";
  before(async () => {
    root = mkdtempSync(join(tmpdir(), "ingest-"));
    mkdirSync(join(root, "b-sub", "deeper"), { recursive: true });
    mkdirSync(join(root, ".hidden-folder"));
    writeFileSync(join(root, "a-notes.txt"), "3.2 Security\nUse DNSSEC.\n");
    writeFileSync(join(root, "binary.txt"), Buffer.from([0x00, 0x01, 0x02, 0xff, 0x00]));
    writeFileSync(join(root, "broken.pdf"), Buffer.from("%PDF-1.4\ngarbage"));
    writeFileSync(join(root, "page.html"), '<html lang="en"><body><h1>Hosting</h1><p>HSTS is required.</p></body></html>');
    writeFileSync(join(root, "spec.pdf"), makePdf({ pages: [["Page one asks for TLS."], ["Page two asks for IPv6."]] }));
    writeFileSync(join(root, "bad.json"), '{"releases": [');
    writeFileSync(join(root, "image.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    writeFileSync(join(root, ".hidden.txt"), "hidden");
    writeFileSync(join(root, ".hidden-folder", "inside.txt"), "hidden too");
    writeFileSync(join(root, "b-sub", "deeper", "tender.docx"), await Packer.toBuffer(new Document({ sections: [{ children: [new Paragraph("DMARC on all domains.")] }] })));
    writeFileSync(join(root, "b-sub", "legacy.doc"), Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(100)]));
    copyFileSync(fixture("contract-notice.xml"), join(root, "b-sub", "notice.xml"));
    copyFileSync(fixture("release-package.json"), join(root, "c-package.json"));
    symlinkSync(root, join(root, "b-sub", "loop"));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("reads every known file in sorted order, skips hidden and unknown ones, and goes on after failures", async () => {
    const results = await collect([root]);
    const relative = (source: string): string => source.slice(root.length + 1);
    assert.deepEqual(
      results.map((result) => `${relative(result.source)} ${isIngestFailure(result) ? "FAIL" : result.format}`),
      [
        "a-notes.txt text",
        "b-sub/deeper/tender.docx docx",
        "b-sub/legacy.doc FAIL",
        "b-sub/notice.xml eforms",
        "bad.json FAIL",
        "binary.txt FAIL",
        "broken.pdf FAIL",
        "c-package.json#ocds-abc123-2025-0001 ocds",
        "c-package.json#ocds-abc123-2025-0002 ocds",
        "page.html html",
        "spec.pdf pdf",
      ],
    );
    const errors = new Map(failures(results).map((failure) => [relative(failure.source), failure.error]));
    assert.match(errors.get("b-sub/legacy.doc") ?? "", /^encrypted or legacy Word file/);
    assert.equal(errors.get("bad.json"), "invalid JSON at line 1, column 15: Unexpected end of JSON input");
    assert.match(errors.get("binary.txt") ?? "", /^not a text file/);
    assert.match(errors.get("broken.pdf") ?? "", /^corrupt PDF: /);
    for (const error of errors.values()) assert.doesNotMatch(error, /\n/);
    const pdf = documents(results).find((document) => document.format === "pdf");
    assert.deepEqual(pdf?.passages.map((passage) => passage.page), [1, 2]);
  });

  it("passes the page cap and the document root on", async () => {
    writeFileSync(join(root, "annex-security.txt"), "Annex text: DANE for mail.");
    const results = await collect([join(root, "spec.pdf"), join(root, "c-package.json")], { maxPages: 1, documentRoot: root });
    const [pdf, hosting] = documents(results);
    assert.equal(pdf?.truncated, true);
    assert.deepEqual(pdf.passages.map((passage) => passage.page), [1]);
    assert.ok(hosting?.shared?.some(({ title, group }) => title === "Annex B - Security requirements" && group.passages.some((passage) => passage.text === "Annex text: DANE for mail.")));
    rmSync(join(root, "annex-security.txt"));
  });
});

describe("ingestFile", () => {
  let root = "";
  before(() => {
    root = mkdtempSync(join(tmpdir(), "ingest-file-"));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("refuses a file over maxBytes without reading it", async () => {
    const huge = join(root, "huge.pdf");
    writeFileSync(huge, "");
    truncateSync(huge, 60 * 1024 * 1024);
    const [result] = await ingestFile(huge);
    assert.deepEqual(result, { source: huge, error: "file too large: 60.0 MiB (limit 50.0 MiB)" });
    const small = join(root, "small.txt");
    writeFileSync(small, "x".repeat(2000));
    assert.deepEqual(await ingestFile(small, { maxBytes: 1000 }), [{ source: small, error: "file too large: 2.0 KiB (limit 1000 bytes)" }]);
  });

  it("reports missing paths and folders in one line", async () => {
    const missing = join(root, "nope.pdf");
    assert.deepEqual(await collect([missing]), [{ source: missing, error: "cannot read: no such file or directory" }]);
    assert.deepEqual(await ingestFile(root), [{ source: root, error: "not a regular file" }]);
  });

  it("trusts magic numbers over the extension, and sniffs files without a known extension", async () => {
    const pdfAsText = join(root, "really-a-pdf.txt");
    writeFileSync(pdfAsText, makePdf({ pages: [["Hidden PDF."]] }));
    assert.deepEqual(documents(await ingestFile(pdfAsText)).map((document) => document.format), ["pdf"]);
    const noExtension = join(root, "export");
    writeFileSync(noExtension, JSON.stringify({ ocid: "ocds-x", tender: { title: "Sniffed" } }));
    assert.deepEqual(documents(await ingestFile(noExtension)).map((document) => document.title), ["Sniffed"]);
    const unknown = join(root, "data.bin");
    writeFileSync(unknown, "plain words");
    assert.deepEqual(await ingestFile(unknown), [{ source: unknown, error: 'unknown file type ".bin": not PDF, DOCX, HTML, text, OCDS JSON or eForms XML' }]);
  });
});

describe("detectFormat", () => {
  const bytes = (text: string): Buffer => Buffer.from(text);
  it("decides by magic number, then extension, then first character", () => {
    assert.equal(detectFormat(bytes("%PDF-1.7 ..."), ".docx"), "pdf");
    assert.equal(detectFormat(Buffer.from([0x50, 0x4b, 0x03, 0x04]), ".pdf"), "docx");
    assert.equal(detectFormat(bytes("<ContractNotice/>"), ".xml"), "eforms");
    assert.equal(detectFormat(bytes('<?xml version="1.0"?>\n<!DOCTYPE html><html></html>'), ".xml"), "html");
    assert.equal(detectFormat(bytes("<ContractNotice/>"), ".html"), "html");
    assert.equal(detectFormat(bytes("<p>starts like markup</p>"), ".txt"), "text");
    assert.equal(detectFormat(bytes('  {"ocid": "x"}'), ""), "ocds");
    assert.equal(detectFormat(bytes("\uFEFF<html><body></body></html>"), ".dat"), "html");
    assert.equal(detectFormat(bytes("<ContractNotice/>"), ""), "eforms");
    assert.equal(detectFormat(bytes("<!-- generated -->\n<!-- twice --><HTML lang=en>"), ""), "html");
    assert.equal(detectFormat(bytes("words"), ""), undefined);
  });
});

describe("capCharacters", () => {
  const group = (key: string, text: string): SharedPassages => ({ key, passages: [{ text }], characters: text.length });

  it("review H2: counts each shared file once, whole, and leaves out the files that no longer fit", () => {
    const small = group("small.txt", "x".repeat(40));
    const large = group("large.txt", "y".repeat(60));
    const document: TenderDocument = {
      source: "package.json#a",
      format: "ocds",
      cpv: [],
      passages: [{ text: "z".repeat(30) }],
      shared: [
        { title: "Annex A", group: small },
        { title: "Annex B", group: large },
      ],
    };
    const capped = capCharacters(document, 100);
    assert.equal(capped.truncated, true);
    assert.deepEqual(capped.shared, [{ title: "Annex A", group: small }]);
    // The kept group is the same object, still shared with other tenders, not a cut copy.
    assert.equal(capped.shared[0]?.group, small);
    assert.equal(capCharacters(document, 130), document);
    const none = capCharacters({ ...document, passages: [{ text: "z".repeat(100) }] }, 100);
    assert.equal(none.truncated, true);
    assert.equal(none.shared, undefined);
  });
});
