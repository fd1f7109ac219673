/**
 * The portfolios pages' strings in English, French and Spanish (merged into
 * i18n.ts; a key missing in a translation fails the completeness test).
 */
const en = {
  "nav.portfolios": "Portfolios",
} as const;

type Keys = keyof typeof en;

export const PORTFOLIOS_MESSAGES = {
  en,
  fr: {
    "nav.portfolios": "Portefeuilles",
  } satisfies Partial<Record<Keys, string>>,
  es: {
    "nav.portfolios": "Carteras",
  } satisfies Partial<Record<Keys, string>>,
};
