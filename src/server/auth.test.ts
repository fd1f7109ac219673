import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hashPassword, LoginLimiter, sameToken, verifyPassword } from "./auth.ts";

describe("passwords", () => {
  it("hashes with scrypt and a salt, and verifies", async () => {
    const hash = await hashPassword("correct horse battery staple");
    assert.match(hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.notEqual(hash, await hashPassword("correct horse battery staple"), "salted");
    assert.equal(await verifyPassword("correct horse battery staple", hash), true);
    assert.equal(await verifyPassword("wrong", hash), false);
    assert.equal(await verifyPassword("x", "plaintext"), false);
  });
});

describe("CSRF token comparison", () => {
  it("accepts the same token only", () => {
    const token = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbA";
    assert.equal(sameToken(token, token), true);
    assert.equal(sameToken(token, `${token.slice(0, -1)}x`), false);
    assert.equal(sameToken("a", "ab"), false);
  });
});

describe("login limiter", () => {
  it("refuses after five failures within the window, and forgets after it", () => {
    const limiter = new LoginLimiter({ limit: 5, windowMs: 1000 });
    for (let attempt = 0; attempt < 5; attempt++) {
      assert.equal(limiter.retryAfter("k", 100), 0);
      limiter.fail("k", 100);
    }
    assert.ok(limiter.retryAfter("k", 200) > 0);
    assert.equal(limiter.retryAfter("k", 1200), 0);
    limiter.fail("k", 100);
    limiter.succeed("k");
    assert.equal(limiter.retryAfter("k", 150), 0);
  });

  it("keeps a bounded number of keys", () => {
    const limiter = new LoginLimiter({ limit: 1, maxKeys: 3 });
    for (const key of ["a", "b", "c", "d"]) limiter.fail(key, 0);
    assert.equal(limiter.retryAfter("a", 1), 0, "the oldest key was dropped");
    assert.ok(limiter.retryAfter("d", 1) > 0);
  });
});
