import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ResourceRecord } from "../types.ts";
import type { DsData, RrsigData } from "../wire.ts";
import { Algorithm } from "./crypto.ts";
import { dsRecord, generateKey, KSK_FLAGS, REVOKE_FLAG, rr, sign, ZSK_FLAGS, type SignOptions, type ZoneKey } from "./fixtures/signer.ts";
import { serialLessThan, verifyKeyset, verifyRrset, type KeysetVerdict, type RrsetVerdict } from "./rrset.ts";

// 2025-06-15T12:00Z; the reasons print times to the minute.
const NOW = Date.UTC(2025, 5, 15, 12, 0, 0) / 1000;
const HOUR = 3600;
const DAY = 86_400;

const ZONE = "example.";
// Seeded keys: fixed key tags, so no run can draw two keys with the same tag.
const ksk = generateKey(ZONE, { flags: KSK_FLAGS, seed: "ksk" });
const zsk = generateKey(ZONE, { flags: ZSK_FLAGS, seed: "zsk" });
const ecdsaZsk = generateKey(ZONE, { flags: ZSK_FLAGS, algorithm: Algorithm.ECDSAP256SHA256, seed: "ecdsa zsk" });
const keys = [ksk.dnskey, zsk.dnskey, ecdsaZsk.dnskey];

const rrset: ResourceRecord[] = [rr("www.example.", "A", "192.0.2.1"), rr("www.example.", "A", "192.0.2.2")];

function signWith(key: ZoneKey, records: readonly ResourceRecord[] = rrset, overrides: Partial<SignOptions> = {}): ResourceRecord {
  return sign(records, { signer: ZONE, key, inception: NOW - DAY, expiration: NOW + 30 * DAY, ...overrides });
}

/** A copy of `record` with some RRSIG fields replaced (after signing: the signature no longer matches them). */
function withSig(record: ResourceRecord, change: Partial<RrsigData>): ResourceRecord {
  return { ...record, data: { ...(record.data as RrsigData), ...change } };
}

function reasonOf(verdict: RrsetVerdict): string {
  if (verdict.ok) assert.fail(`expected a rejection, got ${JSON.stringify(verdict)}`);
  return verdict.reason;
}

function accepted(verdict: RrsetVerdict): Extract<RrsetVerdict, { ok: true }> {
  if (!verdict.ok) assert.fail(`expected a valid signature, got: ${verdict.reason}`);
  return verdict;
}

function bogusReason(verdict: KeysetVerdict): string {
  if (verdict.status !== "bogus") assert.fail(`expected bogus, got ${JSON.stringify(verdict)}`);
  return verdict.reason;
}

describe("verifyRrset", () => {
  it("accepts an RRset signed by a zone key (Ed25519)", () => {
    const verdict = verifyRrset(rrset, [signWith(zsk)], keys, ZONE, NOW);
    assert.deepEqual(verdict, { ok: true, signer: "example.", keyTag: zsk.keyTag, algorithm: Algorithm.ED25519, wildcard: undefined });
  });

  it("accepts an RRset signed with ECDSA P-256", () => {
    const verdict = verifyRrset(rrset, [signWith(ecdsaZsk)], keys, ZONE, NOW);
    assert.deepEqual(verdict, { ok: true, signer: "example.", keyTag: ecdsaZsk.keyTag, algorithm: Algorithm.ECDSAP256SHA256, wildcard: undefined });
  });

  it("compares owner, signer and zone case-insensitively (RFC 4034 §6.2)", () => {
    const shouting = rrset.map((record) => ({ ...record, name: "WWW.Example." }));
    const verdict = verifyRrset(shouting, [signWith(zsk, shouting, { signer: "Example." })], keys, "EXAMPLE.", NOW);
    assert.equal(verdict.ok, true, JSON.stringify(verdict));
  });

  it("accepts when one of several RRSIGs verifies (RFC 4035 §5.3.3)", () => {
    const good = signWith(zsk);
    const broken = withSig(signWith(ecdsaZsk), { signature: new Uint8Array(64) });
    assert.equal(accepted(verifyRrset(rrset, [broken, good], keys, ZONE, NOW)).keyTag, zsk.keyTag);
  });

  it("rejects an empty RRset and an RRset without a covering RRSIG", () => {
    assert.equal(reasonOf(verifyRrset([], [signWith(zsk)], keys, ZONE, NOW)), "empty RRset");
    const aaaaSig = signWith(zsk, [rr("www.example.", "AAAA", "2001:db8::1")]);
    assert.equal(reasonOf(verifyRrset(rrset, [aaaaSig], keys, ZONE, NOW)), "no RRSIG for www.example. A (zone example. is signed)");
  });

  it("rejects an expired signature", () => {
    const sig = signWith(zsk, rrset, { inception: NOW - 10 * DAY, expiration: NOW - DAY });
    assert.equal(reasonOf(verifyRrset(rrset, [sig], keys, ZONE, NOW)), "RRSIG for www.example. A expired at 2025-06-14T12:00Z");
  });

  it("rejects a signature that is not yet valid", () => {
    const sig = signWith(zsk, rrset, { inception: NOW + HOUR, expiration: NOW + DAY });
    assert.equal(reasonOf(verifyRrset(rrset, [sig], keys, ZONE, NOW)), "RRSIG for www.example. A is not valid before 2025-06-15T13:00Z");
  });

  it("accepts the first and last second of the validity period", () => {
    const sig = signWith(zsk, rrset, { inception: NOW, expiration: NOW + DAY });
    assert.equal(verifyRrset(rrset, [sig], keys, ZONE, NOW).ok, true);
    assert.equal(verifyRrset(rrset, [sig], keys, ZONE, NOW + DAY).ok, true);
    assert.equal(verifyRrset(rrset, [sig], keys, ZONE, NOW + DAY + 1).ok, false);
    assert.equal(verifyRrset(rrset, [sig], keys, ZONE, NOW - 1).ok, false);
  });

  it("rejects a signer that is not the zone", () => {
    const other = generateKey("other.", { seed: "other" });
    const sig = signWith(other, rrset, { signer: "other." });
    assert.equal(reasonOf(verifyRrset(rrset, [sig], [...keys, other.dnskey], ZONE, NOW)), "RRSIG for www.example. A is signed by other., not by its zone example.");
  });

  it("rejects a key tag that is not in the DNSKEY set", () => {
    const stranger = generateKey(ZONE, { flags: ZSK_FLAGS, seed: "stranger" });
    const reason = reasonOf(verifyRrset(rrset, [signWith(stranger)], keys, ZONE, NOW));
    assert.equal(reason, `RRSIG for www.example. A names key tag ${stranger.keyTag} (algorithm 15), which is not a usable zone key in the DNSKEY set of example.`);
  });

  it("rejects an RRSIG whose algorithm differs from the key's, even with a matching tag", () => {
    // Same key tag, but the RRSIG claims ECDSA: the Ed25519 key must not be tried.
    const sig = withSig(signWith(zsk), { algorithm: Algorithm.ECDSAP256SHA256 });
    assert.match(reasonOf(verifyRrset(rrset, [sig], [ksk.dnskey, zsk.dnskey], ZONE, NOW)), new RegExp(`names key tag ${zsk.keyTag} \\(algorithm 13\\), which is not a usable zone key in the DNSKEY set of example\\.$`));
  });

  it("rejects an unsupported algorithm", () => {
    const sig = withSig(signWith(zsk), { algorithm: Algorithm.RSAMD5 });
    assert.equal(reasonOf(verifyRrset(rrset, [sig], keys, ZONE, NOW)), "RRSIG for www.example. A uses unsupported algorithm 1");
  });

  it("rejects altered data", () => {
    const sig = signWith(zsk);
    const altered = [rrset[0] as ResourceRecord, rr("www.example.", "A", "192.0.2.99")];
    assert.equal(reasonOf(verifyRrset(altered, [sig], keys, ZONE, NOW)), `RRSIG for www.example. A by key tag ${zsk.keyTag} does not verify (signature or data altered)`);
    // A dropped record breaks the signature too: the whole RRset is signed.
    assert.equal(verifyRrset(rrset.slice(0, 1), [sig], keys, ZONE, NOW).ok, false);
  });

  it("ignores TTL changes below the original TTL and record order (RFC 4034 §6.3)", () => {
    const sig = signWith(zsk);
    const decayed = [...rrset].reverse().map((record) => ({ ...record, ttl: 17 }));
    assert.equal(verifyRrset(decayed, [sig], keys, ZONE, NOW).ok, true);
  });

  it("rejects an altered signature", () => {
    const sig = signWith(zsk);
    const signature = Uint8Array.from((sig.data as RrsigData).signature);
    signature[10] = (signature[10] ?? 0) ^ 0x01;
    const reason = reasonOf(verifyRrset(rrset, [withSig(sig, { signature })], keys, ZONE, NOW));
    assert.equal(reason, `RRSIG for www.example. A by key tag ${zsk.keyTag} does not verify (signature or data altered)`);
  });

  it("rejects an altered RRSIG field, which the signature covers", () => {
    const sig = signWith(zsk);
    const stretched = withSig(sig, { expiration: NOW + 365 * DAY });
    assert.match(reasonOf(verifyRrset(rrset, [stretched], keys, ZONE, NOW)), /does not verify/);
  });

  it("rejects a key with the REVOKE flag (RFC 5011 §2.1)", () => {
    const revoked = generateKey(ZONE, { flags: KSK_FLAGS | REVOKE_FLAG, seed: "revoked" });
    const reason = reasonOf(verifyRrset(rrset, [signWith(revoked)], [...keys, revoked.dnskey], ZONE, NOW));
    assert.equal(reason, `RRSIG for www.example. A names key tag ${revoked.keyTag} (algorithm 15), which is not a usable zone key in the DNSKEY set of example.`);
  });

  it("rejects a key without the Zone Key flag (RFC 4034 §2.1.1)", () => {
    const notZoneKey = generateKey(ZONE, { flags: 0, seed: "not a zone key" });
    const reason = reasonOf(verifyRrset(rrset, [signWith(notZoneKey)], [...keys, notZoneKey.dnskey], ZONE, NOW));
    assert.match(reason, new RegExp(`names key tag ${notZoneKey.keyTag} .*not a usable zone key in the DNSKEY set of example\\.$`));
  });

  it(
    "rejects a key whose protocol is not 3 (RFC 4034 §2.1.2)",
    () => {
      const oddProtocol = generateKey(ZONE, { flags: ZSK_FLAGS, protocol: 2, seed: "protocol 2" });
      const verdict = verifyRrset(rrset, [signWith(oddProtocol)], [...keys, oddProtocol.dnskey], ZONE, NOW);
      assert.equal(verdict.ok, false);
    },
  );

  it("rejects an RRSIG claiming more labels than the owner has", () => {
    const sig = signWith(zsk, rrset, { labels: 3 });
    assert.equal(reasonOf(verifyRrset(rrset, [sig], keys, ZONE, NOW)), "RRSIG for www.example. A claims 3 labels, more than the owner has");
  });

  it("reports a wildcard expansion when Labels is below the owner's label count (RFC 4035 §5.3.2)", () => {
    // Signed as *.example. and expanded to a.b.example.: the signature is over the wildcard owner.
    const expanded = [rr("a.b.example.", "A", "192.0.2.7")];
    const verdict = verifyRrset(expanded, [signWith(zsk, expanded, { labels: 1 })], keys, ZONE, NOW);
    assert.deepEqual(verdict, { ok: true, signer: "example.", keyTag: zsk.keyTag, algorithm: Algorithm.ED25519, wildcard: "*.example." });

    const oneDown = [rr("x.example.", "TXT", ["hello"])];
    assert.equal(accepted(verifyRrset(oneDown, [signWith(zsk, oneDown, { labels: 1 })], keys, ZONE, NOW)).wildcard, "*.example.");
  });

  it("does not report a wildcard for the literal wildcard owner (its '*' is not counted)", () => {
    const literal = [rr("*.example.", "A", "192.0.2.7")];
    assert.equal(accepted(verifyRrset(literal, [signWith(zsk, literal)], keys, ZONE, NOW)).wildcard, undefined);
  });

  it("rejects a wildcard signature relabelled as a direct answer", () => {
    const expanded = [rr("x.example.", "A", "192.0.2.7")];
    const sig = withSig(signWith(zsk, expanded, { labels: 1 }), { labels: 2 });
    assert.match(reasonOf(verifyRrset(expanded, [sig], keys, ZONE, NOW)), /does not verify/);
  });

  it("validates signature times across the 2^32 wrap (RFC 4034 §3.1.5)", () => {
    const inception = 0xffff_0000;
    const expiration = 0x0001_0000; // after the wrap, so numerically smaller
    const sig = signWith(zsk, rrset, { inception, expiration });
    assert.equal(verifyRrset(rrset, [sig], keys, ZONE, 0xffff_ff00).ok, true, "before the wrap");
    assert.equal(verifyRrset(rrset, [sig], keys, ZONE, 0x0000_0100).ok, true, "after the wrap");
    assert.match(reasonOf(verifyRrset(rrset, [sig], keys, ZONE, 0x0002_0000)), /expired at/);
    assert.match(reasonOf(verifyRrset(rrset, [sig], keys, ZONE, 0xfff0_0000)), /is not valid before/);
  });
});

describe("serialLessThan (RFC 1982)", () => {
  it("orders nearby values", () => {
    assert.equal(serialLessThan(1, 2), true);
    assert.equal(serialLessThan(2, 1), false);
    assert.equal(serialLessThan(7, 7), false);
  });

  it("orders across the 2^32 wrap", () => {
    assert.equal(serialLessThan(0xffff_ffff, 0), true);
    assert.equal(serialLessThan(0, 0xffff_ffff), false);
    assert.equal(serialLessThan(0xf000_0000, 0x1000_0000), true);
    assert.equal(serialLessThan(0x1000_0000, 0xf000_0000), false);
  });

  it("takes the largest forward step as less, and never calls two values each less than the other", () => {
    assert.equal(serialLessThan(0, 0x7fff_ffff), true);
    assert.equal(serialLessThan(0x7fff_ffff, 0), false);
    // 2^31 apart is undefined in RFC 1982 §3.2; it must not be "less" both ways.
    assert.equal(serialLessThan(0, 0x8000_0000) && serialLessThan(0x8000_0000, 0), false);
  });
});

describe("verifyKeyset", () => {
  const dnskeys = [ksk.dnskey, zsk.dnskey];
  const signedByKsk = sign(dnskeys, { signer: ZONE, key: ksk, inception: NOW - DAY, expiration: NOW + 30 * DAY });
  const signedByZsk = sign(dnskeys, { signer: ZONE, key: zsk, inception: NOW - DAY, expiration: NOW + 30 * DAY });

  function dsWith(change: Partial<DsData>, base: ResourceRecord = dsRecord(ksk)): ResourceRecord {
    return { ...base, data: { ...(base.data as DsData), ...change } };
  }

  it("is secure when a DS matches the key that signs the DNSKEY set", () => {
    for (const digestType of [1, 2, 4]) {
      const verdict = verifyKeyset(ZONE, dnskeys, [signedByKsk], [dsRecord(ksk, digestType)], NOW);
      assert.deepEqual(verdict, { status: "secure", keys: dnskeys }, `digest type ${digestType}`);
    }
  });

  it("is secure when one DS of several works", () => {
    const unsupported = dsWith({ algorithm: 253 });
    const stray = dsRecord(generateKey(ZONE, { seed: "stray" }));
    const verdict = verifyKeyset(ZONE, dnskeys, [signedByKsk], [unsupported, stray, dsRecord(ksk)], NOW);
    assert.equal(verdict.status, "secure");
  });

  it("is bogus when the DS matches no DNSKEY", () => {
    const stranger = generateKey(ZONE, { seed: "stranger" });
    const verdict = verifyKeyset(ZONE, dnskeys, [signedByKsk], [dsRecord(stranger)], NOW);
    assert.deepEqual(verdict, { status: "bogus", reason: `DS ${stranger.keyTag}/15/2 for example. matches no DNSKEY of example.` });
  });

  it("is bogus when the DS has the right key tag but the wrong digest", () => {
    const digest = Uint8Array.from((dsRecord(ksk).data as DsData).digest);
    digest[0] = (digest[0] ?? 0) ^ 0xff;
    const verdict = verifyKeyset(ZONE, dnskeys, [signedByKsk], [dsWith({ digest })], NOW);
    assert.equal(bogusReason(verdict), `DS ${ksk.keyTag}/15/2 for example. matches no DNSKEY of example.`);
  });

  it("is bogus when the DNSKEY set is not signed by the key the DS points to", () => {
    const reason = bogusReason(verifyKeyset(ZONE, dnskeys, [signedByZsk], [dsRecord(ksk)], NOW));
    assert.ok(reason.startsWith(`DNSKEY set of example. is not signed by the key of DS ${ksk.keyTag}: `), reason);
    assert.match(reason, new RegExp(`key tag ${zsk.keyTag}`));
  });

  it("is bogus when the DS key's signature over the DNSKEY set has expired", () => {
    const stale = sign(dnskeys, { signer: ZONE, key: ksk, inception: NOW - 20 * DAY, expiration: NOW - 10 * DAY });
    const reason = bogusReason(verifyKeyset(ZONE, dnskeys, [stale], [dsRecord(ksk)], NOW));
    assert.equal(reason, `DNSKEY set of example. is not signed by the key of DS ${ksk.keyTag}: RRSIG for example. DNSKEY expired at 2025-06-05T12:00Z`);
  });

  it("is bogus when DS records exist but the zone serves no DNSKEYs", () => {
    assert.deepEqual(verifyKeyset(ZONE, [], [], [dsRecord(ksk)], NOW), { status: "bogus", reason: "example. has DS records in its parent but no DNSKEY records" });
  });

  it("is insecure when every DS uses an unsupported algorithm or digest (RFC 4035 §5.2)", () => {
    const privateAlgorithm = dsWith({ algorithm: 253 });
    const gostDigest = dsWith({ digestType: 3 });
    const verdict = verifyKeyset(ZONE, dnskeys, [signedByKsk], [privateAlgorithm, gostDigest], NOW);
    assert.deepEqual(verdict, { status: "insecure", reason: "every DS for example. uses an unsupported algorithm or digest (253/2, 15/3)" });
  });
});
