import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compressedPdf, DISGUISED_BOMBS, disguisedBombPdf, flateBombPdf } from "../hostile-fixtures.ts";
import { IngestError } from "./common.ts";
import { makePdf } from "./fixtures/make-pdf.ts";
import { decodeBudgetActive } from "./pdf-decode-budget.ts";
import { dropRunningLines, ingestPdf, layoutLines } from "./pdf.ts";

const LIMITS = { maxPages: 2000 };

async function failure(bytes: Uint8Array, maxPages = 2000): Promise<string> {
  try {
    await ingestPdf(bytes, "x.pdf", { maxPages });
  } catch (error) {
    assert.ok(error instanceof IngestError, `expected an IngestError, got ${String(error)}`);
    return error.message;
  }
  assert.fail("expected the PDF to be refused");
}

describe("ingestPdf", () => {
  it("keeps page numbers, paragraphs and sections across pages", async () => {
    const bytes = makePdf({
      title: "Programme of requirements",
      lang: "nl-NL",
      pages: [
        ["1. Introduction", "The municipality buys hosting.", "", "3.2 Security", "The supplier signs the zone", "with DNSSEC."],
        ["Mail is protected with DMARC.", "", "4 Availability", "Uptime is 99.9 percent."],
      ],
    });
    const document = await ingestPdf(bytes, "t.pdf", LIMITS);
    assert.equal(document.format, "pdf");
    assert.equal(document.pages, 2);
    assert.equal(document.truncated, undefined);
    assert.equal(document.title, "Programme of requirements");
    assert.equal(document.declaredLanguage, "nl-NL");
    assert.deepEqual(document.passages, [
      { text: "1. Introduction", section: "1. Introduction", page: 1 },
      { text: "The municipality buys hosting.", section: "1. Introduction", page: 1 },
      { text: "3.2 Security", section: "3.2 Security", page: 1 },
      { text: "The supplier signs the zone with DNSSEC.", section: "3.2 Security", page: 1 },
      { text: "Mail is protected with DMARC.", section: "3.2 Security", page: 2 },
      { text: "4 Availability", section: "4 Availability", page: 2 },
      { text: "Uptime is 99.9 percent.", section: "4 Availability", page: 2 },
    ]);
  });

  it("stops at maxPages and marks the document truncated", async () => {
    const bytes = makePdf({ pages: Array.from({ length: 7 }, (_, index) => [`Text of page ${index + 1}.`]) });
    const document = await ingestPdf(bytes, "long.pdf", { maxPages: 3 });
    assert.equal(document.pages, 7);
    assert.equal(document.truncated, true);
    assert.deepEqual(document.passages.map((passage) => passage.page), [1, 2, 3]);
  });

  it("drops running headers and footers so that sections carry over pages", async () => {
    const pages = [1, 2, 3, 4].map((number) => ["MUNICIPALITY OF EXAMPLETOWN", "", number === 2 ? "5 Mail" : `Body text of page ${number}.`, "", `Page ${number} of 4`]);
    const document = await ingestPdf(makePdf({ pages }), "running.pdf", LIMITS);
    assert.deepEqual(
      document.passages.map((passage) => `${passage.page ?? 0} ${passage.section ?? "-"} ${passage.text}`),
      ["1 - Body text of page 1.", "2 5 Mail 5 Mail", "3 5 Mail Body text of page 3.", "4 5 Mail Body text of page 4."],
    );
  });

  it("refuses an encrypted PDF", async () => {
    assert.match(await failure(makePdf({ pages: [["secret"]], encrypted: true })), /^encrypted PDF/);
  });

  it("refuses corrupt and truncated PDFs", async () => {
    const good = makePdf({ pages: [["one"], ["two"], ["three"]] });
    assert.match(await failure(good.subarray(0, Math.floor(good.length / 2))), /^corrupt PDF: /);
    assert.match(await failure(Buffer.from("%PDF-1.7\nthis is not a PDF body at all")), /^corrupt PDF: /);
    assert.match(await failure(Buffer.from("<html>not a pdf</html>")), /^corrupt PDF: no %PDF- header/);
  });

  it("refuses a PDF without text rather than reporting nothing requested", async () => {
    assert.match(await failure(makePdf({ pages: [[], []] })), /no extractable text/);
  });

  it("keeps the text of pages that all repeat the same lines (finding 17)", async () => {
    const lines = ["Hosting of the municipal website", "The supplier shall sign the zone with DNSSEC."];
    const document = await ingestPdf(makePdf({ pages: Array.from({ length: 6 }, () => lines) }), "form.pdf", LIMITS);
    assert.ok(document.passages.some((passage) => passage.text.includes("DNSSEC")));
  });

  it("refuses a FlateDecode bomb before pdf.js inflates it (finding 14)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pdf-bomb-"));
    try {
      const bomb = readFileSync(flateBombPdf(dir, "bomb.pdf", 64 * 1024 * 1024));
      assert.ok(bomb.length < 200_000);
      const budget = { maxPages: 2000, maxPartBytes: 16 * 1024 * 1024, maxUncompressedBytes: 200 * 1024 * 1024 };
      await assert.rejects(ingestPdf(bomb, "bomb.pdf", budget), /^IngestError: refused PDF: a compressed stream unpacks to more than 16\.0 MiB/);
      const honest = readFileSync(compressedPdf(dir, "good.pdf", 20));
      assert.ok((await ingestPdf(honest, "good.pdf", budget)).passages.some((passage) => passage.text.includes("DNSSEC")));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("review M1: counts what pdf.js decodes, whatever the filter or its spelling, per stream and in total", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pdf-disguised-"));
    try {
      const budget = { maxPages: 2000, maxPartBytes: 1024 * 1024, maxUncompressedBytes: 200 * 1024 * 1024 };
      for (const variant of DISGUISED_BOMBS) {
        const bomb = readFileSync(disguisedBombPdf(dir, `${variant}.pdf`, variant, 2 * 1024 * 1024));
        await assert.rejects(ingestPdf(bomb, `${variant}.pdf`, budget), /^IngestError: refused PDF: a compressed stream unpacks to more than 1\.0 MiB \(limit per stream\)/, variant);
      }
      // The patch of unpdf's pdf.js bundle is in place (a new unpdf that no longer matches fails here).
      assert.equal(decodeBudgetActive(), true);
      const total = readFileSync(disguisedBombPdf(dir, "total.pdf", "lzw", 2 * 1024 * 1024));
      await assert.rejects(ingestPdf(total, "total.pdf", { maxPages: 2000, maxPartBytes: 16 * 1024 * 1024, maxUncompressedBytes: 1024 * 1024 }), /^IngestError: refused PDF: its compressed streams unpack to more than 1\.0 MiB/);
      const honest = readFileSync(compressedPdf(dir, "good.pdf", 20));
      assert.ok((await ingestPdf(honest, "good.pdf", budget)).passages.some((passage) => passage.text.includes("DNSSEC")));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("layoutLines", () => {
  it("breaks paragraphs at wide gaps and at jumps up the page", () => {
    const line = (str: string, y: number): { str: string; y: number; height: number; hasEOL: boolean } => ({ str, y, height: 10, hasEOL: true });
    const lines = layoutLines([line("a", 700), line("b", 686), line("c", 672), line("d", 640), line("e", 626), line("f", 750)]);
    assert.deepEqual(lines, ["a", "b", "c", "", "d", "e", "", "f"]);
  });

  it("keeps lines that recur on few pages or away from the page edges", () => {
    const pages = [
      ["Title", "a", "b", "c", "d", "Page 1 of 3"],
      ["Title", "x", "y", "z", "w", "Page 2 of 3"],
      ["q", "r", "Title", "s", "t", "Page 3 of 3"],
    ];
    assert.deepEqual(dropRunningLines(pages), [
      ["Title", "a", "b", "c", "d"],
      ["Title", "x", "y", "z", "w"],
      ["q", "r", "Title", "s", "t"],
    ]);
    const numbered = [1, 2, 3].map((number) => [`a${number}`, `b${number}`, `c${number}`, `- ${number} -`]);
    assert.deepEqual(dropRunningLines(numbered), [1, 2, 3].map((number) => [`a${number}`, `b${number}`, `c${number}`]));
    assert.deepEqual(dropRunningLines(pages.slice(0, 2)), pages.slice(0, 2));
  });

  it("joins items on one baseline into one line", () => {
    const lines = layoutLines([
      { str: "DNS", y: 700, height: 10, hasEOL: false },
      { str: "SEC", y: 700, height: 10, hasEOL: true },
      { str: "next", y: 686, height: 10, hasEOL: false },
    ]);
    assert.deepEqual(lines, ["DNSSEC", "next"]);
  });
});
