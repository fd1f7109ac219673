import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LANGUAGES, pickLanguage, translationKeys, translator } from "./i18n.ts";

describe("translations", () => {
  it("has every English string in French and Spanish", () => {
    const english = translationKeys("en").sort();
    for (const language of LANGUAGES) assert.deepEqual(translationKeys(language).sort(), english, language);
  });

  it("fills placeholders", () => {
    assert.equal(translator("fr")("list.count", { count: 3 }), "3 résultats");
    assert.equal(translator("es")("login.tooMany", { minutes: 15 }), "Demasiados intentos fallidos. Vuelva a intentarlo en 15 minutos.");
  });

  it("picks the language from query, cookie, then Accept-Language", () => {
    assert.equal(pickLanguage("es", "fr", "fr-FR"), "es");
    assert.equal(pickLanguage(undefined, "fr", "es"), "fr");
    assert.equal(pickLanguage(undefined, undefined, "de-DE,fr;q=0.8,en;q=0.5"), "fr");
    assert.equal(pickLanguage("xx", undefined, "de"), "en");
  });
});
