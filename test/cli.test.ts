// The `baseline` command as a user runs it: real processes, real files,
// exit codes and the one-line errors of interfaces.md §2.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../bin/baseline.js", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "baseline-cli-"));
after(() => rmSync(work, { recursive: true, force: true }));

function baseline(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", cwd: work });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A usage error: exit 2, nothing on stdout, exactly one line on stderr. */
function assertUsageError(result: ReturnType<typeof baseline>, pattern: RegExp): void {
  assert.equal(result.status, 2, result.stderr);
  assert.equal(result.stdout, "");
  assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
  assert.match(result.stderr.trimEnd(), pattern);
}

describe("baseline standards and categories", () => {
  it("lists the standards, as text and as JSON", () => {
    const text = baseline("standards");
    assert.equal(text.status, 0);
    assert.match(text.stdout, /^dnssec +DNSSEC: Domain Name System Security Extensions$/m);
    const json = JSON.parse(baseline("standards", "--json").stdout) as { standards: { id: string }[] };
    assert.ok(json.standards.length >= 27);
    assert.ok(json.standards.some((standard) => standard.id === "security-txt"));
  });

  it("shows one standard", () => {
    const shown = baseline("standards", "show", "dnssec", "--lang", "fr");
    assert.equal(shown.status, 0);
    assert.match(shown.stdout, /RFC 4033 \(IETF\)/);
    assert.match(shown.stdout, /Le fournisseur signe avec DNSSEC/);
    const json = JSON.parse(baseline("standards", "show", "dnssec", "--json").stdout) as { id: string; clause: { mandatory: { nl: string } } };
    assert.equal(json.id, "dnssec");
    assert.match(json.clause.mandatory.nl, /^De leverancier/);
  });

  it("lists the categories", () => {
    const json = JSON.parse(baseline("categories", "--json").stdout) as { categories: { id: string; cpv: string[] }[] };
    assert.ok(json.categories.find((category) => category.id === "web-hosting")?.cpv.includes("72415000-2"));
    assert.match(baseline("categories").stdout, /^web-hosting: /m);
  });
});

describe("baseline requirements", () => {
  it("writes Markdown to stdout by default", () => {
    const result = baseline("requirements", "--category", "web-hosting");
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^# Annex: /);
    assert.match(result.stdout, /^### R1\. /m);
  });

  it("writes each format to a file, choosing it from the extension", () => {
    for (const extension of ["md", "html", "docx", "json"]) {
      const file = join(work, `annex.${extension}`);
      const result = baseline("requirements", "--cpv", "72415000-2", "--lang", "es", "-o", file);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, "");
      const bytes = readFileSync(file);
      if (extension === "docx") assert.equal(bytes.subarray(0, 2).toString(), "PK");
      else if (extension === "json") assert.equal((JSON.parse(bytes.toString()) as { language: string }).language, "es");
      else assert.match(bytes.toString(), /Anexo: normas de seguridad/);
    }
    const ocds = baseline("requirements", "--category", "saas", "--format", "ocds");
    assert.ok((JSON.parse(ocds.stdout) as { tender: { criteria: unknown[] } }).tender.criteria.length > 0);
  });

  it("combines categories and CPV codes", () => {
    const result = baseline("requirements", "--category", "email-service", "--cpv", "72415000-2,64200000-8", "--format", "json");
    const set = JSON.parse(result.stdout) as { scope: { categories: { id: string }[] }; requirements: { standard: string }[] };
    const categories = set.scope.categories.map((category) => category.id);
    for (const id of ["email-service", "web-hosting", "network-connectivity"]) assert.ok(categories.includes(id), id);
    const standards = set.requirements.map((requirement) => requirement.standard);
    assert.equal(new Set(standards).size, standards.length);
  });

  it("notes a non-ICT CPV code among ICT ones on stderr", () => {
    const result = baseline("requirements", "--cpv", "72415000-2", "--cpv", "39130000-2", "--format", "json");
    assert.equal(result.status, 0);
    assert.match(result.stderr, /CPV 39130000-2 \(Office furniture\) belongs to no procurement category/);
  });

  const badInputs: [string, string[], RegExp][] = [
    ["an unknown category", ["--category", "web-hostng"], /^baseline: unknown category "web-hostng": did you mean "web-hosting"\?/],
    ["a wrong check digit", ["--cpv", "72415000-3"], /^baseline: CPV code 72415000-3 has a wrong check digit: did you mean 72415000-2/],
    ["an unknown CPV code", ["--cpv", "99999999-9"], /^baseline: CPV code 99999999-9 is not in the CPV 2008 vocabulary/],
    ["a malformed CPV code", ["--cpv", "7241"], /^baseline: CPV code 7241 is malformed/],
    ["office furniture alone", ["--cpv", "39130000-2"], /^baseline: CPV 39130000-2 \(Office furniture\) belongs to no Baseline procurement category/],
    ["an unknown language", ["--category", "saas", "--lang", "de"], /^baseline: option '--lang <code>' argument 'de' is invalid\. Allowed choices are en, fr, es, nl\./],
    ["an unknown format", ["--category", "saas", "--format", "pdf"], /^baseline: option '--format <format>' argument 'pdf' is invalid/],
    ["an unknown level", ["--category", "saas", "--level", "some"], /argument 'some' is invalid/],
    ["no selection", [], /^baseline: nothing selected: give at least one --category or --cpv/],
  ];
  for (const [name, args, pattern] of badInputs) {
    it(`refuses ${name} with exit 2 and one line`, () => {
      assertUsageError(baseline("requirements", ...args), pattern);
    });
  }

  it("refuses an unknown standard id", () => {
    assertUsageError(baseline("standards", "show", "dnsec"), /^baseline: unknown standard "dnsec": did you mean "dnssec"\?/);
  });

  it("leaves no file behind when the output cannot be written, and keeps an existing one intact", () => {
    assertUsageError(
      baseline("requirements", "--category", "saas", "-o", join(work, "missing", "annex.md")),
      /^baseline: cannot write .*missing\/annex\.md: its folder does not exist$/,
    );
    const existing = join(work, "keep.md");
    writeFileSync(existing, "previous annex");
    assertUsageError(baseline("requirements", "--category", "nope", "-o", existing), /unknown category "nope"/);
    assert.equal(readFileSync(existing, "utf8"), "previous annex");

    if (process.getuid?.() !== 0) {
      const locked = join(work, "locked");
      rmSync(locked, { recursive: true, force: true });
      mkdirSync(locked);
      chmodSync(locked, 0o500);
      assertUsageError(baseline("requirements", "--category", "saas", "-o", join(locked, "a.md")), /permission denied/);
    }
    assertUsageError(baseline("requirements", "--category", "saas", "-o", work), /cannot write .*: it is a folder$/);
    assert.deepEqual(readdirSync(work).filter((name) => name.endsWith(".tmp")), []);
    assert.equal(existsSync(join(work, "missing")), false);
  });

  it("prints its help and version with exit 0", () => {
    assert.equal(baseline("--help").status, 0);
    assert.match(baseline("--version").stdout, /^\d+\.\d+\.\d+\n$/);
  });
});

// Input errors are caught before any query is sent: these tests never touch the network.
describe("baseline dns input errors", () => {
  const cases: [string, string[], RegExp][] = [
    ["a label longer than 63 octets", ["dns", `${"a".repeat(64)}.example`], /^baseline: invalid domain name "a{64}\.example": label longer than 63 octets$/],
    ["an empty label", ["dns", "www..example"], /^baseline: invalid domain name "www\.\.example": empty label$/],
    ["a name with spaces", ["dns", "bad name.example"], /^baseline: invalid domain name "bad name\.example": only letters/],
    ["an unknown type", ["dns", "example.org", "BOGUS"], /^baseline: unknown record type "BOGUS"/],
    ["a malformed --resolver", ["dns", "example.org", "--resolver", "not-an-ip"], /^baseline: --resolver not-an-ip: expected an IP address/],
    ["a missing --root-hints file", ["dns", "example.org", "--root-hints", "/nonexistent/hints"], /^baseline: --root-hints \/nonexistent\/hints: cannot read it \(ENOENT\)$/],
    ["a bad --timeout", ["dns", "example.org", "--timeout", "-5"], /^baseline: --timeout -5: expected a positive whole number$/],
    ["a loopback --resolver without --allow-private", ["dns", "example.org", "--resolver", "127.0.0.1"], /^baseline: refusing to query 127\.0\.0\.1: loopback/],
  ];
  for (const [name, args, pattern] of cases) {
    it(`refuses ${name} with exit 2 and one line`, () => {
      assertUsageError(baseline(...args), pattern);
    });
  }

  it("refuses a trust anchor file that is not DS or DNSKEY records", () => {
    const anchor = join(work, "anchor.txt");
    writeFileSync(anchor, ". 3600 IN DS 20326 8 2 not-hex\n");
    assertUsageError(baseline("dns", "example.org", "--trust-anchor", anchor), /^baseline: --trust-anchor .*anchor\.txt:1: DS digest is not hexadecimal$/);
  });
});

