import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow, TextRun, type IRunOptions } from "docx";
import { IngestError } from "./common.ts";
import { ingestDocx } from "./docx.ts";
import { makeZip } from "./fixtures/make-zip.ts";

const LIMITS = { maxUncompressedBytes: 200 * 1024 * 1024, maxPartBytes: 16 * 1024 * 1024 };
const MIB = 1024 * 1024;

// Typed on purpose: TextRun also takes a string, and String.prototype.bold would be the property the checker sees.
const BOLD_DNSSEC: IRunOptions = { text: "DNSSEC", bold: true };

function cell(text: string): TableCell {
  return new TableCell({ children: [new Paragraph(text)] });
}

async function tenderDocx(): Promise<Buffer> {
  const word = new Document({
    title: "Bestek beheer DNS",
    sections: [
      {
        children: [
          new Paragraph({ heading: HeadingLevel.TITLE, children: [new TextRun("Bestek beheer DNS")] }),
          new Paragraph({ children: [new TextRun("Inleiding.")] }),
          new Paragraph({ heading: HeadingLevel.HEADING_1, children: [new TextRun("3.2 Beveiliging")] }),
          new Paragraph({ children: [new TextRun("De leverancier ondertekent de zone met "), new TextRun(BOLD_DNSSEC), new TextRun(".")] }),
          new Table({
            rows: [
              new TableRow({ children: [cell("Eis"), cell("Norm")] }),
              new TableRow({ children: [cell("E-mail"), cell("DMARC")] }),
            ],
          }),
        ],
      },
    ],
  });
  return Packer.toBuffer(word);
}

async function failure(bytes: Uint8Array, maxUncompressedBytes = LIMITS.maxUncompressedBytes, maxPartBytes = LIMITS.maxPartBytes): Promise<string> {
  try {
    await ingestDocx(bytes, "x.docx", { maxUncompressedBytes, maxPartBytes });
  } catch (error) {
    assert.ok(error instanceof IngestError, `expected an IngestError, got ${String(error)}`);
    return error.message;
  }
  assert.fail("expected the DOCX to be refused");
}

describe("ingestDocx", () => {
  it("keeps headings as sections and table rows as passages", async () => {
    const document = await ingestDocx(await tenderDocx(), "bestek.docx", LIMITS);
    assert.equal(document.format, "docx");
    assert.equal(document.title, "Bestek beheer DNS");
    assert.deepEqual(document.passages, [
      { text: "Bestek beheer DNS", section: "Bestek beheer DNS" },
      { text: "Inleiding.", section: "Bestek beheer DNS" },
      { text: "3.2 Beveiliging", section: "3.2 Beveiliging" },
      { text: "De leverancier ondertekent de zone met DNSSEC.", section: "3.2 Beveiliging" },
      { text: "Eis | Norm", section: "3.2 Beveiliging", role: "table" },
      { text: "E-mail | DMARC", section: "3.2 Beveiliging", role: "table" },
    ]);
  });

  it("refuses encrypted and legacy Word files", async () => {
    const ole = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(504)]);
    assert.match(await failure(ole), /^encrypted or legacy Word file/);
  });

  it("refuses corrupt and truncated DOCX files", async () => {
    const good = await tenderDocx();
    assert.match(await failure(good.subarray(0, Math.floor(good.length / 2))), /^corrupt DOCX: /);
    assert.match(await failure(Buffer.from("not a zip at all")), /^corrupt DOCX: not a zip file/);
    // A valid zip without word/document.xml.
    assert.match(await failure(makeZip([{ name: "hello.txt", data: Buffer.from("hello") }])), /^corrupt DOCX: /);
    // Damaged compressed data inside an intact directory.
    const damaged = makeZip([{ name: "word/document.xml", data: Buffer.from("<w:document>".repeat(200)) }]);
    damaged.fill(0xff, 40, 60);
    assert.match(await failure(damaged), /^corrupt DOCX: /);
  });

  it("refuses a zip whose directory announces more than the limit, before unpacking", async () => {
    const bomb = makeZip([
      { name: "[Content_Types].xml", data: Buffer.from("<Types/>") },
      { name: "word/document.xml", data: Buffer.from("<w:document/>"), announcedSize: 4_000_000_000 },
    ]);
    assert.match(await failure(bomb), /^refused DOCX: .*zip bomb/);
  });

  it("refuses a real deflate bomb over a small limit", async () => {
    const bomb = makeZip([{ name: "word/document.xml", data: Buffer.alloc(3 * MIB) }]);
    assert.ok(bomb.length < 10_000);
    assert.match(await failure(bomb, MIB), /^refused DOCX: it would unpack to more than 1\.0 MiB/);
  });

  it("refuses an XML part over the per-part cap, announced or found while unpacking (finding 11)", async () => {
    // 52 MiB of paragraphs in 150 KB crashed the process in mammoth before the cap (the total cap is 200 MiB).
    const paragraphs = Buffer.from("<w:p><w:r><w:t>Filler text.</w:t></w:r></w:p>".repeat(Math.ceil((3 * MIB) / 43)));
    const honest = makeZip([{ name: "word/document.xml", data: paragraphs }]);
    assert.match(await failure(honest, LIMITS.maxUncompressedBytes, MIB), /^refused DOCX: word\/document\.xml unpacks to 3\.\d MiB \(limit 1\.0 MiB per part\)/);
    const hidden = makeZip([{ name: "word/document.xml", data: paragraphs, announcedSize: 1000 }]);
    assert.match(await failure(hidden, LIMITS.maxUncompressedBytes, MIB), /^refused DOCX: (word\/document\.xml unpacks to more than 1\.0 MiB|an entry unpacks to more bytes)/);
    // Media parts are never parsed, so only the total cap applies to them.
    const picture = makeZip([{ name: "word/media/image1.png", data: Buffer.alloc(3 * MIB) }]);
    assert.doesNotMatch(await failure(picture, LIMITS.maxUncompressedBytes, MIB), /per part/);
  });

  it("review M2: caps every part but media, whatever its name, and media that hold XML", async () => {
    const paragraphs = Buffer.from("<w:p><w:r><w:t>Filler text.</w:t></w:r></w:p>".repeat(Math.ceil((3 * MIB) / 43)));
    // mammoth finds the main part through a relationship: "word/main" without an extension escaped a cap on *.xml.
    const noExtension = makeZip([{ name: "word/main", data: paragraphs }]);
    assert.match(await failure(noExtension, LIMITS.maxUncompressedBytes, MIB), /^refused DOCX: word\/main unpacks to 3\.\d MiB \(limit 1\.0 MiB per part\)/);
    const hiddenNoExtension = makeZip([{ name: "word/main", data: paragraphs, announcedSize: 1000 }]);
    assert.match(await failure(hiddenNoExtension, LIMITS.maxUncompressedBytes, MIB), /^refused DOCX: (word\/main unpacks to more than 1\.0 MiB|an entry unpacks to more bytes)/);
    // A part named like a picture but holding XML is a part too.
    const disguised = makeZip([{ name: "word/media/image1.png", data: Buffer.concat([Buffer.from("\uFEFF  <?xml version=\"1.0\"?>"), paragraphs]) }]);
    assert.match(await failure(disguised, LIMITS.maxUncompressedBytes, MIB), /^refused DOCX: word\/media\/image1\.png unpacks to more than 1\.0 MiB \(limit 1\.0 MiB per part\)/);
  });

  it("refuses a zip whose entries inflate to more than their directory says", async () => {
    const liar = makeZip([{ name: "word/document.xml", data: Buffer.alloc(3 * MIB), announcedSize: 1000 }]);
    assert.match(await failure(liar), /^refused DOCX: an entry unpacks to more bytes than the zip directory announces/);
  });
});
