/**
 * The language of a tender, from what the document declares (eForms notice
 * language, HTML lang) or else from its text, by franc's trigram model
 * limited to the languages the monitor reads.
 */
import { franc } from "franc-min";

/** ISO 639-3 (franc) → ISO 639-1 (what Baseline prints). */
const SUPPORTED: Record<string, string> = { eng: "en", nld: "nl", fra: "fr", spa: "es", deu: "de", por: "pt" };
/** Enough text for a sure guess; trigram counting over whole documents would dominate the analysis time. */
const SAMPLE_CHARACTERS = 2500;

export function detectLanguage(text: string, declared?: string): string {
  const declaredCode = declared?.toLowerCase().split(/[-_]/)[0];
  if (declaredCode && Object.values(SUPPORTED).includes(declaredCode)) return declaredCode;
  const guess = franc(text.slice(0, SAMPLE_CHARACTERS), { only: Object.keys(SUPPORTED), minLength: 20 });
  return SUPPORTED[guess] ?? "en";
}
