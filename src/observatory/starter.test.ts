import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parse } from "yaml";
import { loadCatalog } from "../catalog/load.ts";
import { DEFAULT_STARTER_PATH, StarterDatasetError, loadStarterDataset, validateStarterDataset } from "./starter.ts";

const catalog = loadCatalog();
const starterText = readFileSync(DEFAULT_STARTER_PATH, "utf8");

/** A fresh, mutable copy of the raw file for the broken-input tests. */
function rawCopy(): { institutions: Record<string, unknown>[]; policies: Record<string, unknown>[] } {
  return parse(starterText) as { institutions: Record<string, unknown>[]; policies: Record<string, unknown>[] };
}

function problemsOf(raw: unknown): string[] {
  return validateStarterDataset(raw, catalog, "starter.yaml").problems;
}

describe("starter dataset file", () => {
  const dataset = loadStarterDataset();
  const institutionsByKey = new Map(dataset.institutions.map((institution) => [institution.key, institution]));

  it("holds at least 18 policies and every institution it names", () => {
    assert.ok(dataset.policies.length >= 18, `only ${dataset.policies.length} policies`);
    for (const policy of dataset.policies) {
      assert.ok(institutionsByKey.has(policy.institution), `${policy.title}: unknown institution ${policy.institution}`);
    }
  });

  it("has policies from at least two Global South institutions", () => {
    const southern = new Set(
      dataset.policies.map((policy) => institutionsByKey.get(policy.institution)).filter((institution) => institution?.globalSouth),
    );
    assert.ok(southern.size >= 2, `only ${southern.size} Global South institutions with a policy`);
  });

  it("points every policy at an https source", () => {
    for (const policy of dataset.policies) {
      assert.equal(new URL(policy.sourceUrl).protocol, "https:", policy.title);
    }
  });

  it("uses only category and standard ids that the catalog has", () => {
    const categoryIds = new Set(catalog.categories.map((category) => category.id));
    for (const policy of dataset.policies) {
      for (const id of policy.categories) assert.ok(categoryIds.has(id), `${policy.title}: category ${id}`);
      for (const id of policy.standards) assert.ok(catalog.hasStandard(id), `${policy.title}: standard ${id}`);
    }
  });

  it("has no duplicate titles or institution keys", () => {
    const titles = dataset.policies.map((policy) => policy.title.toLowerCase());
    assert.equal(new Set(titles).size, titles.length);
    assert.equal(institutionsByKey.size, dataset.institutions.length);
  });

  it("codes each document with the three IS3C questions consistently", () => {
    for (const policy of dataset.policies) {
      const named = policy.standards.length > 0 || policy.otherStandards !== "";
      assert.equal(policy.citesStandards, named, policy.title);
      assert.ok(policy.evidence.length >= 1, policy.title);
    }
  });

  it("records that M-26-05 rescinded M-22-18", () => {
    const byTitle = (start: string) => dataset.policies.find((policy) => policy.title.startsWith(start));
    const old = byTitle("OMB Memorandum M-22-18");
    const replacement = byTitle("OMB Memorandum M-26-05");
    assert.equal(old?.status, "repealed");
    assert.equal(replacement?.status, "in-force");
    assert.equal(old.repealedOn, replacement.adoptedOn);
  });

  it("reuses tags across entries so the gap summary has something to count", () => {
    const counts = new Map<string, number>();
    for (const policy of dataset.policies) {
      for (const tag of [...policy.bestPracticeTags, ...policy.barrierTags]) counts.set(tag, (counts.get(tag) ?? 0) + 1);
    }
    const shared = [...counts.values()].filter((count) => count >= 3);
    assert.ok(shared.length >= 5, `only ${shared.length} tags are used by three or more policies`);
  });
});

describe("a broken copy of the starter dataset", () => {
  const dir = mkdtempSync(join(tmpdir(), "baseline-starter-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function writeCopy(name: string, content: string): string {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  }

  it("fails on an unknown standard id and names the entry and the field", () => {
    const broken = starterText.replace("standards: [https, hsts, tls]", "standards: [https, hsts, not-a-standard]");
    assert.notEqual(broken, starterText, "the fixture line was not found in starter.yaml");
    const path = writeCopy("unknown-standard.yaml", broken);
    assert.throws(
      () => loadStarterDataset(path),
      (error: unknown) => {
        assert.ok(error instanceof StarterDatasetError);
        assert.match(error.message, /policies\[1\] "Besluit beveiligde verbinding met overheidswebsites en -webapplicaties": field standards\.2: unknown standard "not-a-standard"/);
        assert.equal(error.problems.length, 1);
        return true;
      },
    );
  });

  it("suggests the closest id for a typo", () => {
    const raw = rawCopy();
    const first = raw.policies[0];
    assert.ok(first);
    first.standards = ["dnsec"];
    assert.match(problemsOf(raw).join("\n"), /field standards\.0: unknown standard "dnsec": did you mean "dnssec"\?/);
  });

  it("fails on an unknown category and an unknown institution, reporting both", () => {
    const raw = rawCopy();
    const first = raw.policies[0];
    assert.ok(first);
    first.categories = ["web-hosting", "toasters"];
    first.institution = "nobody";
    const problems = problemsOf(raw);
    assert.ok(problems.some((line) => /policies\[0\] "[^"]+": field categories\.1: unknown category "toasters"/.test(line)), problems.join("\n"));
    assert.ok(problems.some((line) => /policies\[0\] "[^"]+": field institution: unknown institution "nobody"/.test(line)), problems.join("\n"));
  });

  it("rejects an http source, a bad region and a made-up country, naming each entry", () => {
    const raw = rawCopy();
    const policy = raw.policies[2];
    const institution = raw.institutions[0];
    assert.ok(policy && institution);
    policy.sourceUrl = "http://www.cisa.gov/";
    institution.region = 150;
    institution.country = "XX";
    const problems = problemsOf(raw).join("\n");
    assert.match(problems, /policies\[2\] "Binding Operational Directive 18-01[^"]*": field sourceUrl: must be an https:\/\/ address/);
    assert.match(problems, /institutions\[0\] "nl-forum-standaardisatie": field region: must be a UN M49 code in quotes/);
    assert.match(problems, /institutions\[0\] "nl-forum-standaardisatie": field country: is not an ISO 3166-1 country code/);
  });

  it("rejects citesStandards that contradicts the lists, and repealedOn on a policy in force", () => {
    const raw = rawCopy();
    const policy = raw.policies[0];
    assert.ok(policy);
    policy.citesStandards = false;
    policy.repealedOn = "2030-01-01";
    const problems = problemsOf(raw).join("\n");
    assert.match(problems, /field citesStandards: is false but standards or otherStandards name some/);
    assert.match(problems, /field repealedOn: is set but status is "in-force"/);
  });

  it("rejects impossible dates, duplicate tags, unknown fields and duplicate titles", () => {
    const raw = rawCopy();
    const [first, second] = raw.policies;
    assert.ok(first && second);
    first.adoptedOn = "2023-02-30";
    first.barrierTags = ["slow-adoption", "slow-adoption"];
    first.summary = "not a field";
    const problems = problemsOf(raw).join("\n");
    assert.match(problems, /field adoptedOn: is not a calendar date/);
    assert.match(problems, /field barrierTags\.1: "slow-adoption" is listed twice/);
    assert.match(problems, /policies\[0\] "[^"]+": entry: Unrecognized key: "summary"/);

    const duplicate = rawCopy();
    const [one, two] = duplicate.policies;
    assert.ok(one && two);
    two.title = one.title;
    assert.match(problemsOf(duplicate).join("\n"), /policies\[1\] "[^"]+": field title: another policy has the same title/);
  });

  it("reports invalid YAML with the file name", () => {
    const path = writeCopy("invalid.yaml", "policies: [unclosed\n");
    assert.throws(() => loadStarterDataset(path), /invalid\.yaml: invalid YAML/);
  });
});
