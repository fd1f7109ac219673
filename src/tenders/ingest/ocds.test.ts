import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { IngestFailure, TenderDocument } from "../types.ts";
import { IngestError } from "./common.ts";
import { firstErrorOffset, lineAndColumn } from "./json-position.ts";
import { criterionRole, fileNameOf, ingestOcds, type OcdsOptions } from "./ocds.ts";
import { ingestText } from "./text.ts";

const PACKAGE = readFileSync(new URL("fixtures/release-package.json", import.meta.url));

async function refusal(json: string, options: OcdsOptions = {}): Promise<string> {
  try {
    await ingestOcds(Buffer.from(json), "x.json", options);
  } catch (error) {
    assert.ok(error instanceof IngestError, `expected an IngestError, got ${String(error)}`);
    return error.message;
  }
  assert.fail("expected the JSON to be refused");
}

async function only(json: unknown, options: OcdsOptions = {}): Promise<TenderDocument[]> {
  const text = typeof json === "string" ? json : JSON.stringify(json);
  return (await ingestOcds(Buffer.from(text), "p.json", options)).documents;
}

describe("ingestOcds on a release package", async () => {
  const { documents, failures } = await ingestOcds(PACKAGE, "package.json");
  const [hosting, furniture] = documents;

  it("makes one document per tender, the latest release of each ocid, skipping releases without a tender", () => {
    assert.deepEqual(documents.map((document) => document.source), ["package.json#ocds-abc123-2025-0001", "package.json#ocds-abc123-2025-0002"]);
    assert.equal(hosting?.title, "Hosting of websites");
    assert.deepEqual(failures, []);
  });

  it("reads buyer, date, language and CPV codes without check digits, ignoring other schemes", () => {
    assert.equal(hosting?.authority, "Municipality of Exampletown");
    assert.equal(hosting.publishedAt, "2025-03-10");
    assert.equal(hosting.declaredLanguage, "en");
    assert.deepEqual(hosting.cpv, ["72415000", "72410000"]);
    assert.deepEqual(furniture?.cpv, ["39130000"]);
    assert.equal(furniture.format, "ocds");
  });

  it("gives criteria, award details and eligibility their roles", () => {
    const roles = new Map(hosting?.passages.map((passage) => [passage.text, passage.role]));
    assert.equal(roles.get("HTTPS and HSTS: All websites are served over HTTPS with HSTS."), "requirement");
    assert.equal(roles.get("security.txt: A security.txt file is published on every website."), "award-criterion");
    assert.equal(roles.get("Information security management: The tenderer holds an ISO/IEC 27001 certificate."), "selection-criterion");
    assert.equal(roles.get("Support for DNSSEC on all domains earns 10 extra points."), "award-criterion");
    assert.equal(roles.get("Tenderers must not be in bankruptcy."), "requirement");
    assert.equal(roles.get("Hosting of websites"), "title");
    assert.equal(roles.get("The platform must be reachable over IPv6."), "description");
    const document = hosting?.passages.find((passage) => passage.text.startsWith("Technical security requirements"));
    assert.equal(document?.section, "tender.documents: Annex B - Security requirements");
  });
});

describe("ingestOcds with a document root", () => {
  const root = mkdtempSync(join(tmpdir(), "ocds-root-"));
  after(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(join(root, "annex-security.txt"), "ANNEX B\n\n1. The platform supports TLS 1.3.\n");
  const read = (path: string): Promise<(TenderDocument | IngestFailure)[]> => Promise.resolve([ingestText(readFileSync(path), path)]);

  it("shares the passages of referenced files found by name, with the document's title beside them", async () => {
    const { documents } = await ingestOcds(PACKAGE, "package.json", { documentRoot: root, readAttachment: read });
    const citation = documents[0]?.shared?.find(({ title }) => title === "Annex B - Security requirements");
    assert.deepEqual(citation?.group.passages, [
      { text: "ANNEX B", section: "ANNEX B" },
      { text: "1. The platform supports TLS 1.3.", section: "ANNEX B" },
    ]);
    assert.equal(citation.group.characters, "ANNEX B".length + "1. The platform supports TLS 1.3.".length);
  });

  it("reports a referenced file that cannot be read, and still yields the tender", async () => {
    const failing = (path: string): Promise<(TenderDocument | IngestFailure)[]> => Promise.resolve([{ source: path, error: "not a text file" }]);
    const { documents, failures } = await ingestOcds(PACKAGE, "package.json", { documentRoot: root, readAttachment: failing });
    assert.equal(documents.length, 2);
    assert.deepEqual(failures, [{ source: join(root, "annex-security.txt"), error: "not a text file" }]);
  });
});

describe("ingestOcds on other OCDS shapes", () => {
  const release = (ocid: string, title: string, date = "2025-01-01T00:00:00Z"): Record<string, unknown> => ({ ocid, date, tender: { title } });

  it("reads record packages: the compiled release, or else the last release with a tender", async () => {
    const documents = await only({
      records: [
        { ocid: "ocds-1", compiledRelease: release("ocds-1", "compiled"), releases: [release("ocds-1", "old")] },
        { ocid: "ocds-2", releases: [release("ocds-2", "first"), release("ocds-2", "second"), { ocid: "ocds-2", date: "2025-02-01", awards: [] }] },
      ],
    });
    assert.deepEqual(documents.map((document) => document.title), ["compiled", "second"]);
  });

  it("reads a single release, a single record and an array of releases", async () => {
    assert.equal((await only(release("ocds-9", "single")))[0]?.title, "single");
    assert.equal((await only({ ocid: "ocds-8", compiledRelease: release("ocds-8", "record") }))[0]?.title, "record");
    assert.deepEqual((await only([release("a", "one"), release("b", "two")])).map((document) => document.source), ["p.json#a", "p.json#b"]);
  });

  it("reads JSON Lines, by extension or by content", async () => {
    const lines = `${JSON.stringify(release("l-1", "line one"))}\n\n${JSON.stringify({ releases: [release("l-2", "line two")] })}\n`;
    assert.deepEqual((await only(lines)).map((document) => document.title), ["line one", "line two"]);
    assert.deepEqual((await only(JSON.stringify(release("l-3", "alone")), { jsonLines: true })).map((document) => document.title), ["alone"]);
    assert.match(await refusal(`${JSON.stringify(release("l-1", "ok"))}\n{"ocid": "l-2", }\n`), /^invalid JSON Lines at line 2, column 17: Expected double-quoted property name$/);
  });

  it("names the line and column where invalid JSON breaks", async () => {
    assert.match(await refusal('{\n  "releases": [\n    {"ocid": "x",}\n  ]\n}'), /^invalid JSON at line 3, column 18: /);
    assert.match(await refusal('{\n  "releases": [1, 2,]\n}'), /^invalid JSON at line 2, column 21: Unexpected token ']'$/);
    assert.equal(await refusal('{"releases": ['), "invalid JSON at line 1, column 15: Unexpected end of JSON input");
    assert.match(await refusal("{\n  'single': 'quotes'\n}"), /^invalid JSON at line 2, column 3: /);
  });

  it("refuses JSON that is not OCDS, and OCDS without any tender", async () => {
    assert.equal(await refusal('{"labels": {"a": 1}}'), "not an OCDS release or record package (no releases, records or ocid)");
    assert.equal(await refusal("[1, 2]"), "not an OCDS release or record package (no releases, records or ocid)");
    assert.match(await refusal('{"releases": [{"ocid": "x", "awards": []}]}'), /holds no tender/);
  });

  it("treats fields of the wrong type as absent", async () => {
    const [document] = await only({ ocid: "w", buyer: "not an object", tender: { title: 42, items: "none", criteria: [null, 3], classification: { scheme: "CPV", id: 72415000 } } });
    assert.equal(document?.title, undefined);
    assert.deepEqual(document?.passages, []);
    assert.deepEqual(document.cpv, ["72415000"]);
  });
});

describe("criterionRole", () => {
  it("follows classifications, relatesToTenderer and pass marks", () => {
    assert.equal(criterionRole({ classification: { id: "CRITERION.SELECTION.TECHNICAL_PROFESSIONAL_ABILITY" } }), "selection-criterion");
    assert.equal(criterionRole({ classification: { id: "CRITERION.EXCLUSION.CONVICTIONS" } }), "requirement");
    assert.equal(criterionRole({ type: "award" }), "award-criterion");
    assert.equal(criterionRole({ relatesToTenderer: true }), "selection-criterion");
    assert.equal(criterionRole({ requirementGroups: [{ requirements: [{ dataType: "integer", minValue: 36 }] }] }), "requirement");
    assert.equal(criterionRole({ requirementGroups: [{ requirements: [{ dataType: "boolean" }] }, { requirements: [{ dataType: "string" }] }] }), "award-criterion");
    assert.equal(criterionRole({}), "requirement");
  });
});

describe("fileNameOf", () => {
  it("takes the decoded last segment and refuses names that could leave the root", () => {
    assert.equal(fileNameOf("https://example.org/a/Annex%20B.pdf?x=1#p2"), "Annex B.pdf");
    assert.equal(fileNameOf("docs\\bestek.docx"), "bestek.docx");
    assert.equal(fileNameOf("https://example.org/a/..%2F..%2Fetc%2Fpasswd"), undefined);
    assert.equal(fileNameOf("https://example.org/a/.."), undefined);
    assert.equal(fileNameOf("https://example.org/"), undefined);
    assert.equal(fileNameOf(undefined), undefined);
  });
});

describe("json-position", () => {
  it("finds the first invalid character and its line and column", () => {
    assert.equal(firstErrorOffset('{"a": [1, 2,]}'), 12);
    assert.equal(firstErrorOffset('{"a": tru}'), 6);
    assert.equal(firstErrorOffset('{"a": "x\ny"}'), 8);
    // Unclosed at any depth: the error is where the input ends, not at a depth limit (finding 17).
    assert.equal(firstErrorOffset("[".repeat(10_000)), 10_000);
    const deep = `${'{"a":['.repeat(600)}1,]${"]}".repeat(600)}`;
    assert.equal(firstErrorOffset(deep), 600 * 6 + 2);
    assert.equal(firstErrorOffset(`${"[".repeat(600)}1${"]".repeat(600)}`), 1201);
    assert.deepEqual(lineAndColumn("ab\ncd\nef", 7), { line: 3, column: 2 });
  });
});
