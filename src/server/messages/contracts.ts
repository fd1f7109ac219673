/**
 * The contracts pages' strings in English, French and Spanish (merged into
 * i18n.ts; a key missing in a translation fails the completeness test).
 */
const en = {
  "nav.contracts": "Contracts",
} as const;

type Keys = keyof typeof en;

export const CONTRACTS_MESSAGES = {
  en,
  fr: {
    "nav.contracts": "Contrats",
  } satisfies Partial<Record<Keys, string>>,
  es: {
    "nav.contracts": "Contratos",
  } satisfies Partial<Record<Keys, string>>,
};
