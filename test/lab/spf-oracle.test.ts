// Baseline's mail.spf.policy against an independent SPF implementation:
// Debian's pyspf (python3-spf, through lab/mail/oracle/spf-oracle.py) evaluates
// every SPF domain of the mail lab for a sender outside every policy
// (192.0.2.1, TEST-NET-1: it is only an argument, nothing is sent to it),
// asking the DNS lab's resolver. The oracle's result maps to a verdict:
// fail or softfail → the policy keeps outsiders out → passed; pass or neutral
// (+all, ?all) → failed; permerror (more than 10 lookups, more than 2 void
// lookups, a syntax error) → failed. Needs root (the DNS lab) and python3-spf;
// only the DNS lab is started (its zones carry the mail records).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { defaultSettings } from "../../src/checks/context.ts";
import { checkAndScore } from "../../src/checks/run.ts";
import type { CheckStatus } from "../../src/checks/types.ts";
import { parseRecords } from "../../src/dns/presentation.ts";
import { createResolver } from "../../src/dns/resolver.ts";
import { acquireLab, releaseLab } from "./lab-lock.ts";

const labDir = fileURLToPath(new URL("../../lab/", import.meta.url));
const dnsRun = join(labDir, "dns", "run");
const oracle = join(labDir, "mail", "oracle", "spf-oracle.py");
const RESOLVER = "127.53.0.53";
const OUTSIDER = "192.0.2.1";

/** Every mail lab domain whose SPF record says something different, and two plain ones. */
const DOMAINS = [
  "good.mail.secure",
  "spf-softall.mail.secure",
  "spf-plusall.mail.secure",
  "spf-lookups.mail.secure",
  "spf-void.mail.secure",
  "null-mx.mail.secure",
  "dmarc-none.mail.secure",
  "good.mail.insecure",
];

interface OracleAnswer {
  domain: string;
  ip: string;
  result: string;
  explanation: string;
}

function missingTool(): string | null {
  if (process.getuid?.() !== 0) return "needs root (the DNS lab on port 53)";
  if (spawnSync("/usr/bin/python3", ["-c", "import spf"], { encoding: "utf8" }).status !== 0) return "pyspf is missing (apt-get install python3-spf; scripts/system-deps.sh installs it)";
  if (spawnSync("bash", ["-c", "command -v dig"], { encoding: "utf8" }).status !== 0) return "dig is missing";
  return null;
}
const skip = missingTool();

function askOracle(ip: string, domains: string[]): OracleAnswer[] {
  const run = spawnSync("/usr/bin/python3", [oracle, RESOLVER, ip, ...domains], { encoding: "utf8", timeout: 60_000 });
  assert.equal(run.status, 0, `spf-oracle.py: ${run.stderr}`);
  return run.stdout.trim().split("\n").map((line) => JSON.parse(line) as OracleAnswer);
}

/** What mail.spf.policy must say, given what the oracle makes of a sender outside the policy. */
function verdictOf(result: string): CheckStatus | null {
  switch (result) {
    case "fail":
    case "softfail":
      return "passed";
    case "pass":
    case "neutral":
    case "permerror":
      return "failed";
    default:
      return null; // none, temperror: nothing to compare
  }
}

describe("SPF: Baseline against pyspf (slow)", { skip: skip ?? false, timeout: 300_000 }, () => {
  before(() => acquireLab());
  after(() => releaseLab());

  let answers: OracleAnswer[] = [];
  before(() => {
    const started = spawnSync("bash", [join(labDir, "dns", "start.sh")], { encoding: "utf8", timeout: 120_000 });
    assert.equal(started.status, 0, started.stderr);
    answers = askOracle(OUTSIDER, DOMAINS);
  });

  it("the oracle reads the lab's records: mx's own address passes, an outsider fails", () => {
    const mxAddress = /IN\s+A\s+(127\.55\.\d+\.\d+)/.exec(spawnSync("dig", [`@${RESOLVER}`, "mx.good.mail.secure.", "A"], { encoding: "utf8" }).stdout)?.[1] ?? "";
    assert.match(mxAddress, /^127\.55\./);
    assert.equal(askOracle(mxAddress, ["good.mail.secure"])[0]?.result, "pass");
    assert.equal(answers.find((answer) => answer.domain === "good.mail.secure")?.result, "fail");
  });

  it("the oracle's results are the ones the cases name (+all pass, ~all softfail, 11 includes and 3 void lookups permerror)", () => {
    const result = (domain: string): string | undefined => answers.find((answer) => answer.domain === domain)?.result;
    assert.equal(result("spf-plusall.mail.secure"), "pass");
    assert.equal(result("spf-softall.mail.secure"), "softfail");
    assert.equal(result("spf-lookups.mail.secure"), "permerror");
    assert.match(answers.find((answer) => answer.domain === "spf-lookups.mail.secure")?.explanation ?? "", /Too many DNS lookups/);
    assert.equal(result("spf-void.mail.secure"), "permerror");
    assert.match(answers.find((answer) => answer.domain === "spf-void.mail.secure")?.explanation ?? "", /[Vv]oid lookup/);
    assert.equal(result("null-mx.mail.secure"), "fail");
  });

  describe("mail.spf.policy agrees with the oracle on every domain", () => {
    const statuses = new Map<string, { status: CheckStatus; summary: string } | string>();
    before(async () => {
      const resolver = createResolver({
        rootHints: parseRecords(readFileSync(join(dnsRun, "root.hints"), "utf8"), "root.hints"),
        trustAnchors: parseRecords(readFileSync(join(dnsRun, "root-anchor.ds"), "utf8"), "root-anchor.ds"),
        allowPrivate: true,
        timeoutMs: 1500,
        retries: 1,
      });
      const settings = defaultSettings(resolver, { allowPrivate: true, timeoutMs: 3000, domainDeadlineMs: 20_000 });
      await Promise.all(
        DOMAINS.map(async (domain) => {
          try {
            const report = await checkAndScore(domain, "mail", settings, { only: ["mail.spf.policy"] });
            const test = report.tests.find((entry) => entry.id === "mail.spf.policy");
            statuses.set(domain, test ? { status: test.status, summary: test.summary } : "not implemented: no mail.spf.policy yet");
          } catch (error) {
            statuses.set(domain, `checkAndScore threw: ${error instanceof Error ? error.message : String(error)}`);
          }
        }),
      );
    });

    for (const domain of skip === null ? DOMAINS : []) {
      it(domain, () => {
        const answer = answers.find((entry) => entry.domain === domain);
        assert.ok(answer, "the oracle answered");
        const expected = verdictOf(answer.result);
        assert.ok(expected, `the oracle's ${answer.result} maps to a verdict`);
        const found = statuses.get(domain);
        if (found === undefined || typeof found === "string") assert.fail(found ?? "did not run");
        assert.equal(found.status, expected, `pyspf: ${answer.result} (${answer.explanation}) for ${OUTSIDER}; Baseline: ${found.status} ("${found.summary}")`);
      });
    }
  });
});
