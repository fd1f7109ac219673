import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ResourceRecord } from "../types.ts";
import type { Nsec3Data } from "../wire.ts";
import { MAX_NSEC3_ITERATIONS, proveInsecureDelegation, proveNameError, proveNoData, proveWildcardAnswer, type DenialVerdict } from "./denial.ts";
import { hashIn, nsec3Chain, nsec3Covering, nsec3Matching, nsecChain, rr, type ZoneName } from "./fixtures/signer.ts";

// The proofs take records whose RRSIGs were already checked, so these
// chains are unsigned: only owners, next names and bitmaps matter.

const APEX_TYPES = ["NS", "SOA", "RRSIG", "DNSKEY"];

/**
 * A zone with the shapes denial has to reason about:
 *   c.example.        an empty non-terminal (only b.c.example. below it)
 *   old.example.      a DNAME
 *   secure.example.   a signed delegation (NS and DS)
 *   sub.example.      an unsigned delegation (NS only)
 */
const NSEC_ZONE: ZoneName[] = [
  { name: "example.", types: APEX_TYPES },
  { name: "a.example.", types: ["A"] },
  { name: "alias.example.", types: ["CNAME"] },
  { name: "b.c.example.", types: ["A"] },
  { name: "old.example.", types: ["DNAME"] },
  { name: "secure.example.", types: ["NS", "DS"] },
  { name: "sub.example.", types: ["NS"] },
  { name: "www.example.", types: ["A", "AAAA"] },
];
const nsec = nsecChain(NSEC_ZONE);

/** The NSEC owned by `owner` in `chain`. */
function at(chain: readonly ResourceRecord[], owner: string): ResourceRecord {
  const found = chain.find((record) => record.name === owner);
  if (!found) throw new Error(`no record owned by ${owner}`);
  return found;
}

function withNsec(...records: ResourceRecord[]): { nsec: ResourceRecord[]; nsec3: ResourceRecord[] } {
  return { nsec: records, nsec3: [] };
}

function withNsec3(...records: ResourceRecord[]): { nsec: ResourceRecord[]; nsec3: ResourceRecord[] } {
  return { nsec: [], nsec3: records };
}

function failure(verdict: DenialVerdict): string {
  if (verdict.ok) assert.fail(`expected the proof to fail, got ${JSON.stringify(verdict)}`);
  return verdict.reason;
}

function secure(verdict: DenialVerdict): void {
  assert.deepEqual(verdict, { ok: true });
}

function insecure(verdict: DenialVerdict): string {
  if (!verdict.ok || verdict.insecure === undefined) assert.fail(`expected an insecure proof, got ${JSON.stringify(verdict)}`);
  return verdict.insecure;
}

describe("NSEC (RFC 4035 §5.4, RFC 6840 §4)", () => {
  describe("name error", () => {
    it("is proven by an NSEC covering the name and one covering the wildcard", () => {
      // nope.example. sorts between b.c.example. and old.example.; *.example. between the apex and a.example.
      secure(proveNameError("nope.example.", "example.", withNsec(at(nsec, "b.c.example."), at(nsec, "example."))));
      secure(proveNameError("NOPE.Example.", "example.", withNsec(at(nsec, "b.c.example."), at(nsec, "example."))));
    });

    it("is proven past the last name, where the chain wraps to the apex", () => {
      secure(proveNameError("zzz.example.", "example.", withNsec(at(nsec, "www.example."), at(nsec, "example."))));
    });

    it("fails without the wildcard proof", () => {
      assert.equal(failure(proveNameError("nope.example.", "example.", withNsec(at(nsec, "b.c.example.")))), "no NSEC record proves that the wildcard *.example. does not exist");
    });

    it("fails without an NSEC covering the name", () => {
      assert.equal(failure(proveNameError("nope.example.", "example.", withNsec(at(nsec, "example.")))), "no NSEC record proves that nope.example. does not exist");
    });

    it("fails for a name that exists (its own NSEC covers nothing)", () => {
      assert.equal(failure(proveNameError("www.example.", "example.", { nsec, nsec3: [] })), "no NSEC record proves that www.example. does not exist");
    });

    it("takes the wildcard below the closest encloser, here an empty non-terminal", () => {
      // x.c.example.: the closest encloser is c.example. (b.c.example. exists), so *.c.example. must be denied, not *.example.
      secure(proveNameError("x.c.example.", "example.", withNsec(at(nsec, "b.c.example."), at(nsec, "alias.example."))));
      const reason = failure(proveNameError("x.c.example.", "example.", withNsec(at(nsec, "b.c.example."), at(nsec, "example."))));
      assert.equal(reason, "no NSEC record proves that the wildcard *.c.example. does not exist");
    });

    it("fails when the wildcard exists", () => {
      const wild = nsecChain([
        { name: "example.", types: APEX_TYPES },
        { name: "*.example.", types: ["TXT"] },
        { name: "www.example.", types: ["A"] },
      ]);
      assert.equal(failure(proveNameError("nope.example.", "example.", { nsec: wild, nsec3: [] })), "NXDOMAIN for nope.example., but the wildcard *.example. exists");
    });

    it("cannot use a parent-side NSEC at a delegation to deny names below it (RFC 6840 §4.1)", () => {
      // sub.example. -> www.example. spans www.sub.example. in canonical order, but the parent knows nothing below its cut.
      const reason = failure(proveNameError("www.sub.example.", "example.", withNsec(at(nsec, "sub.example."), at(nsec, "example."))));
      assert.equal(reason, "no NSEC record proves that www.sub.example. does not exist");
      // The same span from an ordinary name does prove it (and denies *.sub.example. too).
      const ordinary = nsecChain(NSEC_ZONE.map((entry) => (entry.name === "sub.example." ? { ...entry, types: ["A"] } : entry)));
      secure(proveNameError("www.sub.example.", "example.", withNsec(at(ordinary, "sub.example."))));
    });

    it("cannot use an NSEC at a DNAME to deny names below it (RFC 6840 §4.1)", () => {
      const reason = failure(proveNameError("x.old.example.", "example.", withNsec(at(nsec, "old.example."), at(nsec, "example."))));
      assert.equal(reason, "no NSEC record proves that x.old.example. does not exist");
    });
  });

  describe("no data", () => {
    it("is proven by the name's NSEC without the type", () => {
      secure(proveNoData("www.example.", "MX", "example.", withNsec(at(nsec, "www.example."))));
    });

    it("fails when the bitmap has the type", () => {
      assert.equal(failure(proveNoData("www.example.", "A", "example.", withNsec(at(nsec, "www.example.")))), "NSEC record for www.example. says A exists");
    });

    it("fails when the bitmap has CNAME (the answer should have been the CNAME)", () => {
      assert.equal(failure(proveNoData("alias.example.", "A", "example.", withNsec(at(nsec, "alias.example.")))), "NSEC record for alias.example. says it is a CNAME");
    });

    it("is proven for an empty non-terminal by an NSEC whose next name lies below it (RFC 4035 §3.1.3.2)", () => {
      secure(proveNoData("c.example.", "A", "example.", withNsec(at(nsec, "alias.example."))));
      assert.equal(failure(proveNoData("c.example.", "A", "example.", withNsec(at(nsec, "example.")))), "no NSEC record proves that c.example. has no A records");
    });

    it("is proven through the wildcard: qname covered, wildcard's bitmap without the type", () => {
      const wild = nsecChain([
        { name: "example.", types: APEX_TYPES },
        { name: "*.example.", types: ["TXT"] },
        { name: "m.example.", types: ["A"] },
        { name: "www.example.", types: ["A"] },
      ]);
      secure(proveNoData("p.example.", "MX", "example.", withNsec(at(wild, "m.example."), at(wild, "*.example."))));
      assert.equal(failure(proveNoData("p.example.", "TXT", "example.", withNsec(at(wild, "m.example."), at(wild, "*.example.")))), "NSEC record for *.example. says TXT exists");
      assert.equal(failure(proveNoData("p.example.", "MX", "example.", withNsec(at(wild, "m.example.")))), "no NSEC record matches p.example. or the wildcard *.example.");
    });

    it("cannot use the parent-side NSEC of a delegation to deny anything but DS (RFC 6840 §4.4)", () => {
      assert.equal(
        failure(proveNoData("sub.example.", "A", "example.", withNsec(at(nsec, "sub.example.")))),
        "NSEC record for sub.example. is from the parent side of a delegation and cannot deny A",
      );
      secure(proveNoData("sub.example.", "DS", "example.", withNsec(at(nsec, "sub.example."))));
    });

    it("cannot use a parent-side NSEC to deny a name below the delegation", () => {
      assert.equal(failure(proveNoData("www.sub.example.", "A", "example.", withNsec(at(nsec, "sub.example.")))), "no NSEC record proves that www.sub.example. has no A records");
    });

    it("cannot use the child's apex NSEC to deny DS", () => {
      const childApex = rr("sub.example.", "NSEC", { nextDomain: "www.sub.example.", rrtypes: ["NS", "SOA", "RRSIG", "NSEC", "DNSKEY"] });
      assert.equal(failure(proveNoData("sub.example.", "DS", "example.", withNsec(childApex))), "NSEC record for sub.example. is from the child zone and cannot deny DS");
    });
  });

  describe("insecure delegation", () => {
    it("is proven by the parent's NSEC with NS and without DS", () => {
      assert.equal(insecure(proveInsecureDelegation("sub.example.", "example.", withNsec(at(nsec, "sub.example.")))), "sub.example. is an unsigned delegation: its parent example. proves there is no DS");
    });

    it("fails for a signed delegation (DS bit)", () => {
      assert.equal(failure(proveInsecureDelegation("secure.example.", "example.", withNsec(at(nsec, "secure.example.")))), "NSEC record for secure.example. says DS exists");
    });

    it("fails for a name that is not a delegation (no NS bit)", () => {
      assert.equal(failure(proveInsecureDelegation("www.example.", "example.", withNsec(at(nsec, "www.example.")))), "the denial of DS for www.example. does not show a delegation (no NS bit)");
      assert.equal(failure(proveInsecureDelegation("c.example.", "example.", withNsec(at(nsec, "alias.example.")))), "the denial of DS for c.example. does not show a delegation (no NS bit)");
    });
  });

  describe("wildcard answer", () => {
    const wild = nsecChain([
      { name: "example.", types: APEX_TYPES },
      { name: "*.example.", types: ["A"] },
      { name: "m.example.", types: ["A"] },
      { name: "www.example.", types: ["A"] },
    ]);

    it("is valid when an NSEC proves the query name does not exist", () => {
      // p.example. sorts between m.example. and www.example.
      secure(proveWildcardAnswer("p.example.", "*.example.", "example.", withNsec(at(wild, "m.example."))));
    });

    it("is invalid when the query name exists", () => {
      assert.equal(
        failure(proveWildcardAnswer("www.example.", "*.example.", "example.", { nsec: wild, nsec3: [] })),
        "wildcard answer for www.example. from *.example. lacks the NSEC proof that www.example. does not exist",
      );
    });

    it("is invalid without any denial records", () => {
      assert.equal(failure(proveWildcardAnswer("p.example.", "*.example.", "example.", withNsec())), "the answer for p.example. from example. carries no NSEC or NSEC3 records to prove it");
    });

    it(
      "is invalid when a closer encloser than the wildcard's exists (RFC 4035 §5.3.4)",
      () => {
        // m.example. exists, so *.example. cannot answer a.m.example. (RFC 4592 §4: the closest encloser is m.example.),
        // yet the NSEC m.example. -> www.example. does cover a.m.example.
        assert.equal(proveWildcardAnswer("a.m.example.", "*.example.", "example.", withNsec(at(wild, "m.example."))).ok, false);
      },
    );
  });
});

describe("NSEC3 (RFC 5155 §8)", () => {
  const salt = Uint8Array.from([0xaa, 0xbb, 0xcc, 0xdd]);
  const params = { salt, iterations: 1 };
  const ZONE: ZoneName[] = [
    { name: "example.", types: [...APEX_TYPES, "NSEC3PARAM"] },
    { name: "a.b.example.", types: ["A", "RRSIG"] },
    { name: "b.example.", types: [] }, // empty non-terminal (RFC 5155 §7.1)
    { name: "alias.example.", types: ["CNAME", "RRSIG"] },
    { name: "secure.example.", types: ["NS", "DS", "RRSIG"] },
    { name: "sub.example.", types: ["NS"] },
    { name: "www.example.", types: ["A", "RRSIG"] },
  ];
  const chain = nsec3Chain("example.", ZONE, params);

  /** What a server sends for NXDOMAIN (RFC 5155 §7.2.2): closest encloser match, next closer cover, wildcard cover. */
  function nameErrorProof(records: readonly ResourceRecord[], encloser: string, nextCloser: string): ResourceRecord[] {
    const wildcard = `*.${encloser}`;
    return [nsec3Matching(records, encloser) as ResourceRecord, nsec3Covering(records, nextCloser), nsec3Covering(records, wildcard)];
  }

  describe("name error", () => {
    it("is proven by the closest encloser proof and a cover of the wildcard", () => {
      secure(proveNameError("nope.example.", "example.", withNsec3(...nameErrorProof(chain, "example.", "nope.example."))));
      secure(proveNameError("deep.x.example.", "example.", withNsec3(...nameErrorProof(chain, "example.", "x.example."))));
    });

    it("finds an empty non-terminal as the closest encloser", () => {
      secure(proveNameError("x.b.example.", "example.", withNsec3(...nameErrorProof(chain, "b.example.", "x.b.example."))));
    });

    it("reads owner hashes case-insensitively", () => {
      const upper = nameErrorProof(chain, "example.", "nope.example.").map((record) => ({ ...record, name: record.name.toUpperCase() }));
      secure(proveNameError("nope.example.", "example.", withNsec3(...upper)));
    });

    it("fails without the wildcard cover", () => {
      const [encloser, nextCloser, wildcard] = nameErrorProof(chain, "example.", "nope.example.");
      assert.notEqual(nextCloser, wildcard, "fixture: one record would cover both");
      const reason = failure(proveNameError("nope.example.", "example.", withNsec3(encloser as ResourceRecord, nextCloser as ResourceRecord)));
      assert.equal(reason, "no NSEC3 record proves that the wildcard *.example. does not exist");
    });

    it("fails without the next closer cover", () => {
      const [encloser, nextCloser, wildcard] = nameErrorProof(chain, "example.", "nope.example.");
      assert.notEqual(nextCloser, wildcard, "fixture: one record would cover both");
      const reason = failure(proveNameError("nope.example.", "example.", withNsec3(encloser as ResourceRecord, wildcard as ResourceRecord)));
      assert.equal(reason, "no NSEC3 record covers the next closer name nope.example.");
    });

    it("fails without a closest encloser match", () => {
      const [, nextCloser, wildcard] = nameErrorProof(chain, "example.", "nope.example.");
      const reason = failure(proveNameError("nope.example.", "example.", withNsec3(nextCloser as ResourceRecord, wildcard as ResourceRecord)));
      assert.equal(reason, "no NSEC3 record proves a closest encloser of nope.example.");
    });

    it("fails for a name that has an NSEC3 of its own", () => {
      assert.equal(failure(proveNameError("www.example.", "example.", withNsec3(...chain))), "NXDOMAIN for www.example., but an NSEC3 record matches it");
    });

    it("fails when the wildcard exists", () => {
      const wild = nsec3Chain("example.", [{ name: "example.", types: APEX_TYPES }, { name: "*.example.", types: ["TXT", "RRSIG"] }, { name: "www.example.", types: ["A", "RRSIG"] }], params);
      assert.equal(failure(proveNameError("x.example.", "example.", withNsec3(...wild))), "no NSEC3 record proves that the wildcard *.example. does not exist");
    });

    it("ignores NSEC3 records owned outside the zone", () => {
      // The right hashes, but owned by names under other.: they do not speak for example.
      const proof = nameErrorProof(chain, "example.", "nope.example.");
      const moved = proof.map((record) => ({ ...record, name: record.name.replace(/example\.$/, "other.") }));
      secure(proveNameError("nope.example.", "example.", withNsec3(...proof)));
      assert.equal(failure(proveNameError("nope.example.", "example.", withNsec3(...moved))), "no NSEC3 record proves a closest encloser of nope.example.");
    });

    it(
      "cannot take a parent-side NSEC3 at a delegation as the closest encloser (RFC 6840 §4.1)",
      () => {
        // The parent knows nothing below sub.example.; only the child can say www.sub.example. does not exist.
        const forged = nameErrorProof(chain, "sub.example.", "www.sub.example.");
        assert.equal(proveNameError("www.sub.example.", "example.", withNsec3(...forged)).ok, false);
      },
    );

    it("uses the salt and iterations of the records", () => {
      // Hashed without the salt, the chain's owners match nothing.
      const unsalted = chain.map((record) => ({ ...record, data: { ...(record.data as Nsec3Data), salt: new Uint8Array(0) } }));
      assert.notEqual(hashIn(unsalted, "example."), hashIn(chain, "example."));
      assert.equal(failure(proveNameError("nope.example.", "example.", withNsec3(...unsalted))), "no NSEC3 record proves a closest encloser of nope.example.");
    });
  });

  describe("no data", () => {
    it("is proven by the name's NSEC3 without the type", () => {
      secure(proveNoData("www.example.", "MX", "example.", withNsec3(nsec3Matching(chain, "www.example.") as ResourceRecord)));
    });

    it("fails when the bitmap has the type or CNAME", () => {
      assert.equal(failure(proveNoData("www.example.", "A", "example.", withNsec3(...chain))), "NSEC3 record for www.example. says A exists");
      assert.equal(failure(proveNoData("alias.example.", "A", "example.", withNsec3(...chain))), "NSEC3 record for alias.example. says it is a CNAME");
    });

    it("is proven for an empty non-terminal by its empty-bitmap NSEC3", () => {
      secure(proveNoData("b.example.", "A", "example.", withNsec3(nsec3Matching(chain, "b.example.") as ResourceRecord)));
    });

    it("fails when nothing matches and there is no wildcard", () => {
      assert.equal(failure(proveNoData("nope.example.", "A", "example.", withNsec3(...chain))), "no NSEC3 record matches nope.example. or the wildcard *.example.");
    });

    it("is proven through the wildcard (RFC 5155 §8.7)", () => {
      const wild = nsec3Chain("example.", [{ name: "example.", types: APEX_TYPES }, { name: "*.example.", types: ["TXT", "RRSIG"] }, { name: "www.example.", types: ["A", "RRSIG"] }], params);
      secure(proveNoData("x.example.", "MX", "example.", withNsec3(...wild)));
      assert.equal(failure(proveNoData("x.example.", "TXT", "example.", withNsec3(...wild))), "NSEC3 record for *.example. says TXT exists");
    });

    it("cannot use a parent-side NSEC3 at a delegation to deny anything but DS", () => {
      assert.equal(failure(proveNoData("sub.example.", "A", "example.", withNsec3(...chain))), "NSEC3 record for sub.example. is from the parent side of a delegation and cannot deny A");
    });
  });

  describe("insecure delegation", () => {
    it("is proven by the parent's NSEC3 with NS and without DS", () => {
      assert.match(insecure(proveInsecureDelegation("sub.example.", "example.", withNsec3(nsec3Matching(chain, "sub.example.") as ResourceRecord))), /^sub\.example\. is an unsigned delegation/);
    });

    it("fails for a signed delegation and for a name that is not a delegation", () => {
      assert.equal(failure(proveInsecureDelegation("secure.example.", "example.", withNsec3(...chain))), "NSEC3 record for secure.example. says DS exists");
      assert.equal(failure(proveInsecureDelegation("www.example.", "example.", withNsec3(...chain))), "the denial of DS for www.example. does not show a delegation (no NS bit)");
    });
  });

  describe("opt-out (RFC 5155 §6, §8.6)", () => {
    // unsigned.example. is an unsigned delegation the opt-out chain skips.
    const SPARSE: ZoneName[] = [
      { name: "example.", types: [...APEX_TYPES, "NSEC3PARAM"] },
      { name: "secure.example.", types: ["NS", "DS", "RRSIG"] },
      { name: "www.example.", types: ["A", "RRSIG"] },
    ];
    const optOut = nsec3Chain("example.", SPARSE, { ...params, optOut: true });
    const strict = nsec3Chain("example.", SPARSE, params);

    it("proves an insecure delegation for a DS query covered by an opt-out NSEC3", () => {
      const proof = [nsec3Matching(optOut, "example.") as ResourceRecord, nsec3Covering(optOut, "unsigned.example.")];
      assert.equal(insecure(proveNoData("unsigned.example.", "DS", "example.", withNsec3(...proof))), "unsigned.example. is an unsigned delegation under an opt-out NSEC3 record");
      assert.equal(insecure(proveInsecureDelegation("unsigned.example.", "example.", withNsec3(...proof))), "unsigned.example. is an unsigned delegation under an opt-out NSEC3 record");
    });

    it("proves nothing for the same DS query without the opt-out flag", () => {
      const proof = [nsec3Matching(strict, "example.") as ResourceRecord, nsec3Covering(strict, "unsigned.example.")];
      assert.equal(failure(proveInsecureDelegation("unsigned.example.", "example.", withNsec3(...proof))), "no NSEC3 record matches unsigned.example. or the wildcard *.example.");
    });

    it("makes an NXDOMAIN proof insecure (RFC 5155 §9.2)", () => {
      const proof = nameErrorProof(optOut, "example.", "nope.example.");
      assert.equal(insecure(proveNameError("nope.example.", "example.", withNsec3(...proof))), "NXDOMAIN for nope.example. is covered by an opt-out NSEC3 record");
      secure(proveNameError("nope.example.", "example.", withNsec3(...nameErrorProof(strict, "example.", "nope.example."))));
    });
  });

  describe("parameters the validator will not judge", () => {
    it(`treats more than ${MAX_NSEC3_ITERATIONS} iterations as insecure (RFC 9276 §3.2)`, () => {
      const costly = nsec3Chain("example.", ZONE, { salt, iterations: MAX_NSEC3_ITERATIONS + 1 });
      assert.equal(insecure(proveNameError("nope.example.", "example.", withNsec3(...costly))), `NSEC3 records of example. use ${MAX_NSEC3_ITERATIONS + 1} iterations (more than ${MAX_NSEC3_ITERATIONS})`);
      assert.match(insecure(proveNoData("www.example.", "A", "example.", withNsec3(...costly))), /iterations/);
    });

    it(`still judges exactly ${MAX_NSEC3_ITERATIONS} iterations`, () => {
      const limit = nsec3Chain("example.", ZONE, { salt, iterations: MAX_NSEC3_ITERATIONS });
      secure(proveNameError("nope.example.", "example.", withNsec3(...limit)));
      assert.equal(failure(proveNoData("www.example.", "A", "example.", withNsec3(...limit))), "NSEC3 record for www.example. says A exists");
    });

    it("treats an unknown hash algorithm as insecure", () => {
      const unknown = nsec3Chain("example.", ZONE, { ...params, algorithm: 2 });
      assert.equal(insecure(proveNameError("nope.example.", "example.", withNsec3(...unknown))), "NSEC3 records of example. use an unknown hash algorithm");
    });
  });

  describe("wildcard answer (RFC 5155 §8.8)", () => {
    const wild = nsec3Chain("example.", [{ name: "example.", types: APEX_TYPES }, { name: "*.example.", types: ["A", "RRSIG"] }, { name: "www.example.", types: ["A", "RRSIG"] }], params);

    it("is valid when the next closer name is covered", () => {
      secure(proveWildcardAnswer("x.example.", "*.example.", "example.", withNsec3(nsec3Covering(wild, "x.example."))));
      // For a.b.x.example. from *.example. the next closer name is x.example.
      secure(proveWildcardAnswer("a.b.x.example.", "*.example.", "example.", withNsec3(nsec3Covering(wild, "x.example."))));
    });

    it("is invalid when the next closer name is not covered", () => {
      const elsewhere = wild.filter((record) => record !== nsec3Covering(wild, "x.example."));
      assert.equal(
        failure(proveWildcardAnswer("x.example.", "*.example.", "example.", withNsec3(...elsewhere))),
        "wildcard answer for x.example. from *.example. lacks the NSEC3 proof that x.example. does not exist",
      );
    });

    it("is invalid when the next closer name exists", () => {
      // www.example. exists, so *.example. cannot answer for a.www.example.
      assert.equal(
        failure(proveWildcardAnswer("a.www.example.", "*.example.", "example.", withNsec3(...wild))),
        "wildcard answer for a.www.example. from *.example. lacks the NSEC3 proof that www.example. does not exist",
      );
    });
  });
});
