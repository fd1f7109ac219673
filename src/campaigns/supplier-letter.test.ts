/**
 * The letter to the supplier: in the contract's language (or the one asked
 * for), each failing requirement with the catalog's clause as the annex
 * words it (mandatory, or desirable for a recommended standard) and the
 * evidence from the checks, exemptions named and not raised; printed as
 * Markdown, HTML (escaped) and Word.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import JSZip from "jszip";
import { loadCatalog } from "../catalog/load.ts";
import type { Language } from "../catalog/schema.ts";
import { openTestStore, type TestStore } from "../store/test-databases.ts";
import { contractCompliance } from "./compliance.ts";
import { fakeReport } from "./contracts-test-support.ts";
import { createContract, type Contract } from "./contracts.ts";
import { addExemption } from "./exemptions.ts";
import { createRun, finishRunIfComplete, recordResult } from "./runs.ts";
import { renderSupplierLetter, supplierLetter } from "./supplier-letter.ts";

const catalog = loadCatalog();

describe("the letter to the supplier", () => {
  let store: TestStore;
  let contract: Contract;
  before(async () => {
    store = await openTestStore("sqlite", { name: "supplier_letter" });
    contract = await createContract(
      store.db,
      catalog,
      { title: "Hébergement web", buyer: "Ville de Lyon", supplier: "ACME <Hosting>", language: "fr", categories: ["web-hosting"], standards: ["https", "hsts", "dnssec", "caa"], signedOn: "2026-01-15", deadlineOn: "2026-06-30", assets: [{ domain: "www.lyon.example", suite: "web" }] },
      null,
    );
    for (const [day, hsts] of [[1, "passed"], [2, "failed"], [3, "failed"]] as const) {
      const at = new Date(Date.UTC(2026, 10, day, 2));
      const { run } = await createRun(store.db, { subjectKind: "contract", subjectId: contract.id, slot: at.toISOString(), targets: [{ domain: "www.lyon.example", suite: "web" }], now: at });
      await recordResult(store.db, { runId: run.id, domain: "www.lyon.example", suite: "web", report: fakeReport("www.lyon.example", "web", { https: "passed", hsts, dnssec: "failed", caa: "failed" }) });
      await finishRunIfComplete(store.db, run.id, at);
    }
    await addExemption(store.db, contract.id, { standard: "dnssec", reason: "Migration du registraire en cours", decidedBy: "RSSI", expiresOn: "2027-03-31" }, null);
  });
  after(() => store.close());

  const letterIn = async (language?: Language) => supplierLetter(await contractCompliance(store.db, contract, new Date("2026-12-07T12:00:00Z")), catalog, { date: "2026-12-07", ...(language ? { language } : {}) });

  test("in the contract's language: the clause as the annex words it, the evidence, since when; exemptions apart", async () => {
    const markdown = (await renderSupplierLetter(await letterIn(), "md")) as string;
    const hsts = catalog.standard("hsts");
    assert.match(markdown, /^# Exigences de sécurité non respectées : Hébergement web/);
    // Markdown escapes some characters; compare on the clause's words.
    assert.ok(markdown.replace(/\\/g, "").includes(hsts.clause.mandatory.fr), "the mandatory clause of HSTS in French");
    // CAA is recommended for web hosting: the annex gives its desirable form.
    assert.ok(markdown.replace(/\\/g, "").includes(catalog.standard("caa").clause.desirable.fr), "the desirable clause of CAA");
    assert.match(markdown, /R2\. HSTS/);
    assert.match(markdown, /hsts failed on www\.lyon\.example/);
    assert.match(markdown, /En défaut depuis le 2 novembre 2026/);
    assert.ok(!/## R\d+\. DNSSEC/.test(markdown), "an exempted requirement is not raised");
    assert.match(markdown, /DNSSEC \(jusqu'au 31 mars 2027\) : Migration du registraire en cours/);
    assert.ok(!/## R1\. HTTPS/.test(markdown), "a compliant requirement is not raised");
    assert.match(markdown, /signé le 15 janvier 2026/);
  });

  test("in English, Spanish and Dutch when asked, with the catalog's clause in that language", async () => {
    for (const [language, heading] of [["en", "Security requirements not met"], ["es", "Requisitos de seguridad incumplidos"], ["nl", "Beveiligingseisen niet nageleefd"]] as const) {
      const html = (await renderSupplierLetter(await letterIn(language), "html")) as string;
      assert.ok(html.includes(`<html lang="${language}">`));
      assert.ok(html.includes(heading), `${language}: ${heading}`);
      const clause = catalog.standard("hsts").clause.mandatory[language].replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
      assert.ok(html.includes(clause), `${language}: the HSTS clause`);
    }
  });

  test("HTML escapes what the contract holds", async () => {
    const html = (await renderSupplierLetter(await letterIn("en"), "html")) as string;
    assert.ok(html.includes("ACME &#60;Hosting&#62;"));
    assert.ok(!html.includes("<Hosting>"));
  });

  test("Word: a document whose text holds the clause and the evidence", async () => {
    const bytes = (await renderSupplierLetter(await letterIn(), "docx")) as Uint8Array;
    assert.equal(Buffer.from(bytes.slice(0, 2)).toString(), "PK");
    const zip = await JSZip.loadAsync(bytes);
    const xml = (await zip.file("word/document.xml")?.async("string")) ?? "";
    const text = xml.replace(/<[^>]+>/g, "").replace(/&apos;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
    assert.ok(text.includes(catalog.standard("hsts").clause.mandatory.fr.slice(0, 60)));
    assert.ok(text.includes("hsts failed on www.lyon.example"));
  });

  test("nothing failing: a short letter saying so", async () => {
    const clean = await createContract(store.db, catalog, { title: "Clean", buyer: "B", supplier: "S", language: "nl", standards: ["https"], assets: [{ domain: "ok.example", suite: "web" }] }, null);
    const letter = supplierLetter(await contractCompliance(store.db, clean), catalog, { date: "2026-12-07" });
    const markdown = (await renderSupplierLetter(letter, "md")) as string;
    assert.match(markdown, /Onze laatste controles vonden geen eis/);
    assert.ok(!markdown.includes("## R"));
  });
});
