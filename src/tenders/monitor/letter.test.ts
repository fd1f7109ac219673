import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadCatalog } from "../../catalog/load.ts";
import { feedbackLetter, letterLanguage } from "./letter.ts";
import { analysis, cityHosting, cityMail, ministryFurniture, ministryWebsite } from "./test-fixtures.ts";

const catalog = loadCatalog();
const dnssec = catalog.standard("dnssec");

describe("feedbackLetter", () => {
  it("writes to a Dutch tender in Dutch, with the Dutch clause for each missing standard", () => {
    const letter = feedbackLetter(ministryWebsite, catalog, "md");
    assert.match(letter, /^# Beveiligingsstandaarden in uw aanbesteding "Beheer en hosting van de website van het ministerie"\n/);
    assert.match(letter, /^Aan: Ministerie van Financiën$/m);
    assert.match(letter, /^Geachte collega's,$/m);
    assert.match(letter, /op 14 februari 2023\./);
    assert.match(letter, /Uw aanbesteding vraagt deze relevante standaarden:\n\n- HTTPS\n/);
    assert.ok(letter.includes(dnssec.clause.mandatory.nl), "the mandatory DNSSEC clause in Dutch");
    assert.ok(letter.includes(dnssec.orEquivalent.nl), "the Dutch 'or equivalent' text");
    assert.equal(letter.match(/^## /gm)?.length, 3, "one section each for DNSSEC, HSTS and TLS");
    assert.match(letter, /^## HSTS – HTTP Strict Transport Security$/m);
    assert.match(letter, /pas toe of leg uit/);
    assert.doesNotMatch(letter, /The supplier shall/);
  });

  it("marks a wish and mentions a generic demand for the mandatory standards", () => {
    const letter = feedbackLetter(cityHosting, catalog, "md");
    assert.match(letter, /- TLS \(als wens of gunningscriterium\)/);
    assert.match(letter, /verwijst in algemene termen naar de verplichte standaarden/);
    assert.doesNotMatch(feedbackLetter(ministryWebsite, catalog, "md"), /verwijst in algemene termen/);
  });

  it("falls back to English for a German tender", () => {
    const german = { ...ministryWebsite, language: "de", title: "Betrieb der Website" };
    const letter = feedbackLetter(german, catalog, "md");
    assert.match(letter, /^# Security standards in your tender "Betrieb der Website"\n/);
    assert.match(letter, /^Dear colleagues,$/m);
    assert.match(letter, /on 14 February 2023\./);
    assert.ok(letter.includes(dnssec.clause.mandatory.en));
    assert.ok(letter.includes(dnssec.orEquivalent.en));
    assert.match(letter, /comply-or-explain/);
  });

  it("uses the catalog language of a regional tag", () => {
    assert.equal(letterLanguage("fr-BE"), "fr");
    assert.equal(letterLanguage("ES"), "es");
    assert.equal(letterLanguage("de"), "en");
    assert.equal(letterLanguage("und"), "en");
    const letter = feedbackLetter({ ...ministryWebsite, language: "fr-BE" }, catalog, "md");
    assert.ok(letter.includes(dnssec.clause.mandatory.fr));
    assert.match(letter, /\*\*Ou équivalent\*\* : /);
  });

  it("congratulates a tender that asked for every relevant standard, without clauses", () => {
    const letter = feedbackLetter(cityMail, catalog, "md");
    assert.match(letter, /Gefeliciteerd: uw aanbesteding vraagt alle 5 relevante standaarden\./);
    assert.doesNotMatch(letter, /^## /m);
    assert.doesNotMatch(letter, /niet gevraagd/);
    assert.ok(letter.length < feedbackLetter(ministryWebsite, catalog, "md").length / 3);
  });

  it("has nothing to add for a tender without relevant standards", () => {
    const letter = feedbackLetter(ministryFurniture, catalog, "md");
    assert.match(letter, /Geen van de standaarden die wij volgen is relevant/);
    assert.doesNotMatch(letter, /Gefeliciteerd/);
  });

  it("writes a standalone HTML letter in the tender's language", () => {
    const letter = feedbackLetter(ministryWebsite, catalog, "html");
    assert.match(letter, /^<!doctype html>\n<html lang="nl">/);
    assert.match(letter, /<h2>DNSSEC – Beveiligingsuitbreidingen voor het Domain Name System<\/h2>/);
    assert.match(letter, /<p><strong>Eis<\/strong>: De leverancier ondertekent alle domeinnamen/);
    assert.doesNotMatch(letter, /<script|<link|\ssrc=/i);
  });

  it("escapes text from the tender in both formats", () => {
    const hostile = analysis({
      source: "x.html",
      language: "en",
      title: `<script>alert("x")</script>`,
      authority: "Tom & Jerry <b>Council</b>",
      relevant: ["dnssec"],
    });
    const html = feedbackLetter(hostile, catalog, "html");
    assert.doesNotMatch(html, /<script|<b>/);
    assert.match(html, /<title>Security standards in your tender &#34;&#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62;&#34;<\/title>/);
    assert.match(html, /<p>To: Tom &#38; Jerry &#60;b&#62;Council&#60;\/b&#62;<\/p>/);
    const markdown = feedbackLetter(hostile, catalog, "md");
    assert.match(markdown, /^# Security standards in your tender "\\<script\\>alert\("x"\)\\<\/script\\>"$/m);
    assert.match(markdown, /^To: Tom \\& Jerry \\<b\\>Council\\<\/b\\>$/m);
  });

  it("names a standard the catalog does not know instead of failing", () => {
    const letter = feedbackLetter(analysis({ source: "y.txt", relevant: ["retired-standard"] }), catalog, "md");
    assert.match(letter, /^## retired-standard$/m);
    assert.match(letter, /^Dear colleagues,$/m);
  });
});
