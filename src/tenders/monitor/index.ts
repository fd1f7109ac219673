/**
 * The tender monitor over a corpus: figures from analysed tenders
 * (`aggregate`), the report page (`renderMonitorHtml`) and a feedback letter
 * per tender (`feedbackLetter`).
 */
export {
  aggregate,
  toTenderRow,
  type AuthorityRow,
  type MissingRow,
  type MonitorReport,
  type MonitorTotals,
  type PairCounts,
  type PeriodRow,
  type RequestLevel,
  type StandardRow,
  type TenderRow,
} from "./aggregate.ts";
export { renderMonitorHtml, standardNames, type MonitorHtmlOptions } from "./html.ts";
export { feedbackLetter, letterLanguage, type LetterFormat } from "./letter.ts";
export { LETTER_LABELS, MONITOR_LABELS, type LetterLabels, type MonitorLabels } from "./labels.ts";
