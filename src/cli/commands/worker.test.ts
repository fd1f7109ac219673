// `baseline worker` as a user runs it: a bad --smtp-url is named in one
// line with exit 2 before anything is opened (the database, the address
// limiter), as `baseline serve` does.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { skipReason } from "../../store/test-databases.ts";

const bin = fileURLToPath(new URL("../../../bin/baseline.js", import.meta.url));
const postgresSkip = await skipReason("postgres");
const TEST_POSTGRES_URL = process.env.BASELINE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

function worker(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, "worker", ...args], { encoding: "utf8", timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function assertSmtpUrlError(result: ReturnType<typeof worker>): void {
  assert.equal(result.status, 2, result.stderr);
  assert.equal(result.stdout, "");
  assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
  assert.equal(result.stderr.trimEnd(), "baseline: --smtp-url bogus: expected smtp://host:port or smtps://host:port");
}

describe("baseline worker --smtp-url", () => {
  it("is checked before the database is opened: an unreachable database is not what is named", () => {
    // Port 1 on loopback: nothing listens, so opening the database first would name --db.
    assertSmtpUrlError(worker("--db", "postgres://postgres@127.0.0.1:1/test", "--smtp-url", "bogus"));
  });

  it("a bad value on a working database: exit 2 and one line", { skip: postgresSkip }, () => {
    assertSmtpUrlError(worker("--db", TEST_POSTGRES_URL, "--smtp-url", "bogus"));
  });
});
