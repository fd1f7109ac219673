import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CHECK_STATUSES } from "../types.ts";
import { jsonLine, toJson } from "./json.ts";
import { HOSTILE, sampleReport } from "./test-reports.ts";

describe("JSON report", () => {
  it("has the fields of interfaces.md §3 on one line", () => {
    const line = jsonLine(sampleReport(), "1.2.3");
    assert.equal(line.split("\n").length, 2, "one line and its newline");
    const parsed = JSON.parse(line) as ReturnType<typeof toJson>;
    assert.equal(parsed.domain, "example.org");
    assert.equal(parsed.suite, "web");
    assert.equal(parsed.score, 50);
    assert.equal(parsed.baselineVersion, "1.2.3");
    assert.deepEqual(
      parsed.categories.map(({ id, status, score }) => ({ id, status, score })),
      [
        { id: "web.ipv6", status: "passed", score: 100 },
        { id: "web.dnssec", status: "error", score: 0 },
        { id: "web.https", status: "failed", score: 50 },
        { id: "web.appsecpriv", status: "warning", score: null },
        { id: "web.rpki", status: "not_tested", score: null },
      ],
    );
    for (const test of parsed.tests) {
      assert.deepEqual(Object.keys(test).slice(0, 5), ["id", "standard", "status", "summary", "evidence"]);
      assert.ok(CHECK_STATUSES.includes(test.status as never), test.status);
    }
    const hsts = parsed.tests.find((test) => test.id === "web.hsts");
    assert.ok(hsts);
    assert.equal(hsts.standard, "hsts");
    assert.equal(hsts.evidence.header, `max-age=300; ${HOSTILE}`, "evidence is kept as the server sent it (JSON escapes it)");
  });
});
