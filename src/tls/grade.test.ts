import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TlsAssessment, VersionProbe } from "./assess.ts";
import { suiteByName, suiteName } from "./cipher-suites.ts";
import { GROUP, SSL3, TLS10, TLS11, TLS12, TLS13, versionName } from "./client-hello.ts";
import {
  dheLevel,
  gradeCipherOrder,
  gradeCiphers,
  gradeCompression,
  gradeEms,
  gradeKexHash,
  gradeKeyExchange,
  gradePqKex,
  gradeSecureRenegotiation,
  gradeVersions,
  groupLevel,
  suiteLevel,
  versionLevel,
} from "./grade.ts";
import { groupName } from "./named-groups.ts";

function code(name: string): number {
  const suite = suiteByName(name);
  assert.ok(suite, name);
  return suite.code;
}

function versionProbe(version: number, accepted: boolean, extra: Partial<VersionProbe> = {}): VersionProbe {
  const legacy = version !== TLS13;
  return {
    version: versionName(version),
    code: version,
    accepted,
    suite: null,
    secureRenegotiation: accepted && legacy ? true : null,
    extendedMasterSecret: accepted && legacy ? true : null,
    detail: accepted ? null : "alert protocol_version",
    aborted: null,
    error: null,
    ...extra,
  };
}

/** An assessment of a well-configured TLS 1.2 + 1.3 server; tests change one thing each. */
function assessment(overrides: Partial<TlsAssessment> & { accepted?: number[]; suites12?: string[]; preference12?: boolean | null } = {}): TlsAssessment {
  const accepted = overrides.accepted ?? [TLS12, TLS13];
  const suites12 = overrides.suites12 ?? ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"];
  const suiteLists = accepted.map((version) => {
    const names = version === TLS13 ? ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"] : suites12;
    return {
      version: versionName(version),
      code: version,
      suites: names.map((name) => ({ code: code(name), name: suiteName(code(name)) })),
      serverPreference: version === TLS13 ? false : (overrides.preference12 === undefined ? true : overrides.preference12),
      handshakes: 5,
      error: null,
    };
  });
  return {
    address: "192.0.2.1",
    port: 443,
    servername: "example.nl",
    startedAt: "2026-01-01T00:00:00.000Z",
    durationMs: 100,
    handshakes: 40,
    acceptedVersions: accepted.map(versionName),
    versions: [SSL3, TLS10, TLS11, TLS12, TLS13].map((version) => versionProbe(version, accepted.includes(version))),
    suites: suiteLists,
    groups: {
      tls13: [GROUP.x25519, GROUP.secp256r1].map((group) => ({ code: group, name: groupName(group) })),
      ecdhe: [GROUP.x25519, GROUP.secp384r1].map((group) => ({ code: group, name: groupName(group) })),
      dhe: [],
      legacyVersion: "TLS 1.2",
      errors: [],
    },
    sha1KeyExchange: { outcome: "refused", signatureAlgorithm: null, detail: "refused: alert handshake_failure" },
    compression: { method: 0, detail: "chose no compression", error: null },
    hybridKeyExchange: { supported: false, chosen: "x25519", error: null },
    errors: [],
    ...overrides,
  };
}

describe("levels", () => {
  it("grades versions: 1.3 good, 1.2 sufficient, older insufficient", () => {
    assert.deepEqual([SSL3, TLS10, TLS11, TLS12, TLS13].map(versionLevel), ["insufficient", "insufficient", "insufficient", "sufficient", "good"]);
  });

  it("grades suites as the guidelines list them", () => {
    const expected: [string, string][] = [
      ["TLS_AES_256_GCM_SHA384", "good"],
      ["TLS_CHACHA20_POLY1305_SHA256", "good"],
      ["TLS_AES_128_GCM_SHA256", "sufficient"],
      ["TLS_AES_128_CCM_SHA256", "sufficient"],
      ["TLS_AES_128_CCM_8_SHA256", "insufficient"],
      ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "sufficient"],
      ["TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "sufficient"],
      ["TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "sufficient"],
      ["TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", "insufficient"],
      ["TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "phase_out"],
      ["TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256", "phase_out"],
      ["TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384", "phase_out"],
      ["TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "phase_out"],
      ["TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", "phase_out"],
      ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "insufficient"],
      ["TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "insufficient"],
      ["TLS_RSA_WITH_AES_256_GCM_SHA384", "insufficient"],
      ["TLS_RSA_WITH_3DES_EDE_CBC_SHA", "insufficient"],
      ["TLS_ECDHE_RSA_WITH_RC4_128_SHA", "insufficient"],
      ["TLS_DH_anon_WITH_AES_128_GCM_SHA256", "insufficient"],
      ["TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", "insufficient"],
      ["TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256", "insufficient"],
      ["TLS_ECDHE_ECDSA_WITH_NULL_SHA", "insufficient"],
    ];
    assert.deepEqual(expected.map(([name]) => [name, suiteLevel(code(name))]), expected);
    assert.equal(suiteLevel(0xfefe), "insufficient", "an unknown code point");
  });

  it("grades groups: NIST curves, brainpool, X25519, X448 good; P-224 and ffdhe3072+ phase out; ffdhe2048, custom and weak curves insufficient", () => {
    for (const group of [GROUP.secp256r1, GROUP.secp384r1, GROUP.secp521r1, GROUP.x25519, GROUP.x448, GROUP.brainpoolP256r1, GROUP.brainpoolP512r1tls13]) {
      assert.equal(groupLevel(group), "good", groupName(group));
    }
    for (const group of [GROUP.secp224r1, GROUP.ffdhe3072, GROUP.ffdhe4096, GROUP.ffdhe8192]) assert.equal(groupLevel(group), "phase_out", groupName(group));
    for (const group of [GROUP.ffdhe2048, GROUP.secp192r1, GROUP.sect163k1, GROUP.secp256k1]) assert.equal(groupLevel(group), "insufficient", groupName(group));
    assert.equal(dheLevel({ group: null, name: "custom 4096-bit", bits: 4096 }), "insufficient");
    assert.equal(dheLevel({ group: GROUP.ffdhe4096, name: "ffdhe4096", bits: 4096 }), "phase_out");
  });
});

describe("grades of an assessment", () => {
  it("passes every grade of a well-configured server, and warns that X25519MLKEM768 is missing", () => {
    const good = assessment();
    for (const grade of [gradeVersions, gradeCiphers, gradeCipherOrder, gradeKeyExchange, gradeKexHash, gradeCompression, gradeSecureRenegotiation, gradeEms]) {
      assert.equal(grade(good).status, "passed", `${grade.name}: ${grade(good).summary}`);
    }
    assert.equal(gradePqKex(good).status, "warning");
    assert.equal(gradePqKex(assessment({ hybridKeyExchange: { supported: true, chosen: "X25519MLKEM768", error: null } })).status, "passed");
  });

  it("names the insufficient versions", () => {
    const grade = gradeVersions(assessment({ accepted: [TLS10, TLS11, TLS12] }));
    assert.equal(grade.status, "failed");
    assert.equal(grade.summary, "accepts TLS 1.0 and TLS 1.1 (insufficient)");
    assert.equal(gradeVersions(assessment({ accepted: [TLS12] })).summary, "accepts TLS 1.2 only (sufficient); TLS 1.3 is better");
  });

  it("calls a server that aborts every handshake after its ServerHello an error", () => {
    const aborted = assessment({ accepted: [TLS12] }).versions.map((probe) => (probe.code === TLS12 ? { ...probe, aborted: "alert internal_error" } : probe));
    const grade = gradeVersions(assessment({ accepted: [TLS12], versions: aborted }));
    assert.equal(grade.status, "error");
    assert.equal(grade.summary, "the server aborts every handshake right after its ServerHello (alert internal_error)");
  });

  it("calls an unanswered old version an error, not a pass", () => {
    const probes = assessment().versions.map((probe) => (probe.code === TLS10 ? { ...probe, detail: null, error: "no answer within 5000 ms" } : probe));
    const grade = gradeVersions(assessment({ versions: probes }));
    assert.equal(grade.status, "error");
    assert.match(grade.summary, /could not tell whether TLS 1\.0 is accepted/);
  });

  it("fails insufficient suites and warns on phase-out ones", () => {
    const bad = gradeCiphers(assessment({ suites12: ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_RSA_WITH_AES_128_GCM_SHA256"] }));
    assert.equal(bad.status, "failed");
    assert.equal(bad.summary, "accepts insufficient cipher suites: TLS_RSA_WITH_AES_128_GCM_SHA256");
    const old = gradeCiphers(assessment({ suites12: ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"] }));
    assert.equal(old.status, "warning");
  });

  it("applies the order rule: own order required when levels differ, better levels first; TLS 1.3 good+sufficient exempt", () => {
    const mixed = ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"];
    assert.equal(gradeCipherOrder(assessment({ suites12: mixed, preference12: true })).status, "passed");
    const clientOrder = gradeCipherOrder(assessment({ suites12: mixed, preference12: false }));
    assert.equal(clientOrder.status, "failed");
    assert.equal(clientOrder.summary, "does not enforce its own order at TLS 1.2 while it accepts sufficient and phase out suites");
    const wrong = gradeCipherOrder(assessment({ suites12: [...mixed].reverse(), preference12: true }));
    assert.equal(wrong.status, "failed");
    assert.match(wrong.summary, /^prefers TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384 \(phase out\) over/);
    // Same level only: the client may choose.
    assert.equal(gradeCipherOrder(assessment({ preference12: false })).status, "passed");
    assert.equal(gradeCipherOrder(assessment({ suites12: mixed, preference12: null })).status, "error");
  });

  it("fails ffdhe2048 and custom DHE, warns on P-224, errors when the groups are incomplete", () => {
    const base = assessment();
    const withDhe = (dhe: TlsAssessment["groups"]["dhe"]) => assessment({ groups: { ...base.groups, dhe } });
    const ffdhe2048 = gradeKeyExchange(withDhe([{ group: GROUP.ffdhe2048, name: "ffdhe2048", bits: 2048 }]));
    assert.equal(ffdhe2048.status, "failed");
    assert.equal(ffdhe2048.summary, "accepts insufficient key exchange groups: DHE ffdhe2048");
    assert.equal(gradeKeyExchange(withDhe([{ group: null, name: "custom 4096-bit", bits: 4096 }])).status, "failed");
    assert.equal(gradeKeyExchange(withDhe([{ group: GROUP.ffdhe3072, name: "ffdhe3072", bits: 3072 }])).status, "warning");
    const p224 = gradeKeyExchange(assessment({ groups: { ...base.groups, ecdhe: [{ code: GROUP.secp224r1, name: "secp224r1" }] } }));
    assert.equal(p224.status, "warning");
    assert.equal(p224.summary, "accepts key exchange groups to phase out: secp224r1");
    assert.equal(gradeKeyExchange(assessment({ groups: { ...base.groups, errors: ["ECDHE curves: reset"] } })).status, "error");
  });

  it("warns on ffdhe2048 offered in TLS 1.3 (OpenSSL's default list) instead of failing it as for DHE suites", () => {
    const base = assessment();
    const tls13 = gradeKeyExchange(assessment({ groups: { ...base.groups, tls13: [...base.groups.tls13, { code: GROUP.ffdhe2048, name: "ffdhe2048" }] } }));
    assert.equal(tls13.status, "warning");
    assert.equal(tls13.summary, "accepts key exchange groups to phase out: ffdhe2048");
  });

  it("fails SHA-1 key exchange, compression, missing renegotiation_info and missing EMS", () => {
    assert.equal(gradeKexHash(assessment({ sha1KeyExchange: { outcome: "accepted", signatureAlgorithm: 0x0201, detail: "signed" } })).status, "failed");
    assert.equal(gradeKexHash(assessment({ sha1KeyExchange: null, accepted: [TLS13] })).status, "passed");
    assert.equal(gradeKexHash(assessment({ sha1KeyExchange: null, accepted: [TLS10] })).status, "not_applicable");
    assert.equal(gradeEms(assessment({ accepted: [TLS13] })).status, "passed");
    assert.equal(gradeEms(assessment({ accepted: [TLS10, TLS11] })).status, "not_applicable");
    assert.equal(gradeCompression(assessment({ compression: { method: 1, detail: "chose compression method 1 (DEFLATE)", error: null } })).status, "failed");
    const noRi = assessment().versions.map((probe) => (probe.code === TLS12 ? { ...probe, secureRenegotiation: false } : probe));
    const reneg = gradeSecureRenegotiation(assessment({ versions: noRi }));
    assert.equal(reneg.status, "failed");
    assert.match(reneg.summary, /at TLS 1\.2$/);
    const noEms = assessment().versions.map((probe) => (probe.code === TLS12 ? { ...probe, extendedMasterSecret: false } : probe));
    assert.equal(gradeEms(assessment({ versions: noEms })).status, "failed");
    // EMS is required for TLS 1.2 only.
    const oldNoEms = assessment({ accepted: [TLS11, TLS12] }).versions.map((probe) => (probe.code === TLS11 ? { ...probe, extendedMasterSecret: false } : probe));
    assert.equal(gradeEms(assessment({ accepted: [TLS11, TLS12], versions: oldNoEms })).status, "passed");
  });

  it("says once that no TLS was spoken, for every grade", () => {
    const refused = assessment({ accepted: [], suites: [] });
    assert.equal(gradeVersions(refused).status, "failed");
    assert.equal(gradeVersions(refused).summary, "accepts none of SSLv2 to TLS 1.3");
    for (const grade of [gradeCiphers, gradeCipherOrder, gradeKeyExchange, gradeKexHash, gradeCompression, gradeSecureRenegotiation, gradeEms, gradePqKex]) {
      assert.equal(grade(refused).status, "error", grade.name);
    }
  });

  it("keeps every grade JSON-serialisable", () => {
    const a = assessment();
    for (const grade of [gradeVersions, gradeCiphers, gradeCipherOrder, gradeKeyExchange, gradeKexHash, gradeCompression, gradeSecureRenegotiation, gradeEms, gradePqKex]) {
      const result = grade(a);
      assert.deepEqual(JSON.parse(JSON.stringify(result)), result);
    }
  });
});
