// `baseline tender analyze` and `baseline tender monitor` as a user runs them,
// on a folder with good and bad documents: the batch goes on, bad documents
// get one line each on stderr, and the exit code says that some failed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../bin/baseline.js", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "baseline-tender-"));
after(() => rmSync(work, { recursive: true, force: true }));

const tenders = join(work, "tenders");
mkdirSync(tenders);
writeFileSync(join(tenders, "a-website.txt"), "Hosting of the municipal website\nContracting authority: Gemeente Voorbeeld\nCPV 72415000-2\n\n1. Requirements\nThe supplier shall sign the domain with DNSSEC and serve every page over HTTPS with HSTS.\nIPv6 is not required for this lot.\nDocuments: https://www.tenderned.nl/aankondiging/1\n");
writeFileSync(join(tenders, "b-meubilair.txt"), "Levering van kantoormeubilair\nCPV 39130000-2\nDe stoelen moeten voldoen aan NEN-EN 1335.\n");
writeFileSync(join(tenders, "c-broken.pdf"), "%PDF-1.7\nthis is not a PDF at all");
writeFileSync(join(tenders, "d-binary.txt"), Buffer.from([0, 1, 2, 3, 0, 255, 254, 0, 0, 0]));

function baseline(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd: work });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("baseline tender analyze", () => {
  it("prints one JSON object per readable document and reports the others", () => {
    const result = baseline("tender", "analyze", tenders, "--json");
    assert.equal(result.status, 1, "some documents failed");
    const lines = result.stdout.trim().split("\n").map((line) => JSON.parse(line) as { source: string; language: string; categories: string[]; relevant: string[]; requested: { standard: string; level: string; evidence: { quote: string }[] }[]; missing: string[]; coverage: number | null });
    assert.equal(lines.length, 2);
    const website = lines.find((line) => line.source.endsWith("a-website.txt"));
    assert.ok(website);
    assert.equal(website.language, "en");
    assert.deepEqual(website.categories, ["web-hosting"]);
    assert.deepEqual(website.requested.map((entry) => `${entry.standard}:${entry.level}`), ["dnssec:required", "hsts:required", "https:required"]);
    assert.ok(website.missing.includes("ipv6"));
    assert.ok(website.requested[0]?.evidence[0]?.quote.includes("DNSSEC"));
    const furniture = lines.find((line) => line.source.endsWith("b-meubilair.txt"));
    assert.deepEqual(furniture?.relevant, []);
    assert.equal(furniture.coverage, null);
    const errors = result.stderr.trim().split("\n");
    assert.ok(errors.some((line) => /^baseline: .*c-broken\.pdf: .+/.test(line)), result.stderr);
    assert.ok(errors.some((line) => /^baseline: .*d-binary\.txt: .*not a text file/.test(line)), result.stderr);
    assert.match(result.stderr, /2 documents could not be read/);
  });

  it("prints a readable report", () => {
    const result = baseline("tender", "analyze", join(tenders, "a-website.txt"));
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /requested: dnssec \(required\), hsts \(required\), https \(required\)/);
    assert.match(result.stdout, /not counted: ipv6, negated/);
  });

  it("review M4: escapes control characters, escape sequences and bidi overrides from the document in the readable report", () => {
    const hostile = join(work, "escapes.json");
    writeFileSync(
      hostile,
      JSON.stringify({
        releases: [
          {
            ocid: "o\nbaseline: forged.pdf: encrypted PDF",
            tag: ["tender"],
            buyer: { name: "B" },
            tender: {
              title: "Hosting \u001b[2J\u001b[31mRED \u202egnp.exe",
              classification: { scheme: "CPV", id: "72415000" },
              description: "The supplier shall use DNSSEC \u001b]0;pwned\u0007 now. IPv6 is not \u009b31mrequired.",
            },
          },
        ],
      }),
    );
    const result = baseline("tender", "analyze", hostile);
    assert.equal(result.status, 0, result.stderr);
    // eslint-disable-next-line no-control-regex -- the test looks for exactly these characters
    assert.doesNotMatch(result.stdout, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    assert.ok(!result.stdout.split("\n").some((line) => line.startsWith("baseline: ")), "a document forged a line");
    assert.match(result.stdout, /title: {5}Hosting \\x1b\[2J\\x1b\[31mRED \\u202egnp\.exe/);
    assert.match(result.stdout, /"The supplier shall use DNSSEC \\x1b\]0;pwned\\x07 now\."/);
    assert.match(result.stdout, /escapes\.json#o\\nbaseline: forged\.pdf/);
  });

  it("reports a path that does not exist and exits 1", () => {
    const result = baseline("tender", "analyze", join(work, "nowhere.txt"));
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^baseline: .*nowhere\.txt: /);
  });
});

describe("baseline tender monitor", () => {
  it("writes the HTML report and a feedback letter per tender", () => {
    const report = join(work, "monitor.html");
    const letters = join(work, "letters");
    const result = baseline("tender", "monitor", tenders, "--html", "-o", report, "--letters", letters);
    assert.equal(result.status, 1, "two documents could not be read");
    const html = readFileSync(report, "utf8");
    assert.match(html, /^<!doctype html>/i);
    assert.match(html, /<svg/);
    assert.equal(readdirSync(letters).length, 2);
    const letter = readFileSync(join(letters, readdirSync(letters).sort()[0] ?? ""), "utf8");
    assert.match(letter, /IPv6/);
  });

  it("prints the figures as JSON and as text", () => {
    const json = JSON.parse(baseline("tender", "monitor", join(tenders, "a-website.txt"), "--json").stdout) as { totals: { tenders: number; requestedPairs: number; relevantPairs: number } };
    assert.equal(json.totals.tenders, 1);
    assert.equal(json.totals.requestedPairs, 3);
    const text = baseline("tender", "monitor", join(tenders, "a-website.txt")).stdout;
    assert.match(text, /relevant standards requested: 3 of \d+/);
  });
});
