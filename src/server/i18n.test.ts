import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LANGUAGES, pickLanguage, translationKeys, translator, type MessageKey } from "./i18n.ts";

describe("translations", () => {
  it("has every English string in French and Spanish", () => {
    const english = translationKeys("en").sort();
    for (const language of LANGUAGES) assert.deepEqual(translationKeys(language).sort(), english, language);
  });

  // A key missing from French or Spanish would fall back to English without
  // any error, and so would a value pasted untranslated: both show up as a
  // value equal to the English one. Words that are spelled the same in both
  // languages are listed here, by key, so that each one is a decision.
  const SAME_AS_ENGLISH: Record<"fr" | "es", readonly string[]> = {
    fr: ["nav.institutions", "home.institutions", "field.institution", "field.type", "field.format", "prefill.document", "import.where"],
    es: ["field.sector", "no", "role.editor", "error.title"],
  };

  it("translates every key into French and Spanish, not falling back to English", () => {
    const english = translator("en");
    for (const language of ["fr", "es"] as const) {
      const translate = translator(language);
      const present = new Set(translationKeys(language));
      const untranslated = translationKeys("en").filter((key) => {
        const value = translate(key as MessageKey);
        return !present.has(key) || value.trim() === "" || (value === english(key as MessageKey) && !SAME_AS_ENGLISH[language].includes(key));
      });
      assert.deepEqual(untranslated, [], `${language}: keys without a translation of their own`);
      for (const key of SAME_AS_ENGLISH[language]) assert.ok(present.has(key), `${language}: allow-listed key ${key} exists`);
    }
  });

  it("keeps the English placeholders in every translation", () => {
    const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? "").sort();
    for (const key of translationKeys("en") as MessageKey[]) {
      const expected = placeholders(translator("en")(key));
      for (const language of ["fr", "es"] as const) assert.deepEqual(placeholders(translator(language)(key)), expected, `${language} ${key}`);
    }
  });

  it("fills placeholders", () => {
    assert.equal(translator("fr")("list.count", { count: 3 }), "3 résultats");
    assert.equal(translator("es")("login.tooMany", { duration: "15 minutos" }), "Demasiados intentos fallidos. Vuelva a intentarlo en 15 minutos.");
  });

  it("picks the language from query, cookie, then Accept-Language", () => {
    assert.equal(pickLanguage("es", "fr", "fr-FR"), "es");
    assert.equal(pickLanguage(undefined, "fr", "es"), "fr");
    assert.equal(pickLanguage(undefined, undefined, "de-DE,fr;q=0.8,en;q=0.5"), "fr");
    assert.equal(pickLanguage("xx", undefined, "de"), "en");
  });
});
