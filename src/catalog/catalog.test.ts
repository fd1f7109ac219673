import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UnknownIdError, suggest } from "./catalog.ts";
import { loadCatalog } from "./load.ts";

const catalog = loadCatalog();
const categoriesOf = (code: string): string[] => catalog.categoriesForCpv(catalog.cpv.resolve(code)).map((category) => category.id);

describe("CPV to category mapping", () => {
  it("maps web site hosting to web-hosting", () => {
    assert.ok(categoriesOf("72415000-2").includes("web-hosting"));
  });

  it("maps telecommunications services to network-connectivity", () => {
    assert.ok(categoriesOf("64200000-8").includes("network-connectivity"));
  });

  it("maps a code through its listed ancestor", () => {
    // Every descendant of a listed code belongs to the category too.
    for (const category of catalog.categories) {
      for (const listed of category.cpv) {
        const code = listed.slice(0, 8);
        const descendant = [...Array(10).keys()]
          .map((digit) => code.replace(/0(0*)$/, `${digit}$1`))
          .find((candidate) => {
            const entry = catalog.cpv.get(candidate);
            return candidate !== code && entry !== undefined && catalog.cpv.lineage(entry).some((ancestor) => ancestor.code === code);
          });
        if (descendant) assert.ok(categoriesOf(descendant).includes(category.id), `${descendant} should inherit ${category.id} from ${code}`);
      }
    }
  });

  it("maps office furniture to no category", () => {
    assert.deepEqual(categoriesOf("39130000-2"), []);
  });

  it("maps non-ICT purchases to no category", () => {
    for (const code of ["03111000-2", "15000000-8", "45000000-7", "33600000-6", "60100000-9", "79710000-4"]) {
      assert.deepEqual(categoriesOf(code), [], code);
    }
  });
});

describe("unknown ids", () => {
  it("suggests the nearest standard", () => {
    assert.throws(() => catalog.standard("dnsec"), (error: unknown) => {
      assert.ok(error instanceof UnknownIdError);
      assert.match(error.message, /^unknown standard "dnsec": did you mean "dnssec"\? \(valid: .*dnssec.*\)$/);
      return true;
    });
  });

  it("lists the valid categories even when nothing is close", () => {
    assert.throws(() => catalog.category("furniture"), /unknown category "furniture" \(valid: cloud-hosting, .*web-hosting\)$/);
  });

  it("only suggests a near miss", () => {
    assert.equal(suggest("xyz", ["dnssec"]), " (valid: dnssec)");
    assert.equal(suggest("dnssex", ["dnssec", "dane"]), ': did you mean "dnssec"? (valid: dane, dnssec)');
  });
});
