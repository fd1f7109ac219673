/**
 * TLS assessment benchmark (issue 9): Baseline's raw-handshake assessment of
 * one lab host against testssl.sh on the same host, in one run. Prints the
 * wall time of each, the ratio, and whether their findings agree, aspect by
 * aspect (versions, suites, cipher order, curves, DH groups, secure
 * renegotiation, compression, extended master secret).
 *
 * The host: `openssl s_server` on 127.0.0.1 with an ECDSA P-256 key made in a
 * temp dir, TLS 1.0 to 1.3 and every suite OpenSSL has (`ALL:@SECLEVEL=0`),
 * so both tools have many suites and findings to agree on.
 *
 * Baseline: assessTls (all of it: versions, suites and order per version,
 * groups, SHA-1 key exchange, compression, renegotiation info, EMS,
 * X25519MLKEM768) and the grades of the nine web.tls checks; best of --runs.
 * testssl.sh: the options that answer the same questions, `-p -e -P -f -S -R -C`
 * (protocols, each cipher, server preference, forward secrecy with curves and DH
 * groups, server defaults with the TLS extensions, secure renegotiation, CRIME),
 * once; not its vulnerability scan, client simulation or HTTP header checks.
 *
 * Run: `node bench/tls-assess.ts [--runs 3] [--hosts 1|2] [--testssl /usr/bin/testssl]`
 * (Debian: `apt-get install -y testssl.sh`; about 90 s per host, nearly all
 * testssl.sh; --hosts 2 adds a strict TLS 1.2 host with its own cipher order,
 * two curves and extended master secret turned off).
 * Loopback only. Not part of the test suite.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs, promisify } from "node:util";
import { assessTls, type TlsAssessment } from "../src/tls/assess.ts";
import { OpenSslLab } from "../src/tls/fixtures/openssl-server.ts";
import {
  gradeCipherOrder,
  gradeCiphers,
  gradeCompression,
  gradeEms,
  gradeKexHash,
  gradeKeyExchange,
  gradePqKex,
  gradeSecureRenegotiation,
  gradeVersions,
} from "../src/tls/grade.ts";

const run = promisify(execFile);

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    testssl: { type: "string", default: "" },
    hosts: { type: "string", default: "1" },
  },
});

async function findTestssl(): Promise<string | null> {
  for (const candidate of [values.testssl, "testssl", "testssl.sh"].filter(Boolean)) {
    try {
      await run(candidate, ["--version"], { timeout: 10_000 });
      return candidate;
    } catch {
      // next candidate
    }
  }
  return null;
}

interface Finding {
  id: string;
  finding: string;
}

/** testssl.sh's OpenSSL-style curve names for IANA ones. */
const CURVE_NAMES: Record<string, string> = { secp256r1: "prime256v1", secp384r1: "secp384r1", secp521r1: "secp521r1", x25519: "X25519", x448: "X448" };

function baselineView(a: TlsAssessment) {
  const suites = new Set(a.suites.flatMap((list) => list.suites.map((s) => s.code)));
  const curves = new Set([...a.groups.tls13, ...a.groups.ecdhe].filter((g) => !g.name.startsWith("ffdhe")).map((g) => CURVE_NAMES[g.name] ?? g.name));
  const dh = new Set([...a.groups.tls13, ...a.groups.dhe].map((g) => g.name).filter((name) => name.startsWith("ffdhe")));
  const dhSizes = new Set(a.groups.dhe.map((g) => `${g.bits}-bit`));
  const legacy = a.versions.filter((v) => v.accepted && v.code !== 0x0304);
  return {
    versions: a.acceptedVersions.map((v) => v.replace("TLS ", "TLS")).join(" "),
    suites,
    order: a.suites.some((list) => list.serverPreference === true),
    curves,
    dh,
    dhSizes,
    secureRenegotiation: legacy.every((v) => v.secureRenegotiation === true),
    compression: a.compression?.method !== null && a.compression?.method !== undefined && a.compression.method !== 0,
    ems: a.versions.find((v) => v.code === 0x0303)?.extendedMasterSecret === true,
  };
}

function testsslView(findings: Finding[]) {
  const get = (id: string) => findings.find((f) => f.id === id)?.finding ?? "";
  const versionIds: [string, string][] = [["SSLv2", "SSLv2"], ["SSLv3", "SSLv3"], ["TLS1", "TLS1.0"], ["TLS1_1", "TLS1.1"], ["TLS1_2", "TLS1.2"], ["TLS1_3", "TLS1.3"]];
  const suites = new Set(findings.filter((f) => /^cipher_x[0-9a-f]+$/.test(f.id)).map((f) => Number.parseInt(f.id.slice("cipher_x".length), 16)));
  return {
    versions: versionIds.filter(([id]) => get(id).startsWith("offered")).map(([, name]) => name).join(" "),
    suites,
    order: !/NOT a cipher order/i.test(get("cipher_order")),
    curves: new Set(get("PFS_ECDHE_curves").split(/\s+/).filter(Boolean)),
    dh: new Set(get("DH_groups").split(/\s+/).filter(Boolean)),
    // testssl.sh names only RFC 7919 groups; its per-cipher lines give the size of the DH group used ("DH 1024").
    dhSizes: new Set(findings.filter((f) => /^cipher_x[0-9a-f]+$/.test(f.id)).flatMap((f) => /\sDH (\d+)\s/.exec(f.finding)?.[1] ?? []).map((bits) => `${bits}-bit`)),
    secureRenegotiation: /supported/.test(get("secure_renego")) && !/not supported/i.test(get("secure_renego")),
    compression: !/not vulnerable/.test(get("CRIME_TLS")),
    ems: /extended master secret/.test(get("TLS_extensions")),
  };
}

const label = (item: unknown): string => (typeof item === "number" ? `0x${item.toString(16).padStart(4, "0")}` : String(item));
const show = (value: unknown): string => {
  if (value instanceof Set) return `${value.size}: ${[...value].slice(0, 6).map(label).join(" ")}${value.size > 6 ? " ..." : ""}`;
  return String(value);
};
const same = (a: unknown, b: unknown): boolean =>
  a instanceof Set && b instanceof Set ? a.size === b.size && [...a].every((x) => b.has(x)) : a === b;

interface LabHost {
  label: string;
  args: string[];
  noEms?: boolean;
}

/** The permissive host by default; --hosts 2 adds a strict TLS 1.2 one with its own order, two curves and no EMS. */
const HOSTS: readonly LabHost[] = [
  { label: "-min_protocol TLSv1 -cipher ALL:@SECLEVEL=0", args: ["-min_protocol", "TLSv1", "-cipher", "ALL:@SECLEVEL=0"] },
  {
    label: "-tls1_2 -serverpref -groups P-384:P-256 (ECDHE-ECDSA AES-GCM, AES-CBC), EMS off",
    args: ["-tls1_2", "-serverpref", "-groups", "P-384:P-256", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA"],
    noEms: true,
  },
];

async function benchHost(lab: OpenSslLab, testssl: string, host: LabHost): Promise<{ ratio: number; agreed: number; aspects: number }> {
  const { port } = await lab.start(host.args, { noEms: host.noEms ?? false });
  const runs = Math.max(1, Number(values.runs));
  let best: { ms: number; assessment: TlsAssessment } | null = null;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const assessment = await assessTls("127.0.0.1", port, { servername: "lab.test", timeoutMs: 5000 });
    for (const grade of [gradeVersions, gradeCiphers, gradeCipherOrder, gradeKeyExchange, gradeKexHash, gradeCompression, gradeSecureRenegotiation, gradeEms, gradePqKex]) grade(assessment);
    const ms = performance.now() - started;
    if (!best || ms < best.ms) best = { ms, assessment };
  }
  if (!best) throw new Error("no run");

  const json = lab.path(`testssl-${port}.json`);
  const started = performance.now();
  await run(testssl, ["--quiet", "--color", "0", "--warnings", "off", "--jsonfile", json, "-p", "-e", "-P", "-f", "-S", "-R", "-C", `127.0.0.1:${port}`], {
    timeout: 15 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: unknown) => {
    // testssl.sh exits non-zero when it finds problems; its JSON is what counts.
    if (!(error && typeof error === "object" && "code" in error && typeof error.code === "number")) throw error;
  });
  const testsslMs = performance.now() - started;
  const findings = JSON.parse(readFileSync(json, "utf8")) as Finding[];

  const ours = baselineView(best.assessment);
  const theirs = testsslView(findings);
  const rows: [string, unknown, unknown][] = [
    ["accepted versions", ours.versions, theirs.versions],
    ["cipher suites (all versions)", ours.suites, theirs.suites],
    ["server enforces cipher order", ours.order, theirs.order],
    ["ECDHE curves", ours.curves, theirs.curves],
    ["named DH groups (RFC 7919)", ours.dh, theirs.dh],
    ["DH sizes of DHE/ADH suites", ours.dhSizes, theirs.dhSizes],
    ["secure renegotiation", ours.secureRenegotiation, theirs.secureRenegotiation],
    ["TLS compression", ours.compression, theirs.compression],
    ["extended master secret", ours.ems, theirs.ems],
  ];
  const ratio = testsslMs / best.ms;
  console.log(`\nhost: openssl s_server ${host.label} (ECDSA P-256) on 127.0.0.1:${port}`);
  console.log(`Baseline assessTls + grades: ${(best.ms / 1000).toFixed(2)} s (best of ${runs}), ${best.assessment.handshakes} hellos`);
  console.log(`testssl.sh -p -e -P -f -S -R -C: ${(testsslMs / 1000).toFixed(1)} s`);
  console.log(`ratio: Baseline is ${ratio.toFixed(0)}x faster (target: at least 20x)\n`);
  const width = [30, 44, 44];
  const line = (cells: string[]) => cells.map((cell, i) => cell.slice(0, width[i] ?? 10).padEnd(width[i] ?? 10)).join(" | ");
  console.log(line(["aspect", "Baseline", "testssl.sh", "agree"]));
  console.log(width.map((w) => "-".repeat(w)).join("-+-") + "-+------");
  let agreed = 0;
  for (const [aspect, a, b] of rows) {
    const ok = same(a, b);
    if (ok) agreed++;
    console.log(line([aspect, show(a), show(b), ok ? "yes" : "NO"]));
    if (!ok && a instanceof Set && b instanceof Set) {
      const onlyOurs = [...a].filter((x) => !b.has(x));
      const onlyTheirs = [...b].filter((x) => !a.has(x));
      console.log(`    only Baseline: ${onlyOurs.map(label).join(" ") || "-"}; only testssl.sh: ${onlyTheirs.map(label).join(" ") || "-"}`);
    }
  }
  console.log(`${agreed}/${rows.length} aspects agree`);
  return { ratio, agreed, aspects: rows.length };
}

async function main(): Promise<void> {
  const testssl = await findTestssl();
  if (!testssl) {
    console.error("testssl.sh not found (Debian: apt-get install -y testssl.sh, or --testssl PATH)");
    process.exit(2);
  }
  const lab = new OpenSslLab();
  try {
    const hosts = HOSTS.slice(0, Math.max(1, Math.min(HOSTS.length, Number(values.hosts))));
    const results = [];
    for (const host of hosts) results.push(await benchHost(lab, testssl, host));
    if (results.length > 1) {
      console.log(`\nall hosts: ratio ${results.map((r) => `${r.ratio.toFixed(0)}x`).join(", ")}; ${results.reduce((n, r) => n + r.agreed, 0)}/${results.reduce((n, r) => n + r.aspects, 0)} aspects agree`);
    }
  } finally {
    lab.close();
  }
}

await main();
