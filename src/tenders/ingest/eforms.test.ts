import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { IngestError } from "./common.ts";
import { eformsDocument, ingestEforms } from "./eforms.ts";

const NOTICE = readFileSync(new URL("fixtures/contract-notice.xml", import.meta.url));

function refusal(xml: string): string {
  try {
    eformsDocument(xml, "n.xml");
  } catch (error) {
    assert.ok(error instanceof IngestError);
    return error.message;
  }
  assert.fail("expected the notice to be refused");
}

describe("ingestEforms", () => {
  const document = ingestEforms(NOTICE, "notice.xml");

  it("reads the notice fields: title in the notice language, buyer through its organisation id, date, language", () => {
    assert.equal(document.format, "eforms");
    assert.equal(document.source, "notice.xml");
    assert.equal(document.title, "Beheer van DNS en webhosting");
    assert.equal(document.authority, "Gemeente Voorbeeldstad");
    assert.equal(document.publishedAt, "2025-03-14");
    assert.equal(document.declaredLanguage, "nl");
  });

  it("collects main and additional CPV codes of the procedure and every lot, once each", () => {
    assert.deepEqual(document.cpv, ["72415000", "72410000", "72222300", "72416000"]);
  });

  it("makes lots sections and gives criteria their roles", () => {
    const byRole = (role: string): string[] => document.passages.filter((passage) => passage.role === role).map((passage) => `${passage.section ?? ""} | ${passage.text}`);
    assert.deepEqual(byRole("award-criterion"), [
      "LOT-0001: DNS-beheer | De criteria staan in volgorde van belang.",
      "LOT-0001: DNS-beheer | Beveiliging: Ondersteuning van DANE voor de mailservers levert extra punten op.",
      "LOT-0001: DNS-beheer | Prijs",
      "LOT-0002: Webhosting | Kwaliteit: Een webhostingplatform dat HSTS afdwingt scoort hoger.",
    ]);
    assert.deepEqual(byRole("selection-criterion"), ["LOT-0001: DNS-beheer | De inschrijver beschikt over een geldig ISO/IEC 27001-certificaat voor de geleverde diensten."]);
    assert.deepEqual(byRole("requirement"), ["LOT-0001: DNS-beheer | De opdrachtnemer ondertekent alle zones van de gemeente met DNSSEC."]);
    assert.deepEqual(byRole("description").map((line) => line.split(" | ")[0]), ["Procedure", "LOT-0001: DNS-beheer", "LOT-0002: Webhosting"]);
    assert.ok(!document.passages.some((passage) => passage.text.startsWith("Management of DNS")), "English version skipped in a Dutch notice");
  });

  it("takes the buyer's name from the party itself when it has one, and ignores non-CPV classifications", () => {
    const xml = `<ContractNotice xmlns:cac="a" xmlns:cbc="b">
      <cbc:IssueDate>2024-11-02Z</cbc:IssueDate>
      <cac:ContractingParty><cac:Party><cac:PartyLegalEntity><cbc:RegistrationName>Ville d'Exemple</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:ContractingParty>
      <cac:ProcurementProject><cbc:Name>Hébergement</cbc:Name>
        <cac:MainCommodityClassification><cbc:ItemClassificationCode listName="cpv">72415000</cbc:ItemClassificationCode></cac:MainCommodityClassification>
        <cac:AdditionalCommodityClassification><cbc:ItemClassificationCode listName="other">12345678</cbc:ItemClassificationCode></cac:AdditionalCommodityClassification>
      </cac:ProcurementProject></ContractNotice>`;
    const small = eformsDocument(xml, "fr.xml");
    assert.equal(small.authority, "Ville d'Exemple");
    assert.deepEqual(small.cpv, ["72415000"]);
    assert.equal(small.publishedAt, "2024-11-02");
    assert.equal(small.declaredLanguage, undefined);
  });

  it("refuses invalid XML with its line and column, and XML that is no eForms notice", () => {
    assert.match(refusal("<ContractNotice>\n  <cbc:Name>x</cbc:Nam>\n</ContractNotice>"), /^invalid XML at line 2, column \d+: /);
    assert.match(refusal("<rss><channel/></rss>"), /^not an eForms notice \(root element rss/);
    assert.match(refusal("<TED_EXPORT><FORM_SECTION/></TED_EXPORT>"), /TED_EXPORT .* not supported/);
  });
});

describe("eformsDocument on hostile input", () => {
  it("refuses nesting deeper than the parser allows with a one-line error", () => {
    const deep = `<ContractNotice>${"<a>".repeat(300)}${"</a>".repeat(300)}</ContractNotice>`;
    assert.match(refusal(deep), /^invalid XML: /);
  });
});
