import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { after, before, beforeEach, describe, it } from "node:test";
import { AddressRefusedError } from "./address-policy.ts";
import { dsRecord, generateKey, rr, sign, type ZoneKey } from "./dnssec/fixtures/signer.ts";
import { FakeZone, referralTo, startFakeNetwork, type FakeNetwork, type FakeServer } from "./fixtures/fake-servers.ts";
import { createResolver, type Resolution, type Resolver, type ResolverOptions } from "./resolver.ts";
import type { Message, ResourceRecord } from "./types.ts";
import { canonicalName, labelCount, type RrsigData } from "./wire.ts";

// A small signed namespace on loopback, one server per zone:
//
//   .              127.54.0.1   signed (the trust anchor is its DS)
//   test.          127.54.0.2   signed, DS in .
//   example.test.  127.54.0.3   signed, DS in test.
//   unsigned.test. 127.54.0.4   unsigned; test. proves with NSEC that it has no DS
//   ttl0.test.     127.54.0.4   unsigned, delegated with NS TTL 0
//   *loop* zones   127.54.0.5   upward.test., self.test., deeper.test., fanout.test.: referral loops
//   dead.test.     127.54.0.6   never answers
//   elsewhere.     127.54.0.7   unsigned; holds ns.elsewhere. A 127.54.0.8
//   victim.test.   127.54.0.8   signed, NS ns.elsewhere.; test. plants glue for it pointing at .9
//   (poison)       127.54.0.9   must never be asked
//   bank.test.     127.54.0.10  signed, DS in test.

const ROOT = "127.54.0.1";
const TEST = "127.54.0.2";
const EXAMPLE = "127.54.0.3";
const UNSIGNED = "127.54.0.4";
const LOOPS = "127.54.0.5";
const DEAD = "127.54.0.6";
const ELSEWHERE = "127.54.0.7";
const VICTIM = "127.54.0.8";
const POISON = "127.54.0.9";
const BANK = "127.54.0.10";

/** The resolver's clock: signatures are valid around it whatever the real date. */
const NOW_MS = Date.UTC(2025, 0, 15, 12);
const NOW = NOW_MS / 1000;
const validity = { inception: NOW - 86_400, expiration: NOW + 30 * 86_400 };
const TIMEOUT_MS = 300;
const RETRIES = 1;
/** What the brief allows one resolution to send, above the resolver's own budget of 400. */
const QUERY_LIMIT = 500;
const CACHE_NAMES = 50;

const keys = {
  root: generateKey(".", { seed: "resolver-test root" }),
  test: generateKey("test.", { seed: "resolver-test test" }),
  example: generateKey("example.test.", { seed: "resolver-test example" }),
  victim: generateKey("victim.test.", { seed: "resolver-test victim" }),
  bank: generateKey("bank.test.", { seed: "resolver-test bank" }),
};

/** NS (and DS, when the child is signed) for a delegation, as the parent holds them. */
function delegation(child: string, nameServer: string, childKey?: ZoneKey): ResourceRecord[] {
  return [rr(child, "NS", nameServer, 3600), ...(childKey ? [dsRecord(childKey)] : [])];
}

const rootZone = new FakeZone({
  name: ".",
  nameServers: ["a.root-servers.net."],
  key: keys.root,
  validity,
  records: [...delegation("test.", "ns.test.", keys.test), ...delegation("elsewhere.", "ns0.elsewhere.")],
  glue: [rr("a.root-servers.net.", "A", ROOT), rr("ns.test.", "A", TEST), rr("ns0.elsewhere.", "A", ELSEWHERE)],
});

const LOOP_ZONES = ["upward.test.", "self.test.", "deeper.test.", "fanout.test."];

const testZone = new FakeZone({
  name: "test.",
  nameServers: ["ns.test."],
  key: keys.test,
  validity,
  records: [
    rr("ns.test.", "A", TEST),
    ...delegation("example.test.", "ns1.example.test.", keys.example),
    ...delegation("unsigned.test.", "ns.unsigned.test."),
    ...delegation("dead.test.", "ns.dead.test."),
    ...delegation("victim.test.", "ns.elsewhere.", keys.victim),
    ...delegation("bank.test.", "ns.bank.test.", keys.bank),
    ...LOOP_ZONES.flatMap((zone) => delegation(zone, `ns.${zone}`)),
    // A delegation that must not be cached (RFC 1035 §3.2.1: TTL 0 means use it for this transaction only).
    rr("ttl0.test.", "NS", "ns.ttl0.test.", 0),
  ],
  glue: [
    rr("ns1.example.test.", "A", EXAMPLE),
    rr("ns.unsigned.test.", "A", UNSIGNED),
    rr("ns.ttl0.test.", "A", UNSIGNED),
    rr("ns.dead.test.", "A", DEAD),
    rr("ns.bank.test.", "A", BANK),
    // Out of bailiwick for test.: a resolver that takes it sends victim.test.'s queries to the poison server.
    rr("ns.elsewhere.", "A", POISON),
    ...LOOP_ZONES.map((zone) => rr(`ns.${zone}`, "A", LOOPS)),
  ],
});

const exampleZone = new FakeZone({
  name: "example.test.",
  nameServers: ["ns1.example.test."],
  key: keys.example,
  validity,
  records: [
    rr("ns1.example.test.", "A", EXAMPLE),
    rr("www.example.test.", "A", "192.0.2.80"),
    rr("tampered.example.test.", "A", "192.0.2.66"),
    rr("alias.example.test.", "CNAME", "www.unsigned.test."),
    rr("to-bank.example.test.", "CNAME", "www.bank.test."),
    rr("loop-a.example.test.", "CNAME", "loop-b.example.test."),
    rr("loop-b.example.test.", "CNAME", "loop-a.example.test."),
    ...Array.from({ length: CACHE_NAMES }, (_, index) => rr(`h${index}.example.test.`, "A", `198.51.100.${index}`)),
  ],
});
exampleZone.tamper("tampered.example.test.", "A");

const unsignedZone = new FakeZone({
  name: "unsigned.test.",
  nameServers: ["ns.unsigned.test."],
  records: [rr("ns.unsigned.test.", "A", UNSIGNED), rr("www.unsigned.test.", "A", "192.0.2.44")],
});

const ttl0Zone = new FakeZone({
  name: "ttl0.test.",
  nameServers: ["ns.ttl0.test."],
  records: [rr("ns.ttl0.test.", "A", UNSIGNED), rr("a.ttl0.test.", "A", "192.0.2.1"), rr("b.ttl0.test.", "A", "192.0.2.2")],
});

const elsewhereZone = new FakeZone({
  name: "elsewhere.",
  nameServers: ["ns0.elsewhere."],
  records: [rr("ns0.elsewhere.", "A", ELSEWHERE), rr("ns.elsewhere.", "A", VICTIM)],
});

const victimZone = new FakeZone({
  name: "victim.test.",
  nameServers: ["ns.elsewhere."],
  key: keys.victim,
  validity,
  records: [rr("www.victim.test.", "A", "192.0.2.88")],
});

const bankZone = new FakeZone({
  name: "bank.test.",
  nameServers: ["ns.bank.test."],
  key: keys.bank,
  validity,
  records: [rr("ns.bank.test.", "A", BANK), rr("www.bank.test.", "A", "192.0.2.10")],
});

const rootHints = [rr(".", "NS", "a.root-servers.net.", 518_400), rr("a.root-servers.net.", "A", ROOT, 518_400)];
const trustAnchors = [dsRecord(keys.root)];

let network: FakeNetwork;

before(async () => {
  network = await startFakeNetwork(10);
  const zonesAt: [string, FakeZone][] = [
    [ROOT, rootZone], [TEST, testZone], [EXAMPLE, exampleZone], [UNSIGNED, unsignedZone], [UNSIGNED, ttl0Zone],
    [ELSEWHERE, elsewhereZone], [VICTIM, victimZone], [BANK, bankZone],
  ];
  for (const [address, zone] of zonesAt) network.at(address).zones.push(zone);
  // 127.54.0.5 answers through the loop tests' behaviours; .9 (poison) serves no zone and would answer REFUSED.
});

after(async () => {
  await network.close();
});

beforeEach(() => {
  network.reset();
  // Drops every query: no answer, no error, only timeouts.
  network.at(DEAD).behaviour = () => undefined;
});

/** A fresh resolver (empty caches) pointed at the fake root. */
function newResolver(options: ResolverOptions = {}): Resolver {
  return createResolver({
    rootHints,
    trustAnchors,
    allowPrivate: true,
    port: network.port,
    timeoutMs: TIMEOUT_MS,
    retries: RETRIES,
    now: () => NOW_MS,
    ...options,
  });
}

/** How many times `server` was asked `name` `type`. */
function asked(server: FakeServer, name: string, type: string): number {
  return server.queries.filter((question) => canonicalName(question.name) === canonicalName(name) && question.type === type).length;
}

/** Resolves and reports how many queries all servers received meanwhile, and how long it took. */
async function measured(resolver: Resolver, name: string, type = "A"): Promise<{ result: Resolution; queries: number; elapsedMs: number }> {
  const queriesBefore = network.totalQueries();
  const started = performance.now();
  const result = await resolver.resolve(name, type);
  return { result, queries: network.totalQueries() - queriesBefore, elapsedMs: performance.now() - started };
}

/** NSEC records and their RRSIGs: the proof of a negative answer. */
function isDenial(record: ResourceRecord): boolean {
  return record.type === "NSEC" || (record.type === "RRSIG" && (record.data as RrsigData).typeCovered === "NSEC");
}

function addresses(result: Resolution): string[] {
  return result.answer.filter((record) => record.type === "A").map((record) => record.data);
}

describe("resolver: a signed delegation chain", () => {
  it("validates www.example.test. A as secure along ., test., example.test.", async () => {
    const result = await newResolver().resolve("www.example.test.", "A");
    assert.equal(result.rcode, "NOERROR");
    assert.equal(result.security, "secure");
    assert.equal(result.reason, null);
    assert.deepEqual(result.answer, [{ name: "www.example.test.", type: "A", ttl: 300, data: "192.0.2.80" }]);
    assert.deepEqual(result.chain.map((link) => [link.zone, link.security]), [[".", "secure"], ["test.", "secure"], ["example.test.", "secure"]]);
    assert.deepEqual(result.chain.map((link) => link.dsKeyTags), [[keys.root.keyTag], [keys.test.keyTag], [keys.example.keyTag]]);
    assert.deepEqual(result.referrals.map((referral) => [referral.from, referral.to]), [[".", "test."], ["test.", "example.test."]]);
  });

  it("serves the repeated question from its cache, without a query", async () => {
    const resolver = newResolver();
    const first = await resolver.resolve("www.example.test.", "A");
    const again = await measured(resolver, "WWW.Example.Test", "a");
    assert.equal(again.queries, 0);
    assert.deepEqual(again.result, first);
  });

  it("reuses known delegations and keys for another name of the same zone", async () => {
    const resolver = newResolver();
    await resolver.resolve("www.example.test.", "A");
    const other = await measured(resolver, "ns1.example.test.", "A");
    assert.equal(other.result.security, "secure");
    assert.deepEqual(addresses(other.result), [EXAMPLE]);
    // One question to the zone's own server: no referral from the root or test. again, no DS or DNSKEY again.
    assert.equal(other.queries, 1);
  });

  it("shares one resolution between concurrent identical questions", async () => {
    const alone = await measured(newResolver(), "www.example.test.", "A");
    const resolver = newResolver();
    const queriesBefore = network.totalQueries();
    const [one, two] = await Promise.all([resolver.resolve("www.example.test.", "A"), resolver.resolve("www.example.test.", "A")]);
    assert.equal(network.totalQueries() - queriesBefore, alone.queries);
    assert.deepEqual(one, two);
  });

  it("proves a name error with NSEC: NXDOMAIN, secure", async () => {
    const result = await newResolver().resolve("nope.example.test.", "A");
    assert.equal(result.rcode, "NXDOMAIN");
    assert.equal(result.security, "secure");
    assert.deepEqual(result.answer, []);
  });

  it("caches a proven NXDOMAIN for its negative TTL (RFC 2308)", async () => {
    const resolver = newResolver();
    const first = await measured(resolver, "gone.example.test.");
    assert.equal(first.result.rcode, "NXDOMAIN");
    assert.ok(first.queries > 0);
    const again = await measured(resolver, "gone.example.test.");
    assert.equal(again.result.rcode, "NXDOMAIN");
    assert.equal(again.queries, 0, "the second answer comes from the cache");
  });

  it("calls an NXDOMAIN without its NSEC proof bogus", async () => {
    network.at(EXAMPLE).behaviour = (_query, standard) => {
      const response = standard();
      return { ...response, authorities: response.authorities.filter((record) => !isDenial(record)) };
    };
    const result = await newResolver().resolve("nope.example.test.", "A");
    assert.equal(result.rcode, "SERVFAIL");
    assert.equal(result.security, "bogus");
    assert.match(result.reason ?? "", /example\.test\./);
  });

  it("proves that a name has no data of a type: NOERROR, empty, secure", async () => {
    const result = await newResolver().resolve("www.example.test.", "AAAA");
    assert.equal(result.rcode, "NOERROR");
    assert.equal(result.security, "secure");
    assert.deepEqual(result.answer, []);
  });
});

describe("resolver: insecure delegations", () => {
  it("returns the answer of an unsigned child as insecure when the parent proves there is no DS", async () => {
    const result = await newResolver().resolve("www.unsigned.test.", "A");
    assert.equal(result.rcode, "NOERROR");
    assert.equal(result.security, "insecure");
    assert.equal(result.reason, null);
    assert.deepEqual(addresses(result), ["192.0.2.44"]);
    assert.deepEqual(result.chain.map((link) => [link.zone, link.security]), [[".", "secure"], ["test.", "secure"], ["unsigned.test.", "insecure"]]);
  });

  it("calls a missing DS without a proof of absence bogus, not insecure (no downgrade)", async () => {
    // An attacker strips the NSEC that would prove unsigned.test. has no DS.
    network.at(TEST).behaviour = (query, standard) => {
      const response = standard();
      if (query.questions[0]?.type !== "DS") return response;
      return { ...response, authorities: response.authorities.filter((record) => !isDenial(record)) };
    };
    const result = await newResolver().resolve("www.unsigned.test.", "A");
    assert.equal(result.rcode, "SERVFAIL");
    assert.equal(result.security, "bogus");
    assert.match(result.reason ?? "", /unsigned\.test\./);
    assert.deepEqual(result.answer, []);
  });
});

describe("resolver: bogus answers", () => {
  it("answers SERVFAIL, bogus, naming the record, when an RRSIG was tampered with", async () => {
    const result = await newResolver().resolve("tampered.example.test.", "A");
    assert.equal(result.rcode, "SERVFAIL");
    assert.equal(result.security, "bogus");
    assert.match(result.reason ?? "", /tampered\.example\.test\. A/);
    assert.deepEqual(result.answer, []);
  });

  it("answers SERVFAIL, bogus, when the data was changed under a valid RRSIG", async () => {
    network.at(EXAMPLE).behaviour = (_query, standard) => {
      const response = standard();
      return { ...response, answers: response.answers.map((record) => (record.type === "A" ? { ...record, data: "203.0.113.66" } : record)) };
    };
    const result = await newResolver().resolve("www.example.test.", "A");
    assert.equal(result.rcode, "SERVFAIL");
    assert.equal(result.security, "bogus");
    assert.match(result.reason ?? "", /www\.example\.test\. A/);
    assert.deepEqual(result.answer, []);
  });
});

describe("resolver: missing and forged signatures", () => {
  it("calls an answer whose RRSIG was stripped bogus", async () => {
    network.at(EXAMPLE).behaviour = (query, standard) => {
      const response = standard();
      if (query.questions[0]?.type !== "A") return response;
      return { ...response, answers: response.answers.filter((record) => record.type !== "RRSIG") };
    };
    const result = await newResolver().resolve("www.example.test.", "A");
    assert.equal(result.rcode, "SERVFAIL");
    assert.equal(result.security, "bogus");
    assert.match(result.reason ?? "", /www\.example\.test\. A/);
  });

  it("calls an answer bogus whose forged RRSIG claims an unsigned child zone signed it", async () => {
    // If www.example.test. were an unsigned zone, its answers would be insecure; example.test. proves it is not a zone cut.
    const forger = generateKey("www.example.test.", { seed: "resolver-test forger" });
    network.at(EXAMPLE).behaviour = (_query, standard) => {
      const response = standard();
      const rrset = response.answers.filter((record) => record.type === "A");
      if (rrset.length === 0) return response;
      return { ...response, answers: [...rrset, sign(rrset, { signer: "www.example.test.", key: forger, ...validity })] };
    };
    const result = await newResolver().resolve("www.example.test.", "A");
    assert.equal(result.rcode, "SERVFAIL");
    assert.equal(result.security, "bogus");
    assert.deepEqual(result.answer, []);
  });
});

describe("resolver: referral loops end", () => {
  /** Runs `name` against the loop server's `behaviour` and checks the resolution failed within bounds. */
  async function endsInServfail(name: string, zone: string, behaviour: (query: Message) => Message | undefined): Promise<Resolution> {
    network.at(LOOPS).behaviour = behaviour;
    const { result, queries, elapsedMs } = await measured(newResolver(), name);
    assert.equal(result.rcode, "SERVFAIL");
    assert.equal(result.security, "indeterminate");
    assert.match(result.reason ?? "", new RegExp(zone.replaceAll(".", "\\.")));
    assert.ok(queries < QUERY_LIMIT, `${queries} queries for ${name}`);
    // Every server answers at once: only a loop that never ends could take long.
    assert.ok(elapsedMs < 3000, `${Math.round(elapsedMs)} ms for ${name}`);
    return result;
  }

  it("gives up on a server that refers back up to test.", async () => {
    await endsInServfail("www.upward.test.", "upward.test.", (query) => referralTo(query, "test.", [{ name: "ns.test.", address: TEST }]));
  });

  it("gives up on a server that refers back up to the root", async () => {
    await endsInServfail("www.upward.test.", "upward.test.", (query) => referralTo(query, ".", [{ name: "a.root-servers.net.", address: ROOT }]));
  });

  it("gives up on a server that refers to its own zone", async () => {
    await endsInServfail("www.self.test.", "self.test.", (query) => referralTo(query, "self.test.", [{ name: "ns.self.test.", address: LOOPS }]));
  });

  it("stops following a server that refers one label deeper every time", async () => {
    // 100 labels would allow 100 referrals, each strictly closer to the name: only a cap on referrals stops earlier.
    const name = `${Array.from({ length: 100 }, () => "a").join(".")}.deeper.test.`;
    const asks = new Map<string, number>();
    const loopsAsked = network.at(LOOPS).queries.length;
    const result = await endsInServfail(name, "deeper.test.", (query) => {
      const qname = canonicalName(query.questions[0]?.name ?? ".");
      const count = (asks.get(qname) ?? 0) + 1;
      asks.set(qname, count);
      // The n-th time, refer to the ancestor of qname n labels below deeper.test.
      const keep = labelCount("deeper.test.") + count;
      const labels = qname.split(".").filter(Boolean);
      const child = `${labels.slice(Math.max(0, labels.length - keep)).join(".")}.`;
      return referralTo(query, child, [{ name: `ns.${child}`, address: LOOPS }]);
    });
    assert.match(result.reason ?? "", /referrals/);
    const followed = network.at(LOOPS).queries.length - loopsAsked;
    assert.ok(followed < 50, `${followed} referrals followed`);
  });

  it(
    "bounds the queries of glueless referrals whose name servers need glueless referrals",
    async () => {
      // Every question is answered with a delegation of the question's own name to three
      // fresh name servers without glue; each look-up of one of them does the same.
      let fresh = 0;
      await endsInServfail("www.fanout.test.", "www.fanout.test.", (query) => {
        const child = canonicalName(query.questions[0]?.name ?? ".");
        const servers = [1, 2, 3].map(() => ({ name: `n${++fresh}.fanout.test.` }));
        return referralTo(query, child, servers);
      });
    },
  );
});

describe("resolver: glue and answers from outside a zone", () => {
  it("ignores out-of-bailiwick glue and looks the name server up itself", async () => {
    const result = await newResolver().resolve("www.victim.test.", "A");
    assert.equal(result.rcode, "NOERROR");
    assert.equal(result.security, "secure");
    assert.deepEqual(addresses(result), ["192.0.2.88"]);
    assert.equal(network.at(POISON).queries.length, 0, "the planted glue address was queried");
    assert.ok(asked(network.at(ELSEWHERE), "ns.elsewhere.", "A") >= 1, "ns.elsewhere. was not looked up in elsewhere.");
    assert.ok(asked(network.at(VICTIM), "www.victim.test.", "A") >= 1);
  });

  it("leaves records for other names in the answer section out of the result", async () => {
    network.at(EXAMPLE).behaviour = (query, standard) => {
      const response = standard();
      if (canonicalName(query.questions[0]?.name ?? ".") !== "www.example.test.") return response;
      return { ...response, answers: [...response.answers, rr("www.bank.test.", "A", "203.0.113.66")] };
    };
    const resolver = newResolver();
    const result = await resolver.resolve("www.example.test.", "A");
    assert.equal(result.security, "secure");
    assert.deepEqual(result.answer, [{ name: "www.example.test.", type: "A", ttl: 300, data: "192.0.2.80" }]);
    // Nor does the planted record answer a later question for its name.
    const bankAsked = asked(network.at(BANK), "www.bank.test.", "A");
    const bank = await resolver.resolve("www.bank.test.", "A");
    assert.deepEqual(addresses(bank), ["192.0.2.10"]);
    assert.equal(bank.security, "secure");
    assert.equal(asked(network.at(BANK), "www.bank.test.", "A"), bankAsked + 1);
  });

  it("follows a CNAME out of the zone by asking the target's own servers, not by trusting the extra record", async () => {
    network.at(EXAMPLE).behaviour = (_query, standard) => {
      const response = standard();
      return { ...response, answers: [...response.answers, rr("www.bank.test.", "A", "203.0.113.66")] };
    };
    const bankAsked = asked(network.at(BANK), "www.bank.test.", "A");
    const result = await newResolver().resolve("to-bank.example.test.", "A");
    assert.equal(result.security, "secure");
    assert.deepEqual(result.answer.map((record) => [record.name, record.type, record.data]), [
      ["to-bank.example.test.", "CNAME", "www.bank.test."],
      ["www.bank.test.", "A", "192.0.2.10"],
    ]);
    assert.equal(asked(network.at(BANK), "www.bank.test.", "A"), bankAsked + 1);
  });
});

describe("resolver: delegation TTLs", () => {
  it(
    "does not keep a delegation whose NS TTL is 0",
    async () => {
      const resolver = newResolver();
      const first = await resolver.resolve("a.ttl0.test.", "A");
      assert.equal(first.security, "insecure");
      assert.deepEqual(addresses(first), ["192.0.2.1"]);
      const second = await resolver.resolve("b.ttl0.test.", "A");
      assert.deepEqual(addresses(second), ["192.0.2.2"]);
      // The referral to ttl0.test. had to be asked for again.
      assert.equal(asked(network.at(TEST), "b.ttl0.test.", "A"), 1);
    },
  );
});

describe("resolver: servers that do not answer", () => {
  it("fails with SERVFAIL, indeterminate, naming the zone, after timeouts × attempts", async () => {
    const deadAsked = network.at(DEAD).queries.length;
    const { result, elapsedMs } = await measured(newResolver(), "www.dead.test.");
    assert.equal(result.rcode, "SERVFAIL");
    assert.equal(result.security, "indeterminate");
    assert.match(result.reason ?? "", /dead\.test\./);
    assert.deepEqual(result.answer, []);
    // One name server, asked once and retried once.
    assert.equal(network.at(DEAD).queries.length - deadAsked, 1 + RETRIES);
    const waited = TIMEOUT_MS * (1 + RETRIES);
    assert.ok(elapsedMs >= waited - 50 && elapsedMs < waited + 1500, `${Math.round(elapsedMs)} ms`);
  });
});

describe("resolver: CNAME chains", () => {
  it("is insecure when a signed CNAME points into an unsigned zone", async () => {
    const result = await newResolver().resolve("alias.example.test.", "A");
    assert.equal(result.rcode, "NOERROR");
    assert.equal(result.security, "insecure");
    assert.deepEqual(result.answer.map((record) => [record.name, record.type, record.data]), [
      ["alias.example.test.", "CNAME", "www.unsigned.test."],
      ["www.unsigned.test.", "A", "192.0.2.44"],
    ]);
  });

  it("ends a CNAME loop with SERVFAIL after asking each name once", async () => {
    const result = await newResolver().resolve("loop-a.example.test.", "A");
    assert.equal(result.rcode, "SERVFAIL");
    assert.deepEqual(result.answer, []);
    assert.match(result.reason ?? "", /loop/);
    assert.equal(asked(network.at(EXAMPLE), "loop-a.example.test.", "A"), 1);
    assert.equal(asked(network.at(EXAMPLE), "loop-b.example.test.", "A"), 1);
  });
});

describe("resolver: address policy", () => {
  it("refuses the loopback root before sending anything when private addresses are not allowed", async () => {
    const queriesBefore = network.totalQueries();
    await assert.rejects(newResolver({ allowPrivate: false }).resolve("www.example.test.", "A"), AddressRefusedError);
    assert.equal(network.totalQueries(), queriesBefore);
  });
});

describe("resolver: bounded cache", () => {
  it("keeps answering correctly past cacheSize and asks again for names it dropped", async () => {
    const resolver = newResolver({ cacheSize: 10 });
    const example = network.at(EXAMPLE);
    for (let index = 0; index < CACHE_NAMES; index++) {
      const result = await resolver.resolve(`h${index}.example.test.`, "A");
      assert.equal(result.security, "secure", `h${index}`);
      assert.deepEqual(addresses(result), [`198.51.100.${index}`]);
    }
    assert.equal(asked(example, "h0.example.test.", "A"), 1);
    const oldest = await resolver.resolve("h0.example.test.", "A");
    assert.deepEqual(addresses(oldest), ["198.51.100.0"]);
    assert.equal(asked(example, "h0.example.test.", "A"), 2, "h0 should have left the cache");
    const newest = await resolver.resolve(`h${CACHE_NAMES - 1}.example.test.`, "A");
    assert.deepEqual(addresses(newest), [`198.51.100.${CACHE_NAMES - 1}`]);
    assert.equal(asked(example, `h${CACHE_NAMES - 1}.example.test.`, "A"), 1, "the newest name should still be cached");
  });
});
