/**
 * The letter a buyer sends a supplier whose services fail the contract's
 * security requirements: in the contract's language (en, fr, es, nl), one
 * section per failing requirement with the contract clause (the catalog's
 * text as the requirements annex gives it: the mandatory form, or the
 * desirable one for a standard the catalog only recommends for what was
 * bought) and the evidence (what the checks found, per asset, and since
 * when). Exempted requirements are named as such, not raised. The letter is
 * laid out as the annex's document model, so that the annex's Markdown,
 * HTML and Word renderers print it.
 *
 * @example
 *   const view = await contractCompliance(store.db, contract);
 *   const docx = await renderSupplierLetter(supplierLetter(view, catalog, { date: "2026-12-07" }), "docx");
 */
import type { Catalog } from "../catalog/catalog.ts";
import type { Language } from "../catalog/schema.ts";
import type { AnnexDocument, Block, Inline } from "../requirements/annex.ts";
import { renderDocx } from "../requirements/render/docx.ts";
import { renderHtml } from "../requirements/render/html.ts";
import { renderMarkdown } from "../requirements/render/markdown.ts";
import { requirementsFor } from "../requirements/select.ts";
import type { ComplianceCell, ContractCompliance } from "./compliance.ts";

export type LetterFormat = "md" | "html" | "docx";

interface Labels {
  title: (contract: string) => string;
  to: string;
  from: string;
  date: string;
  contract: string;
  greeting: (supplier: string) => string;
  intro: (contract: string, signed: string | null, deadline: string | null) => string;
  nothingFailing: string;
  clause: string;
  evidence: string;
  failingSince: (date: string) => string;
  exempted: string;
  exemptedItem: (name: string, until: string | null, reason: string) => string;
  request: string;
  closing: string;
  automated: string;
  suites: { web: string; mail: string };
}

const LABELS: Record<Language, Labels> = {
  en: {
    title: (contract) => `Security requirements not met: ${contract}`,
    to: "To",
    from: "From",
    date: "Date",
    contract: "Contract",
    greeting: (supplier) => `Dear ${supplier},`,
    intro: (contract, signed, deadline) =>
      `Under the contract "${contract}"${signed ? ` signed on ${signed}` : ""}, you undertook to meet the security requirements it lists${deadline ? ` by ${deadline}` : ""}. Our checks of the services you operate under this contract show that the requirements below are not met.`,
    nothingFailing: "Our latest checks found no requirement of the contract failing. This letter needs no action.",
    clause: "Contract clause",
    evidence: "Evidence",
    failingSince: (date) => `Failing since ${date}.`,
    exempted: "The following requirements are exempted by our decision (comply or explain) and are not raised in this letter:",
    exemptedItem: (name, until, reason) => `${name}${until ? ` (until ${until})` : ""}: ${reason}`,
    request: "We ask you to bring these services into line with the clauses above, or to explain in writing why you cannot and by when you will (comply or explain), within 30 days of this letter.",
    closing: "Yours sincerely,",
    automated: "The evidence comes from automated checks of the public services; each can be repeated with Baseline or an equivalent tool.",
    suites: { web: "website", mail: "e-mail" },
  },
  fr: {
    title: (contract) => `Exigences de sécurité non respectées : ${contract}`,
    to: "À",
    from: "De",
    date: "Date",
    contract: "Contrat",
    greeting: () => "Madame, Monsieur,",
    intro: (contract, signed, deadline) =>
      `Par le contrat « ${contract} »${signed ? ` signé le ${signed}` : ""}, vous vous êtes engagé à respecter les exigences de sécurité qu'il énumère${deadline ? ` au plus tard le ${deadline}` : ""}. Nos contrôles des services que vous exploitez au titre de ce contrat montrent que les exigences ci-dessous ne sont pas respectées.`,
    nothingFailing: "Nos derniers contrôles ne relèvent aucune exigence du contrat en défaut. Ce courrier n'appelle aucune action.",
    clause: "Clause du contrat",
    evidence: "Éléments de preuve",
    failingSince: (date) => `En défaut depuis le ${date}.`,
    exempted: "Les exigences suivantes font l'objet d'une dérogation décidée par nos soins (appliquer ou expliquer) et ne sont pas relevées ici :",
    exemptedItem: (name, until, reason) => `${name}${until ? ` (jusqu'au ${until})` : ""} : ${reason}`,
    request: "Nous vous demandons de mettre ces services en conformité avec les clauses ci-dessus, ou de nous expliquer par écrit pourquoi vous ne le pouvez pas et dans quel délai vous le ferez (appliquer ou expliquer), dans les 30 jours suivant ce courrier.",
    closing: "Veuillez agréer, Madame, Monsieur, l'expression de nos salutations distinguées.",
    automated: "Les éléments de preuve proviennent de contrôles automatisés des services publics ; chacun peut être refait avec Baseline ou un outil équivalent.",
    suites: { web: "site web", mail: "messagerie" },
  },
  es: {
    title: (contract) => `Requisitos de seguridad incumplidos: ${contract}`,
    to: "A",
    from: "De",
    date: "Fecha",
    contract: "Contrato",
    greeting: () => "Estimados señores:",
    intro: (contract, signed, deadline) =>
      `En virtud del contrato «${contract}»${signed ? ` firmado el ${signed}` : ""}, se comprometieron a cumplir los requisitos de seguridad que enumera${deadline ? ` a más tardar el ${deadline}` : ""}. Nuestras comprobaciones de los servicios que prestan en el marco de este contrato muestran que no se cumplen los requisitos siguientes.`,
    nothingFailing: "Nuestras últimas comprobaciones no han detectado ningún requisito del contrato incumplido. Esta carta no requiere ninguna acción.",
    clause: "Cláusula del contrato",
    evidence: "Pruebas",
    failingSince: (date) => `Incumplido desde el ${date}.`,
    exempted: "Los requisitos siguientes están exentos por decisión nuestra (cumplir o explicar) y no se plantean en esta carta:",
    exemptedItem: (name, until, reason) => `${name}${until ? ` (hasta el ${until})` : ""}: ${reason}`,
    request: "Les rogamos que adapten estos servicios a las cláusulas anteriores o que nos expliquen por escrito por qué no pueden hacerlo y en qué plazo lo harán (cumplir o explicar), en un plazo de 30 días desde esta carta.",
    closing: "Atentamente,",
    automated: "Las pruebas proceden de comprobaciones automatizadas de los servicios públicos; cada una puede repetirse con Baseline o una herramienta equivalente.",
    suites: { web: "sitio web", mail: "correo electrónico" },
  },
  nl: {
    title: (contract) => `Beveiligingseisen niet nageleefd: ${contract}`,
    to: "Aan",
    from: "Van",
    date: "Datum",
    contract: "Overeenkomst",
    greeting: (supplier) => `Geachte ${supplier},`,
    intro: (contract, signed, deadline) =>
      `Met de overeenkomst "${contract}"${signed ? `, getekend op ${signed},` : ""} heeft u zich verplicht de daarin genoemde beveiligingseisen na te leven${deadline ? ` uiterlijk op ${deadline}` : ""}. Onze controles van de diensten die u onder deze overeenkomst levert, tonen aan dat aan de onderstaande eisen niet wordt voldaan.`,
    nothingFailing: "Onze laatste controles vonden geen eis van de overeenkomst die niet wordt nageleefd. Deze brief vraagt geen actie.",
    clause: "Bepaling van de overeenkomst",
    evidence: "Bewijs",
    failingSince: (date) => `Niet nageleefd sinds ${date}.`,
    exempted: "Voor de volgende eisen geldt een door ons besloten uitzondering (pas toe of leg uit); ze worden hier niet aan de orde gesteld:",
    exemptedItem: (name, until, reason) => `${name}${until ? ` (tot ${until})` : ""}: ${reason}`,
    request: "Wij verzoeken u deze diensten binnen 30 dagen na dagtekening in overeenstemming te brengen met de bovenstaande bepalingen, of schriftelijk toe te lichten waarom dat niet kan en wanneer het wel gebeurt (pas toe of leg uit).",
    closing: "Met vriendelijke groet,",
    automated: "Het bewijs komt uit geautomatiseerde controles van de openbare diensten; elke controle kan worden herhaald met Baseline of een gelijkwaardig hulpmiddel.",
    suites: { web: "website", mail: "e-mail" },
  },
};

export interface LetterOptions {
  /** ISO date printed as the letter's date (fixed in tests). */
  date: string;
  /** Overrides the contract's language. */
  language?: Language;
}

/** "7 December 2026", "7 décembre 2026", ... */
function longDate(iso: string, language: Language): string {
  const date = new Date(`${iso.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(language === "en" ? "en-GB" : language, { dateStyle: "long", timeZone: "UTC" }).format(date);
}

/** The clause of each standard as the contract's requirements annex words it, and its number there. */
function clausesOf(view: ContractCompliance, catalog: Catalog, language: Language): Map<string, { number: number; clause: string; name: string; fullName: string }> {
  const { contract } = view;
  const levels = new Map<string, "mandatory" | "recommended">();
  if (contract.categories.length > 0 || contract.cpvCodes.length > 0) {
    try {
      for (const requirement of requirementsFor(catalog, { categories: contract.categories, cpv: contract.cpvCodes, level: "all", language }).requirements) levels.set(requirement.standard, requirement.level);
    } catch {
      // Scope without categories (CPV codes outside them): every clause is the mandatory form.
    }
  }
  const clauses = new Map<string, { number: number; clause: string; name: string; fullName: string }>();
  contract.standards.forEach((id, index) => {
    if (!catalog.hasStandard(id)) return;
    const standard = catalog.standard(id);
    const form = levels.get(id) === "recommended" ? standard.clause.desirable : standard.clause.mandatory;
    clauses.set(id, { number: index + 1, clause: form[language], name: standard.name[language], fullName: standard.fullName[language] });
  });
  return clauses;
}

/** The letter as a document (Markdown, HTML and Word print it alike). */
export function supplierLetter(view: ContractCompliance, catalog: Catalog, options: LetterOptions): AnnexDocument {
  const { contract } = view;
  const language = options.language ?? contract.language;
  const labels = LABELS[language];
  const clauses = clausesOf(view, catalog, language);
  const blocks: Block[] = [];
  const paragraph = (...content: Inline[]): void => void blocks.push({ kind: "paragraph", content });
  paragraph({ text: `${labels.to}: `, strong: true }, contract.supplier);
  paragraph({ text: `${labels.from}: `, strong: true }, contract.buyer);
  paragraph({ text: `${labels.date}: `, strong: true }, longDate(options.date, language));
  paragraph({ text: `${labels.contract}: `, strong: true }, contract.title);
  paragraph(labels.greeting(contract.supplier));
  const failing = view.cells.filter((cell) => cell.state === "failing");
  if (failing.length === 0) {
    paragraph(labels.nothingFailing);
  } else {
    paragraph(labels.intro(contract.title, contract.signedOn ? longDate(contract.signedOn, language) : null, contract.deadlineOn ? longDate(contract.deadlineOn, language) : null));
    const byStandard = new Map<string, ComplianceCell[]>();
    for (const cell of failing) byStandard.set(cell.standard, [...(byStandard.get(cell.standard) ?? []), cell]);
    const ordered = [...byStandard.entries()].sort(([a], [b]) => (clauses.get(a)?.number ?? 999) - (clauses.get(b)?.number ?? 999));
    for (const [standard, cells] of ordered) {
      const clause = clauses.get(standard);
      blocks.push({ kind: "heading", level: 2, text: clause ? `R${clause.number}. ${clause.name}${clause.fullName !== clause.name ? ` – ${clause.fullName}` : ""}` : standard });
      if (clause) paragraph({ text: `${labels.clause}. `, strong: true }, clause.clause);
      paragraph({ text: `${labels.evidence}:`, strong: true });
      const items: Inline[][] = [];
      for (const cell of cells) {
        const where = `${cell.domain} (${labels.suites[cell.suite]})`;
        const tests = cell.tests.filter((test) => test.status === "failed");
        for (const test of tests) items.push([{ text: `${where}, ${test.title} [${test.id}]: `, strong: true }, test.summary]);
        if (tests.length === 0) items.push([{ text: where, strong: true }]);
        if (cell.failingSince) items.push([`${where}: ${labels.failingSince(longDate(cell.failingSince, language))}`]);
      }
      blocks.push({ kind: "list", items });
    }
    paragraph(labels.automated);
    paragraph(labels.request);
  }
  const exempted = [...new Map(view.cells.filter((cell) => cell.state === "exempted" && cell.exemption).map((cell) => [cell.standard, cell])).values()];
  if (exempted.length > 0) {
    paragraph(labels.exempted);
    blocks.push({
      kind: "list",
      items: exempted.map((cell) => [labels.exemptedItem(clauses.get(cell.standard)?.name ?? cell.standard, cell.exemption?.expiresOn ? longDate(cell.exemption.expiresOn, language) : null, cell.exemption?.reason ?? "")]),
    });
  }
  paragraph(labels.closing);
  paragraph(contract.buyer);
  return { language, title: labels.title(contract.title), blocks };
}

export async function renderSupplierLetter(letter: AnnexDocument, format: LetterFormat): Promise<string | Uint8Array> {
  if (format === "docx") return renderDocx(letter);
  return format === "html" ? renderHtml(letter) : renderMarkdown(letter);
}
