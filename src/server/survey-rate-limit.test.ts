// The survey rate limit: a sliding window per address (IPv6 by /64), in memory.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SurveyRateLimit } from "./survey-rate-limit.ts";

describe("SurveyRateLimit", () => {
  it("lets `max` posts through per window and refuses the next, per address", () => {
    let now = 60_000 * 100;
    const limit = new SurveyRateLimit({ max: 3, windowMs: 60_000, now: () => now });
    assert.deepEqual([1, 2, 3, 4].map(() => limit.take("203.0.113.9")), [true, true, true, false]);
    assert.equal(limit.take("198.51.100.4"), true, "another address has its own count");
    // Half-way into the next window half of the previous one still counts: 1 + floor(3 × 0.5) = 2 ≤ 3.
    now += 90_000;
    assert.equal(limit.take("203.0.113.9"), true);
    assert.equal(limit.take("203.0.113.9"), true);
    assert.equal(limit.take("203.0.113.9"), false);
    // Two windows later nothing of the flood is left.
    now += 120_000;
    assert.equal(limit.take("203.0.113.9"), true);
  });

  it("counts an IPv6 host by its /64", () => {
    const limit = new SurveyRateLimit({ max: 2, windowMs: 60_000, now: () => 0 });
    assert.equal(limit.take("2001:db8:1:2::1"), true);
    assert.equal(limit.take("2001:db8:1:2::ffff"), true);
    assert.equal(limit.take("2001:db8:1:2:aaaa::3"), false);
    assert.equal(limit.take("2001:db8:1:3::1"), true);
  });
});
