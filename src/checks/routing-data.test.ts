import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadBgpOrigins, loadVrps } from "./routing-data.ts";
import { CheckInputError } from "./errors.ts";

const dir = mkdtempSync(join(tmpdir(), "baseline-routing-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function file(content: string): string {
  const path = join(dir, `f${counter++}`);
  writeFileSync(path, content);
  return path;
}

function refuses(load: () => unknown, pattern: RegExp): void {
  assert.throws(load, (error: unknown) => {
    assert.ok(error instanceof CheckInputError, String(error));
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes("\n"), "one line");
    return true;
  });
}

describe("loadVrps", () => {
  it("reads rpki-client JSON (numeric asn, expires) and Routinator JSON (\"AS\" asn)", () => {
    const rpkiClient = file(JSON.stringify({ metadata: { buildmachine: "x" }, roas: [{ asn: 64496, prefix: "192.0.2.0/24", maxLength: 24, ta: "ripe", expires: 1 }] }));
    assert.deepEqual(loadVrps(rpkiClient), [{ prefix: "192.0.2.0/24", maxLength: 24, asn: 64496, ta: "ripe" }]);
    const routinator = file(JSON.stringify({ metadata: { generated: 0 }, roas: [{ asn: "AS64497", prefix: "2001:DB8::/32", maxLength: 48, ta: "arin" }] }));
    assert.deepEqual(loadVrps(routinator), [{ prefix: "2001:db8::/32", maxLength: 48, asn: 64497, ta: "arin" }]);
  });

  it("names the file, the entry and the problem", () => {
    const path = file(JSON.stringify({ roas: [{ asn: 1, prefix: "192.0.2.0/24", maxLength: 24 }, { asn: 1, prefix: "192.0.2.0/24", maxLength: 23 }] }));
    refuses(() => loadVrps(path), new RegExp(`^${path}: roas\\[1\\]: "maxLength" 23 must be a whole number from 24 to 32`));
    refuses(() => loadVrps(file(JSON.stringify({ roas: [{ asn: "ASX", prefix: "192.0.2.0/24", maxLength: 24 }] }))), /roas\[0\]: AS number "ASX"/);
    refuses(() => loadVrps(file(JSON.stringify({ roas: [{ asn: 4294967296, prefix: "192.0.2.0/24", maxLength: 24 }] }))), /not 0-4294967295/);
    refuses(() => loadVrps(file(JSON.stringify({ roas: [{ asn: 1, prefix: "192.0.2.1/24", maxLength: 24 }] }))), /bits set after \/24/);
    refuses(() => loadVrps(file(JSON.stringify([]))), /expected a JSON object with a "roas" array/);
    refuses(() => loadVrps(file("{\"roas\": [")), /not valid JSON/);
    refuses(() => loadVrps(join(dir, "missing.json")), /cannot read it \(ENOENT\)/);
  });
});

describe("loadBgpOrigins", () => {
  it("reads PREFIX ASN lines with comments, and RISwhois' ASN PREFIX PEERS order", () => {
    const path = file("# routes\n192.0.2.0/24 64496\n\n2001:db8::/32\tAS64497\n% riswhois\n64498\t198.51.100.0/24\t320\n{64499,64500}\t203.0.113.0/24\t3\n");
    assert.deepEqual(loadBgpOrigins(path), [
      { prefix: "192.0.2.0/24", asn: 64496 },
      { prefix: "2001:db8::/32", asn: 64497 },
      { prefix: "198.51.100.0/24", asn: 64498 },
    ]);
  });

  it("reads a JSON array of {prefix, asn}", () => {
    assert.deepEqual(loadBgpOrigins(file(' [{"prefix": "192.0.2.0/24", "asn": "AS64496"}]')), [{ prefix: "192.0.2.0/24", asn: 64496 }]);
  });

  it("names the file, the line and the problem", () => {
    const path = file("192.0.2.0/24 64496\n192.0.2.0/24\n");
    refuses(() => loadBgpOrigins(path), new RegExp(`^${path}: line 2: expected "PREFIX ASN", got "192.0.2.0/24"`));
    refuses(() => loadBgpOrigins(file("\n\n192.0.2.0/40 1\n")), /line 3: "192.0.2.0\/40" has prefix length "40"/);
    refuses(() => loadBgpOrigins(file("192.0.2.0/24 AS-ONE\n")), /line 1: AS number "AS-ONE"/);
    refuses(() => loadBgpOrigins(file('[{"prefix": 1, "asn": 1}]')), /entry 0: "prefix" is missing/);
  });
});
