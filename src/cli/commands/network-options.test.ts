import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../output.ts";
import { parseDkimSelectors } from "./network-options.ts";

test("--dkim-selectors: labels separated by commas, lower-cased; anything else named in one line", () => {
  assert.deepEqual(parseDkimSelectors("S1, google ,lab.2026"), ["s1", "google", "lab.2026"]);
  assert.throws(() => parseDkimSelectors(",,"), (error: unknown) => error instanceof UsageError && error.message === "--dkim-selectors ,,: expected DNS labels separated by commas, like s1,google");
  assert.throws(() => parseDkimSelectors("ok,a b"), /"a b" is not one/);
});
