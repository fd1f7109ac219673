/**
 * The validation messages of the store (named in records.ts and csv.ts) and
 * of the decision matrix (named in observatory/decision.ts), which are English, in
 * the visitor's language. The store keeps one language because the command
 * line, the API and the logs speak English; the web app translates what it
 * shows. A message this table does not know is shown as written, so a new
 * check is never hidden, only untranslated until added here (a test feeds
 * every schema wrong values of every kind to keep that from happening).
 *
 * @example
 *   localizedIssue("must not be empty", translator("fr")); // "ne doit pas être vide"
 *   localizedMessage("title: must not be empty; kind: must be one of a, b", translator("es"));
 */
import { DECISION_MESSAGES, decisionMessage } from "../observatory/decision.ts";
import { CSV_MESSAGES, csvMessage } from "../store/csv.ts";
import { FIELD_MESSAGES, fieldMessage } from "../store/records.ts";
import { translator, type MessageKey, type Translate } from "./i18n.ts";

/** The fixed messages: English text to its key. Both modules say "must not be empty" alike; one key serves. */
const FIXED = new Map<string, MessageKey>([
  ...(Object.keys(FIELD_MESSAGES) as (keyof typeof FIELD_MESSAGES)[]).map((name): [string, MessageKey] => [FIELD_MESSAGES[name], `issue.${name}`]),
  ...(Object.keys(DECISION_MESSAGES) as (keyof typeof DECISION_MESSAGES)[]).map((name): [string, MessageKey] => [DECISION_MESSAGES[name], `issue.${name}`]),
  ...(Object.keys(CSV_MESSAGES) as (keyof typeof CSV_MESSAGES)[]).map((name): [string, MessageKey] => [CSV_MESSAGES[name], `issue.csv.${name}`]),
]);

/** Marks where value `index` goes when a message template is turned into a pattern (private-use characters: no message has them). */
const slot = (index: number): string => `\uE000${index}\uE000`;

/** A template (a message function of the store or the decision module), its key and the names of its values, in argument order. */
type Template = [template: (...values: string[]) => string, key: MessageKey, names: readonly string[]];

const TEMPLATES: readonly Template[] = [
  [fieldMessage.tooLong, "issue.tooLong", ["max"]],
  [fieldMessage.tooMany, "issue.tooMany", ["max"]],
  [fieldMessage.unknownStandard, "issue.unknownStandard", ["id"]],
  [fieldMessage.unknownCategory, "issue.unknownCategory", ["id"]],
  [fieldMessage.oneOf, "issue.oneOf", ["values"]],
  [fieldMessage.unknownFields, "issue.unknownFields", ["names"]],
  [fieldMessage.unknownCountry, "issue.unknownCountry", ["code"]],
  [fieldMessage.controlCharacter, "issue.controlCharacter", ["code"]],
  [fieldMessage.noInstitution, "issue.noInstitution", ["id"]],
  [decisionMessage.tooManyCriteria, "issue.tooManyCriteria", ["max"]],
  [decisionMessage.tooManyAlternatives, "issue.tooManyAlternatives", ["max"]],
  [decisionMessage.tooManyComparisons, "issue.tooManyComparisons", ["max"]],
  [decisionMessage.pairwiseLimit, "issue.pairwiseLimit", ["max"]],
  [decisionMessage.unknownCriterion, "issue.unknownCriterion", ["id"]],
  [decisionMessage.unknownAlternative, "issue.unknownAlternative", ["id"]],
  [decisionMessage.noWeight, "issue.noWeight", ["id", "index"]],
  [decisionMessage.duplicateCriterion, "issue.duplicateCriterion", ["id"]],
  [decisionMessage.duplicateAlternative, "issue.duplicateAlternative", ["id"]],
  [decisionMessage.selfComparison, "issue.selfComparison", ["id"]],
  [decisionMessage.comparedTwice, "issue.comparedTwice", ["a", "b", "earlier"]],
  [decisionMessage.missingComparison, "issue.missingComparison", ["a", "b"]],
  [decisionMessage.controlCharacter, "issue.controlCharacter", ["code"]],
  [csvMessage.cellCount, "issue.csv.cellCount", ["cells", "header"]],
  [csvMessage.malformed, "issue.csv.malformed", ["reason"]],
  [csvMessage.noTable, "issue.csv.noTable", ["institutions", "policies"]],
  [csvMessage.unnamedColumn, "issue.csv.unnamedColumn", ["position"]],
  [csvMessage.unknownColumn, "issue.csv.unknownColumn", ["column", "table"]],
  [csvMessage.duplicateColumn, "issue.csv.duplicateColumn", ["column"]],
  [csvMessage.missingColumn, "issue.csv.missingColumn", ["column"]],
  [csvMessage.columnsAre, "issue.csv.columnsAre", ["table", "columns"]],
];

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Each template as a pattern made from the template itself (so the two
 * cannot drift apart), its groups in the order the values appear in the
 * English text, each named for the translation's placeholder.
 */
const PATTERNS = TEMPLATES.map(([template, key, names]) => {
  const parts = template(...names.map((_, index) => slot(index))).split(/\uE000(\d+)\uE000/);
  // split() with a group alternates text and slot numbers: text, 0, text, 1, text.
  const order: string[] = [];
  const source = parts.map((part, index) => (index % 2 === 0 ? escapeRegExp(part) : (order.push(names[Number(part)] ?? ""), "(.*)"))).join("");
  return { pattern: new RegExp(`^${source}$`, "s"), key, order };
});

/** One message (without its field path) in the visitor's language. */
export function localizedIssue(message: string, t: Translate): string {
  const fixed = FIXED.get(message);
  if (fixed) return t(fixed);
  for (const { pattern, key, order } of PATTERNS) {
    const match = pattern.exec(message);
    if (match) return t(key, Object.fromEntries(order.map((name, index) => [name, match[index + 1] ?? ""])));
  }
  return message;
}

/**
 * A one-line message of several "path: message" parts joined with "; ",
 * as an import report gives for a refused row, each part translated. The
 * paths are the file's own field names and stay as they are.
 */
export function localizedMessage(line: string, t: Translate): string {
  return line
    .split("; ")
    .map((part) => {
      const colon = part.indexOf(": ");
      if (colon < 0) return localizedIssue(part, t);
      return `${part.slice(0, colon)}: ${localizedIssue(part.slice(colon + 2), t)}`;
    })
    .join("; ");
}

/**
 * The tender reader's failures (src/tenders/ingest and its worker pool), in
 * the order they are tried: a specific shape before a general one that would
 * also match it ("corrupt PDF: page 3 ..." before "corrupt PDF: ..."). The
 * English of each key is the reader's own message with its values as
 * placeholders, and the patterns are made from it, so a reworded reader
 * message falls through to "shown as written" rather than half-translated
 * (issue-messages.test.ts reads real failures to catch that).
 */
const TENDER_ERROR_KEYS = [
  "prefill.error.wordEncrypted",
  "prefill.error.docxNotZip",
  "prefill.error.zipEntries",
  "prefill.error.docxAnnounced",
  "prefill.error.docxPartOver",
  "prefill.error.docxPart",
  "prefill.error.docxUnpack",
  "prefill.error.docxLying",
  "prefill.error.pdfStream",
  "prefill.error.pdfStreams",
  "prefill.error.pdfNoHeader",
  "prefill.error.pdfNoText",
  "prefill.error.pdfEncrypted",
  "prefill.error.pdfPage",
  "prefill.error.corrupt",
  "prefill.error.notText",
  "prefill.error.tooLarge",
  "prefill.error.cannotRead",
  "prefill.error.readerFailed",
  "prefill.error.workerFailed",
  "prefill.error.heapLimit",
  "prefill.error.readerStopped",
  "prefill.error.stalled",
  "prefill.error.timeLimit",
  "prefill.error.memoryBudget",
  "prefill.error.analysisFailed",
] as const satisfies readonly MessageKey[];

/** "{name}" becomes a named group, a name seen before a back-reference to it (the DOCX part message states its limit twice). */
function templatePattern(template: string): RegExp {
  const seen = new Set<string>();
  const source = template
    .split(/(\{\w+\})/)
    .map((part, index) => {
      if (index % 2 === 0) return escapeRegExp(part);
      const name = part.slice(1, -1);
      if (seen.has(name)) return `\\k<${name}>`;
      seen.add(name);
      return `(?<${name}>.+)`;
    })
    .join("");
  return new RegExp(`^${source}$`, "s");
}

const TENDER_PATTERNS = TENDER_ERROR_KEYS.map((key) => ({ key, pattern: templatePattern(translator("en")(key)) }));

/**
 * A tender reader's failure (as the policy pre-fill shows it) in the
 * visitor's language. The values in it (sizes, a library's own detail) stay
 * as written; a message of a shape not listed above is shown as written.
 */
export function localizedTenderError(message: string, t: Translate): string {
  for (const { key, pattern } of TENDER_PATTERNS) {
    // A message without values has a match but no groups.
    const match = pattern.exec(message);
    if (match) return t(key, match.groups ?? {});
  }
  return message;
}
