/**
 * Names of countries (ISO 3166 alpha-2) and UN M49 areas in the UI
 * language, from the runtime's ICU data: the names people use ("United
 * States", "South Korea", "Congo - Kinshasa"), where i18n-iso-countries
 * gives the official long forms or, in its short forms, one "Congo" for two
 * countries. One Intl.DisplayNames per language, made on first use.
 *
 * @example
 *   countryName("NL", "fr"); // "Pays-Bas"
 *   areaName("001", "en");   // "World"
 */
import type { UiLanguage } from "./i18n.ts";

const regionNames = new Map<UiLanguage, Intl.DisplayNames>();

function namesIn(language: UiLanguage): Intl.DisplayNames {
  let names = regionNames.get(language);
  if (!names) {
    names = new Intl.DisplayNames([language], { type: "region", fallback: "none" });
    regionNames.set(language, names);
  }
  return names;
}

/** The country's name; the code itself when it is not a well-formed code (Intl would throw) or ICU has no name. */
export function countryName(code: string, language: UiLanguage): string {
  if (!/^[A-Z]{2}$/.test(code)) return code;
  return namesIn(language).of(code) ?? code;
}

/** An M49 area's name, capitalised ("001" is "world" in English); the code when ICU has none (the store accepts any three digits). */
export function areaName(code: string, language: UiLanguage): string {
  if (!/^\d{3}$/.test(code)) return code;
  const name = namesIn(language).of(code);
  return name ? name.charAt(0).toLocaleUpperCase(language) + name.slice(1) : code;
}
