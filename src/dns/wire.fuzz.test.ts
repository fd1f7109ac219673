/**
 * Fuzzing parseMessage: random packets and mutations of valid ones (bit
 * flips, truncations, splices, odd octets, wild counts) must give either a
 * Message or a MalformedMessageError — never another exception, never a hang,
 * never unbounded memory. What parses must survive encode → parse unchanged.
 *
 * The PRNG is seeded: a failure prints the seed; rerun it with
 * DNS_FUZZ_SEED=<seed> node --test src/dns/wire.fuzz.test.ts
 * (DNS_FUZZ_CASES=<n> for a longer run).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message, ResourceRecord } from "./types.ts";
import { buildQuery, encodeMessage, MalformedMessageError, parseMessage } from "./wire.ts";

const SEED = Number(process.env.DNS_FUZZ_SEED ?? Math.floor(Math.random() * 0x100000000));
const CASES = Number(process.env.DNS_FUZZ_CASES ?? 20_000);
/** 5 s for the default 20,000 cases: a quarter of a millisecond each. */
const TIME_BUDGET_MS = CASES / 4;
const HEAP_BUDGET_BYTES = 96 * 1024 * 1024;

/** mulberry32: small, fast, good enough to shake a parser. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x100000000;
  };
}

const rr = (type: string, data: unknown, name = "www.example.org."): ResourceRecord => ({ name, type, class: "IN", ttl: 300, data });
const fill = (length: number, value: number): Uint8Array => new Uint8Array(length).fill(value);

function corpus(): Uint8Array[] {
  const answers = [
    rr("A", "192.0.2.1"), rr("AAAA", "2001:db8::1"), rr("CNAME", "Alias.Example.net."), rr("NS", "ns.example.org."),
    rr("MX", { preference: 5, exchange: "mx.example.org." }), rr("TXT", [fill(20, 0x61), fill(0, 0)]),
    rr("SOA", { mname: "ns.example.org.", rname: "h\\.m.example.org.", serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 }),
    rr("CAA", { flags: 0, tag: "issue", value: "ca.example", issuerCritical: false }), rr("SRV", { priority: 1, weight: 2, port: 3, target: "t.example." }),
    rr("TLSA", { usage: 3, selector: 1, matchingType: 1, certificate: fill(32, 7) }), rr("DS", { keyTag: 1, algorithm: 8, digestType: 2, digest: fill(32, 9) }),
    rr("DNSKEY", { flags: 257, protocol: 3, algorithm: 13, key: fill(64, 3) }),
    rr("RRSIG", { typeCovered: "A", algorithm: 13, labels: 3, originalTTL: 300, expiration: 2, inception: 1, keyTag: 7, signersName: "example.org.", signature: fill(64, 5) }),
    rr("NSEC", { nextDomain: "\\000.www.example.org.", rrtypes: ["A", "RRSIG", "NSEC", "TYPE1234"] }),
    rr("NSEC3", { algorithm: 1, flags: 1, iterations: 0, salt: fill(0, 0), nextDomain: fill(20, 0x11), rrtypes: ["NS", "DS"] }, "abc.example.org."),
    rr("NSEC3PARAM", { algorithm: 1, flags: 0, iterations: 0, salt: fill(4, 0xab) }, "example.org."),
    rr("DNAME", "example.net.", "example.org."), rr("PTR", "host.example.", "1.2.0.192.in-addr.arpa."), rr("TYPE65280", fill(9, 0xee)),
  ];
  const message = (records: ResourceRecord[], edns: boolean): Message => ({
    id: 1, flags: { qr: true, aa: true, tc: false, rd: true, ra: true, ad: false, cd: false }, opcode: "QUERY", rcode: "NOERROR",
    questions: [{ name: "www.example.org.", type: "A" }], answers: records.slice(0, 8), authorities: records.slice(8, 14), additionals: records.slice(14),
    ...(edns ? { edns: { udpPayloadSize: 1232, dnssecOk: true, version: 0, options: [{ code: 10, data: fill(8, 1) }] } } : {}),
  });
  // A compressed answer, as real servers send: owners and targets point back into the question.
  const compressed = Uint8Array.from([
    0, 1, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0,
    3, 0x77, 0x77, 0x77, 7, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 3, 0x6f, 0x72, 0x67, 0, 0, 15, 0, 1,
    0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 5, 2, 0x6d, 0x78, 0xc0, 16,
    0xc0, 16, 0, 15, 0, 1, 0, 0, 0, 60, 0, 4, 0, 10, 0xc0, 12,
  ]);
  return [
    encodeMessage(message(answers, true)),
    encodeMessage(message(answers.slice().reverse(), false)),
    buildQuery({ name: "example.org.", type: "DNSKEY" }).bytes,
    compressed,
  ];
}

type Outcome = { ok: true; message: Message } | { ok: false };

/** The property: a Message or a MalformedMessageError; and what parses, re-encodes to something that parses the same. */
function check(packet: Uint8Array): Outcome {
  let message: Message;
  try {
    message = parseMessage(packet);
  } catch (error) {
    if (error instanceof MalformedMessageError) return { ok: false };
    throw error;
  }
  assert.deepEqual(parseMessage(encodeMessage(message)), message);
  return { ok: true, message };
}

function mutate(random: () => number, seeds: readonly Uint8Array[]): Uint8Array {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const int = (below: number): number => Math.floor(random() * below);
  const base = pick(seeds);
  const packet = Uint8Array.from(base);
  switch (int(7)) {
    case 0: {
      const flips = 1 + int(8);
      for (let index = 0; index < flips; index++) {
        const at = int(packet.length);
        packet[at] = (packet[at] as number) ^ (1 << int(8));
      }
      return packet;
    }
    case 1:
      return packet.slice(0, int(packet.length + 1));
    case 2: {
      const other = pick(seeds);
      return Uint8Array.from([...packet.subarray(0, int(packet.length + 1)), ...other.subarray(int(other.length + 1))]);
    }
    case 3: {
      const odd = [0x00, 0x01, 0x3f, 0x40, 0x80, 0xbf, 0xc0, 0xc1, 0xff];
      const count = 1 + int(6);
      for (let index = 0; index < count; index++) packet[int(packet.length)] = pick(odd);
      return packet;
    }
    case 4: {
      // Wild section counts over a real body.
      const at = 4 + 2 * int(4);
      packet[at] = int(256);
      packet[at + 1] = int(256);
      return packet;
    }
    case 5: {
      // A pointer to a random offset somewhere a name may start.
      const at = 12 + int(Math.max(1, packet.length - 13));
      const target = int(packet.length + 4);
      packet[at] = 0xc0 | (target >> 8);
      packet[at + 1] = target & 0xff;
      return packet;
    }
    default:
      return Uint8Array.from({ length: int(700) }, () => int(256));
  }
}

describe("wire fuzz", () => {
  it(`${CASES} random and mutated packets give a Message or a MalformedMessageError, fast and in bounded memory (seed ${SEED})`, () => {
    const random = prng(SEED);
    const seeds = corpus();
    seeds.forEach((seed, index) => assert.ok(check(seed).ok, `corpus packet ${index} parses`));
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    let parsed = 0;
    const started = performance.now();
    for (let index = 0; index < CASES; index++) {
      const packet = mutate(random, seeds);
      try {
        if (check(packet).ok) parsed++;
      } catch (error) {
        const hex = Buffer.from(packet).toString("hex");
        assert.fail(`seed ${SEED}, case ${index}: ${(error as Error).stack ?? String(error)}\npacket ${hex}`);
      }
      if (index % 1000 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }
    const elapsed = performance.now() - started;
    assert.ok(elapsed < TIME_BUDGET_MS, `seed ${SEED}: ${CASES} cases took ${Math.round(elapsed)} ms`);
    assert.ok(heapPeak - heapBefore < HEAP_BUDGET_BYTES, `seed ${SEED}: heap grew by ${heapPeak - heapBefore} octets`);
    // Mutations must exercise both outcomes, or the fuzzer tests nothing.
    assert.ok(parsed > CASES / 20 && parsed < CASES - CASES / 20, `seed ${SEED}: ${parsed} of ${CASES} parsed`);
  });

  it("rejects compression-pointer loops at once", () => {
    const self = Uint8Array.from([0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    const mutual = Uint8Array.from([0, 1, 0x80, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0xc0, 18, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1]);
    const started = performance.now();
    for (let round = 0; round < 1000; round++) {
      assert.throws(() => parseMessage(self), MalformedMessageError);
      assert.throws(() => parseMessage(mutual), MalformedMessageError);
    }
    assert.ok(performance.now() - started < 500, "2000 loop packets took over 500 ms");
  });

  it("a 64 KiB decompression bomb (thousands of owners pointing at a 255-octet name) stays fast and small", () => {
    // One long name (127 labels of "a"), then as many records as fit, each owned by a pointer to it.
    const longName = [...Array.from({ length: 127 }, () => [1, 0x61]).flat(), 0];
    const head = [0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...longName, 0, 1, 0, 1];
    const recordOctets = [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1];
    const count = Math.floor((65535 - head.length) / recordOctets.length);
    const packet = Uint8Array.from([...head, ...Array.from({ length: count }, () => recordOctets).flat()]);
    packet[6] = count >> 8;
    packet[7] = count & 0xff;
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const message = parseMessage(packet);
    const elapsed = performance.now() - started;
    assert.equal(message.answers.length, count);
    assert.equal(message.answers[count - 1]?.name.length, 254);
    assert.ok(elapsed < 1000, `parsing took ${Math.round(elapsed)} ms`);
    assert.ok(process.memoryUsage().heapUsed - heapBefore < HEAP_BUDGET_BYTES, "heap grew too much");
  });
});
