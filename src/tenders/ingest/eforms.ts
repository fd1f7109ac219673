/**
 * eForms notice ingestion (the UBL-based XML that TED publishes since 2023:
 * ContractNotice, PriorInformationNotice, ContractAwardNotice), parsed with
 * fast-xml-parser. Field paths follow the eForms SDK as mapped by OCDS for
 * eForms (open-contracting/european-union-support, guidance.yaml):
 *
 * - BT-21 title: cac:ProcurementProject/cbc:Name; BT-24 description:
 *   cac:ProcurementProject/cbc:Description; BT-300 additional information:
 *   cac:ProcurementProject/cbc:Note. Each at procedure level (directly under
 *   the notice root) and per lot (cac:ProcurementProjectLot).
 * - BT-262 main CPV: cac:MainCommodityClassification/cbc:ItemClassificationCode;
 *   BT-263 additional CPV: cac:AdditionalCommodityClassification/cbc:ItemClassificationCode
 *   (BT-26 @listName says "cpv"; eForms writes no check digit).
 * - BT-734/BT-540 award criterion name and description:
 *   cac:TenderingTerms/cac:AwardingTerms/cac:AwardingCriterion/cac:SubordinateAwardingCriterion;
 *   BT-733 (cac:AwardingCriterion/cbc:Description) explains their order.
 * - BT-750 selection criteria: cac:TenderingTerms/ext:UBLExtensions/.../efac:SelectionCriteria/cbc:Description.
 * - BT-70 terms of performance: cac:TenderingTerms/cac:ContractExecutionRequirement
 *   [cbc:ExecutionRequirementCode/@listName='conditions']/cbc:Description.
 * - Buyer: cac:ContractingParty/cac:Party refers by id (ORG-0001) to an
 *   efac:Organization whose efac:Company has the name (BT-500).
 * - BT-702 notice language cbc:NoticeLanguageCode (ISO 639-3, "ENG");
 *   BT-05 cbc:IssueDate.
 *
 * Namespace prefixes are dropped while parsing: the eForms vocabularies do
 * not reuse a local name for two meanings on these paths.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import type { Passage, TenderDocument } from "../types.ts";
import { addCpv, collapseWhitespace, IngestError, isoDate, oneLine, progressTicker } from "./common.ts";
import { decodeText, splitLong } from "./text.ts";

/** An element: child elements by local name (always arrays), attributes as "@_name", text as "#text". */
interface XmlElement {
  [key: string]: unknown;
}

/** EU official languages (and EEA ones TED accepts), ISO 639-3 as in eForms to ISO 639-1. */
const LANGUAGES: Record<string, string> = {
  BUL: "bg", CES: "cs", DAN: "da", DEU: "de", ELL: "el", ENG: "en", EST: "et", FIN: "fi", FRA: "fr", GLE: "ga", HRV: "hr",
  HUN: "hu", ITA: "it", LAV: "lv", LIT: "lt", MLT: "mt", NLD: "nl", POL: "pl", POR: "pt", RON: "ro", SLK: "sk", SLV: "sl",
  SPA: "es", SWE: "sv", ISL: "is", NOR: "no",
};

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  alwaysCreateTextNode: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (_name, _path, _isLeaf, isAttribute) => !isAttribute,
});

export function ingestEforms(bytes: Uint8Array, source: string, onProgress?: () => void): TenderDocument {
  return eformsDocument(decodeText(bytes), source, onProgress);
}

/**
 * Characters kept of one text field. The eForms SDK caps descriptions and
 * notes at a few thousand characters (BT-24: 6,000); the XML parser builds a
 * field's text piece by piece, and a 40 MB description took 7 s and 1.6 GB
 * (finding 14 of issue 15).
 */
const MAX_FIELD_CHARS = 100_000;

/**
 * The XML with every text run between tags longer than MAX_FIELD_CHARS cut
 * to that length (not inside an entity), and whether any was. A scan with
 * indexOf: a regular expression with a repeat count this large overflows
 * the engine's stack.
 */
export function cutLongFields(xml: string, tick?: () => void): { xml: string; cut: boolean } {
  const parts: string[] = [];
  let copied = 0;
  for (let gt = xml.indexOf(">"); gt !== -1; ) {
    tick?.();
    const lt = xml.indexOf("<", gt + 1);
    const end = lt === -1 ? xml.length : lt;
    if (end - gt - 1 > MAX_FIELD_CHARS) {
      let kept = xml.slice(gt + 1, gt + 1 + MAX_FIELD_CHARS);
      const amp = kept.lastIndexOf("&");
      if (amp !== -1 && !kept.includes(";", amp)) kept = kept.slice(0, amp);
      parts.push(xml.slice(copied, gt + 1), kept);
      copied = end;
    }
    if (lt === -1) break;
    gt = xml.indexOf(">", lt);
  }
  if (parts.length === 0) return { xml, cut: false };
  parts.push(xml.slice(copied));
  return { xml: parts.join(""), cut: true };
}

/**
 * `onProgress` is called while the text is scanned and between the parser's
 * steps (validation, parsing, reading lots): the parser itself cannot report
 * any, so a watchdog sees at least each step end.
 */
export function eformsDocument(input: string, source: string, onProgress?: () => void): TenderDocument {
  const { xml, cut } = cutLongFields(input, progressTicker(onProgress));
  const document = parseNotice(xml, source, onProgress);
  if (cut) document.truncated = true;
  return document;
}

function parseNotice(xml: string, source: string, onProgress?: () => void): TenderDocument {
  onProgress?.();
  // fast-xml-validator, the validator's successor package, is not a dependency; the bundled one still works.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const validation = XMLValidator.validate(xml);
  if (validation !== true) {
    const { line, col, msg } = validation.err;
    throw new IngestError(`invalid XML at line ${line}, column ${col}: ${msg}`);
  }
  onProgress?.();
  let parsed: XmlElement;
  try {
    parsed = parser.parse(xml) as XmlElement;
  } catch (error) {
    // Beyond what the validator checks, such as nesting deeper than the parser allows.
    throw new IngestError(`invalid XML: ${oneLine(error)}`);
  }
  const rootName = Object.keys(parsed).find((key) => !key.startsWith("#") && !key.startsWith("?"));
  const root = rootName === undefined ? undefined : children(parsed, rootName)[0];
  if (rootName === "TED_EXPORT") throw new IngestError("TED_EXPORT notices (the TED schema before eForms) are not supported; only eForms (UBL) notices");
  if (!root || (children(root, "ProcurementProject").length === 0 && children(root, "ProcurementProjectLot").length === 0)) {
    throw new IngestError(`not an eForms notice (root element ${rootName ?? "missing"}, no cac:ProcurementProject)`);
  }
  onProgress?.();
  return new NoticeReader(root, source).read();
}

class NoticeReader {
  readonly #root: XmlElement;
  readonly #source: string;
  /** ISO 639-3, upper case, to pick among multilingual texts. */
  readonly #language: string | undefined;

  constructor(root: XmlElement, source: string) {
    this.#root = root;
    this.#source = source;
    this.#language = textOf(first(root, "NoticeLanguageCode"))?.toUpperCase();
  }

  read(): TenderDocument {
    const document: TenderDocument = { source: this.#source, format: "eforms", cpv: [], passages: [] };
    const procedure = first(this.#root, "ProcurementProject");
    const title = procedure ? this.#text(procedure, "Name") : undefined;
    if (title) document.title = title;
    const authority = this.#buyerName();
    if (authority) document.authority = authority;
    const published = isoDate(textOf(first(this.#root, "IssueDate")));
    if (published) document.publishedAt = published;
    const language = this.#language === undefined ? undefined : LANGUAGES[this.#language];
    if (language) document.declaredLanguage = language;

    if (procedure) this.#project(procedure, "Procedure", document);
    for (const lot of children(this.#root, "ProcurementProjectLot")) {
      const project = first(lot, "ProcurementProject");
      const id = textOf(first(lot, "ID")) ?? "lot";
      const name = project ? this.#text(project, "Name") : undefined;
      const section = name ? `${id}: ${name}` : id;
      if (project) this.#project(project, section, document);
      const terms = first(lot, "TenderingTerms");
      if (terms) this.#tenderingTerms(terms, section, document.passages);
    }
    return document;
  }

  /** BT-21, BT-24, BT-300 and the CPV codes of the procedure or of one lot. */
  #project(project: XmlElement, section: string, document: TenderDocument): void {
    const add = (text: string | undefined, role?: Passage["role"]): void => {
      addPassages(document.passages, text, section, role);
    };
    add(this.#text(project, "Name"), "title");
    add(this.#text(project, "Description"), "description");
    for (const note of this.#texts(project, "Note")) add(note);
    for (const path of [["MainCommodityClassification", "ItemClassificationCode"], ["AdditionalCommodityClassification", "ItemClassificationCode"]]) {
      for (const code of descend(project, path)) {
        const list = attribute(code, "listName");
        if (list === undefined || list.toLowerCase() === "cpv") addCpv(document.cpv, textOf(code));
      }
    }
  }

  /** Award criteria (BT-733, BT-734, BT-540), selection criteria (BT-750), terms of performance (BT-70). */
  #tenderingTerms(terms: XmlElement, section: string, passages: Passage[]): void {
    for (const criterion of descend(terms, ["AwardingTerms", "AwardingCriterion"])) {
      const justification = this.#text(criterion, "Description");
      addPassages(passages, justification, section, "award-criterion");
      for (const sub of children(criterion, "SubordinateAwardingCriterion")) {
        const name = this.#text(sub, "Name");
        const description = this.#text(sub, "Description");
        const text = name && description ? `${name}: ${description}` : (name ?? description);
        addPassages(passages, text, section, "award-criterion");
      }
    }
    const selection = descend(terms, ["UBLExtensions", "UBLExtension", "ExtensionContent", "EformsExtension", "SelectionCriteria"]);
    for (const criterion of selection) {
      for (const text of this.#texts(criterion, "Description")) addPassages(passages, text, section, "selection-criterion");
    }
    for (const requirement of children(terms, "ContractExecutionRequirement")) {
      const code = first(requirement, "ExecutionRequirementCode");
      if (code && attribute(code, "listName") !== "conditions") continue;
      for (const text of this.#texts(requirement, "Description")) addPassages(passages, text, section, "requirement");
    }
  }

  /** The first buyer's name, on the party itself or on the organisation it refers to. */
  #buyerName(): string | undefined {
    const companies = descend(this.#root, ["UBLExtensions", "UBLExtension", "ExtensionContent", "EformsExtension", "Organizations", "Organization", "Company"]);
    for (const party of descend(this.#root, ["ContractingParty", "Party"])) {
      const direct = this.#partyName(party);
      if (direct) return direct;
      const id = textOf(descend(party, ["PartyIdentification", "ID"])[0]);
      const company = companies.find((candidate) => textOf(descend(candidate, ["PartyIdentification", "ID"])[0]) === id);
      const name = company ? this.#partyName(company) : undefined;
      if (name) return name;
    }
    return undefined;
  }

  #partyName(party: XmlElement): string | undefined {
    const [legal] = descend(party, ["PartyLegalEntity"]);
    const [partyName] = descend(party, ["PartyName"]);
    return (partyName ? this.#text(partyName, "Name") : undefined) ?? (legal ? this.#text(legal, "RegistrationName") : undefined);
  }

  /** One text of a multilingual field: the one in the notice language, or else the first. */
  #text(parent: XmlElement, name: string): string | undefined {
    const elements = children(parent, name);
    const inLanguage = elements.find((element) => attribute(element, "languageID")?.toUpperCase() === this.#language);
    return textOf(inLanguage ?? elements[0]);
  }

  /** Every text of a repeatable multilingual field, in the notice language when it has one. */
  #texts(parent: XmlElement, name: string): string[] {
    const elements = children(parent, name);
    const inLanguage = elements.filter((element) => attribute(element, "languageID")?.toUpperCase() === this.#language);
    return (inLanguage.length > 0 ? inLanguage : elements).map(textOf).filter((text): text is string => text !== undefined);
  }
}

/** A field's text as passages, long texts split at sentence ends. */
function addPassages(passages: Passage[], text: string | undefined, section: string, role?: Passage["role"]): void {
  for (const chunk of splitLong(text ?? "")) passages.push(role ? { text: chunk, section, role } : { text: chunk, section });
}

function isElement(value: unknown): value is XmlElement {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function children(parent: XmlElement, name: string): XmlElement[] {
  const value = parent[name];
  return Array.isArray(value) ? value.filter(isElement) : [];
}

function first(parent: XmlElement, name: string): XmlElement | undefined {
  return children(parent, name)[0];
}

/** Every element at the end of a path of local names. */
function descend(parent: XmlElement, path: string[]): XmlElement[] {
  return path.reduce<XmlElement[]>((elements, name) => elements.flatMap((element) => children(element, name)), [parent]);
}

function attribute(element: XmlElement, name: string): string | undefined {
  const value = element[`@_${name}`];
  return typeof value === "string" ? value : undefined;
}

function textOf(element: XmlElement | undefined): string | undefined {
  const value = element?.["#text"];
  if (typeof value !== "string") return undefined;
  const text = collapseWhitespace(value);
  return text === "" ? undefined : text;
}
