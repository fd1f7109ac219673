import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dummyPasswordHash, hashPassword, sameToken, verifyPassword } from "./auth.ts";

describe("passwords", () => {
  it("hashes with scrypt and a salt, and verifies", async () => {
    const hash = await hashPassword("correct horse battery staple");
    assert.match(hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.notEqual(hash, await hashPassword("correct horse battery staple"), "salted");
    assert.equal(await verifyPassword("correct horse battery staple", hash), true);
    assert.equal(await verifyPassword("wrong", hash), false);
    assert.equal(await verifyPassword("x", "plaintext"), false);
  });

  it("checks unknown addresses against a dummy hash of the same cost (finding 2)", async () => {
    const dummy = await dummyPasswordHash();
    assert.equal(dummy, await dummyPasswordHash(), "made once");
    assert.match(dummy, /^scrypt\$32768\$8\$1\$/, "the parameters of real hashes");
    assert.equal(await verifyPassword("", dummy), false);
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

