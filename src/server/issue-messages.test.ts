import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { validateDecisionMatrix } from "../observatory/decision.ts";
import { readCsv } from "../store/csv.ts";
import { ValidationError } from "../store/support.ts";
import { FIELD_MESSAGES, fieldMessage, institutionInput, institutionRow, policyInput, policyRow, userInput } from "../store/records.ts";
import { expandingDocx, flateBombPdf } from "../tenders/hostile-fixtures.ts";
import { ingestFileStream } from "../tenders/ingest/index.ts";
import { translator } from "./i18n.ts";
import { localizedIssue, localizedMessage, localizedTenderError } from "./issue-messages.ts";

describe("localizedIssue", () => {
  const fr = translator("fr");
  const es = translator("es");
  const en = translator("en");

  it("says every named store message in French and Spanish, and in English as the store does", () => {
    for (const message of Object.values(FIELD_MESSAGES)) {
      assert.equal(localizedIssue(message, en), message);
      assert.notEqual(localizedIssue(message, fr), message, `French for "${message}"`);
      assert.notEqual(localizedIssue(message, es), message, `Spanish for "${message}"`);
    }
  });

  it("carries the value of a message that has one", () => {
    assert.equal(localizedIssue(fieldMessage.tooLong(300), fr), "ne peut pas dépasser 300 caractères");
    assert.equal(localizedIssue(fieldMessage.unknownStandard("dnssec2"), es), "«dnssec2» no es una norma del catálogo");
    assert.equal(localizedIssue(fieldMessage.tooMany(50), en), fieldMessage.tooMany(50));
  });

  it("shows a message it does not know as the store wrote it", () => {
    assert.equal(localizedIssue("a check added later", fr), "a check added later");
  });

  it("knows what the store's schemas really say", () => {
    const institution = institutionInput.safeParse({ name: " ", kind: "government", region: "15" });
    const policy = policyInput.safeParse({ institutionId: "x", title: "T", type: "policy", status: "in-force", adoptedOn: "2026-02-30", sourceUrl: "ftp://x" });
    const messages = [...(institution.error?.issues ?? []), ...(policy.error?.issues ?? [])].map((issue) => issue.message);
    assert.ok(messages.length >= 4, messages.join(" | "));
    for (const message of messages) assert.notEqual(localizedIssue(message, fr), message, `French for "${message}"`);
  });

  it("finding 10: translates every message the store's and the decision matrix's schemas give for wrong values of every kind, in French and Spanish", () => {
    // Each field given a value of each wrong kind, as a hostile or broken import file would.
    const wrongValues: unknown[] = [undefined, null, 42, true, "", " ", "ministry", "XX", "a\u0000b", "x".repeat(20_001), ["list"], { an: "object" }, [42]];
    const messages = new Set<string>();
    const collect = (result: { success: boolean; error?: { issues: { message: string }[] } }): void => {
      for (const issue of result.error?.issues ?? []) messages.add(issue.message);
    };
    const shapes = [
      [institutionRow, { name: "N", kind: "government", region: "150" }],
      [policyRow, { institutionId: "i", title: "T", type: "policy", status: "in-force" }],
      [userInput, { email: "a@example.org", name: "A", role: "editor", passwordHash: "h" }],
    ] as const;
    for (const [schema, valid] of shapes) {
      for (const field of Object.keys(schema.shape)) for (const value of wrongValues) collect(schema.safeParse({ ...valid, [field]: value }));
      collect(schema.safeParse({ ...valid, colour: "red" }));
      collect(schema.safeParse("not an object"));
    }
    const matrix = {
      name: "m",
      criteria: [{ id: "a", name: "A" }, { id: "b", name: "B" }],
      weighting: { mode: "pairwise", comparisons: [{ a: "a", b: "b", value: 3 }] },
      alternatives: [{ id: "x", name: "X" }],
      scores: { x: { a: 1, b: 1 } },
    };
    const decisionMessages = (input: unknown): string[] => {
      const result = validateDecisionMatrix(input);
      return result.ok ? [] : result.issues.map((issue) => issue.message);
    };
    for (const field of Object.keys(matrix)) for (const value of wrongValues) for (const message of decisionMessages({ ...matrix, [field]: value })) messages.add(message);
    for (const input of [
      { ...matrix, criteria: [{ id: "a", name: "A" }, { id: "a", name: "B" }, { id: "__proto__", name: "P" }] },
      { ...matrix, weighting: { mode: "pairwise", comparisons: [{ a: "a", b: "a", value: 3 }, { a: "a", b: "z", value: 10 }, { a: "b", b: "a", value: 0.01 }, { a: "a", b: "b", value: -1 }] } },
      { ...matrix, weighting: { mode: "direct", weights: { a: 0, z: -1 } }, alternatives: [{ id: "x", name: "X" }, { id: "x", name: "Y" }], scores: { y: { a: 1 }, x: { q: 1 } } },
      { ...matrix, weighting: { mode: "direct", weights: { a: 0, b: 0 } } },
      { ...matrix, criteria: Array.from({ length: 16 }, (_, index) => ({ id: `c${index}`, name: "C" })) },
      { ...matrix, criteria: Array.from({ length: 51 }, (_, index) => ({ id: `c${index}`, name: "C" })), alternatives: Array.from({ length: 1001 }, () => ({})) },
    ]) {
      for (const message of decisionMessages(input)) messages.add(message);
    }
    assert.ok(messages.size >= 30, `only ${messages.size} distinct messages: ${[...messages].join(" | ")}`);
    for (const message of messages) {
      assert.doesNotMatch(message, /^Invalid|^Too (big|small)|^Unrecognized/, `zod's own English message "${message}" reaches the page`);
      assert.notEqual(localizedIssue(message, fr), message, `French for "${message}"`);
      assert.notEqual(localizedIssue(message, es), message, `Spanish for "${message}"`);
    }
  });

  it("finding 10: says an unknown option in the visitor's language, not zod's \"Invalid option: expected one of\"", () => {
    const message = institutionInput.safeParse({ name: "N", kind: "ministry", region: "150" }).error?.issues[0]?.message ?? "";
    assert.match(message, /^must be one of government, /);
    assert.match(localizedIssue(message, fr), /^doit être l'une des valeurs government, /);
    assert.match(localizedIssue(message, es), /^debe ser uno de estos valores: government, /);
  });

  it("finding 10: translates what the CSV reader says of a file or a row, in French and Spanish", () => {
    const messages = new Set<string>();
    const files: (string | Uint8Array)[] = [
      new Uint8Array([0xff, 0xfe, 0x41]),
      "a\u0000b\u0000c\u0000",
      "  ",
      'name,kind,region\n"unclosed',
      "colour,size\nred,1",
      "name,,kind,kind,colour\nx,y,z,w,v",
      "id,name,kind,region,globalSouth\nx,X,academia,150,maybe\ny,Y,academia\n",
      "institutionId,title,type,status,standards\ni,T,policy,in-force,[oops\n",
    ];
    for (const file of files) {
      try {
        for (const row of readCsv(file).rows) if ("error" in row) for (const part of row.error.split("; ")) messages.add(part.includes(": ") ? part.slice(part.indexOf(": ") + 2) : part);
      } catch (error) {
        assert.ok(error instanceof ValidationError, String(error));
        for (const issue of error.issues) messages.add(issue.message);
      }
    }
    assert.ok(messages.size >= 10, [...messages].join(" | "));
    for (const message of messages) {
      assert.notEqual(localizedIssue(message, fr), message, `French for "${message}"`);
      assert.notEqual(localizedIssue(message, es), message, `Spanish for "${message}"`);
    }
  });

  it("translates each part of an import report's one-line message, keeping the field paths", () => {
    assert.equal(
      localizedMessage(`title: ${FIELD_MESSAGES.notEmpty}; standards: ${fieldMessage.unknownStandard("x")}`, fr),
      "title: ne doit pas être vide; standards: « x » n'est pas une norme du catalogue",
    );
  });
});

describe("localizedTenderError (review L8, finding 10: the policy pre-fill's errors)", () => {
  const fr = translator("fr");
  const es = translator("es");
  const en = translator("en");

  /** The failure message the tender reader really gives for a file, read in this process (no worker needed). */
  async function readerError(dir: string, name: string, content?: Buffer | string): Promise<string> {
    const path = join(dir, name);
    if (content !== undefined) writeFileSync(path, content);
    for await (const item of ingestFileStream(path)) if ("error" in item) return item.error;
    throw new Error(`${name}: the reader gave no error`);
  }

  it("translates the reader's real failures into French and Spanish, and keeps its English (finding 10, review L8)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "baseline-l8-"));
    try {
      // Bombs just past the reader's 16 MiB part and stream limits: refused from the zip directory or the stream scan.
      expandingDocx(dir, "f.docx", 17 * 1024 * 1024);
      flateBombPdf(dir, "g.pdf", 17 * 1024 * 1024);
      const messages = [
        await readerError(dir, "a.pdf", "not a PDF at all"),
        await readerError(dir, "b.pdf", "%PDF-1.4\nthe rest is not a PDF\n"),
        await readerError(dir, "c.docx", "not a zip"),
        await readerError(dir, "d.docx", Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0])),
        await readerError(dir, "e.txt", Buffer.alloc(4096, 0)),
        await readerError(dir, "missing.txt"),
        // Bombs just past the reader's 16 MiB part and stream limits: refused from the zip directory or the stream scan.
        await readerError(dir, "f.docx"),
        await readerError(dir, "g.pdf"),
      ];
      for (const message of messages) {
        assert.equal(localizedTenderError(message, en), message);
        assert.notEqual(localizedTenderError(message, fr), message, `French for "${message}"`);
        assert.notEqual(localizedTenderError(message, es), message, `Spanish for "${message}"`);
      }
      assert.equal(localizedTenderError("corrupt DOCX: not a zip file", fr), "DOCX endommagé : ce n'est pas un fichier zip");
      assert.match(localizedTenderError(messages[6] ?? "", fr), /^DOCX refusé : word\/document\.xml se décompresse en 17\.0 MiB \(limite 16\.0 MiB par partie\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("translates the reader pool's stop reasons, carrying their values (finding 10, review L8)", () => {
    // As tenders/worker/pool.ts words them (a worker stopped at a limit cannot be made cheaply in a unit test).
    assert.equal(localizedTenderError("reading it took longer than 10 s without progress; stopped", fr), "sa lecture a duré plus de 10 s sans progresser ; arrêtée");
    assert.equal(localizedTenderError("reading it took longer than 120 s; stopped", es), "su lectura tardó más de 120 s; detenida");
    assert.equal(localizedTenderError("reading it needed more than 512 MiB of memory; stopped", fr), "sa lecture demandait plus de 512 Mio de mémoire ; arrêtée");
    assert.equal(localizedTenderError("reading it used more than 1.2 GiB of memory; stopped", es), "su lectura usó más de 1.2 GiB de memoria; detenida");
    assert.equal(localizedTenderError("corrupt PDF: page 3 cannot be read: bad XRef", fr), "PDF endommagé : la page 3 ne peut pas être lue : bad XRef");
    assert.equal(localizedTenderError("refused DOCX: word/document.xml unpacks to more than 16 MiB (limit 16 MiB per part), possibly a zip bomb", es), "DOCX rechazado: word/document.xml se descomprime en más de 16 MiB (límite 16 MiB por parte), posiblemente una bomba zip");
  });

  it("shows a failure of a shape it does not know as the reader wrote it", () => {
    assert.equal(localizedTenderError("a reader message added later", fr), "a reader message added later");
  });
});
