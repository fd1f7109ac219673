/**
 * What the reports share: names of categories and statuses for people, and
 * the cleaning of text that came from the network (a summary can quote a
 * hostile server's header) before it reaches a terminal or a page.
 */
import type { CheckStatus, DomainReport } from "../types.ts";

export const CATEGORY_NAMES: Record<string, string> = {
  "web.ipv6": "IPv6",
  "web.dnssec": "DNSSEC",
  "web.https": "HTTPS and TLS",
  "web.appsecpriv": "Security headers and security.txt",
  "web.rpki": "Route origin validation (RPKI)",
  "mail.ipv6": "IPv6 for mail",
  "mail.dnssec": "DNSSEC for mail",
  "mail.auth": "Anti-spoofing (DMARC, DKIM, SPF)",
  "mail.starttls": "STARTTLS and DANE",
  "mail.rpki": "Route origin validation (RPKI) for mail",
};

export function categoryName(id: string): string {
  return CATEGORY_NAMES[id] ?? id;
}

/** Four letters each, so that test lines align in text. */
export const STATUS_MARKS: Record<CheckStatus, string> = {
  passed: "PASS",
  failed: "FAIL",
  warning: "WARN",
  info: "INFO",
  not_tested: "SKIP",
  error: "ERR!",
};

export const STATUS_WORDS: Record<CheckStatus, string> = {
  passed: "passed",
  failed: "failed",
  warning: "warning",
  info: "info",
  not_tested: "not tested",
  error: "could not be tested",
};

/** Worse first, as the scoring ranks them. */
const SEVERITY: readonly CheckStatus[] = ["error", "failed", "warning", "info", "passed", "not_tested"];

/**
 * The status a test counts with for `--fail-on` and summaries: an
 * informational test never counts, a recommended test's failure counts as a
 * warning (as in the category status of scoring.ts).
 */
export function effectiveStatus(test: DomainReport["tests"][number]): CheckStatus {
  if (test.weight === "informational") return test.status === "error" ? "error" : "info";
  if (test.weight === "recommended" && test.status === "failed") return "warning";
  return test.status;
}

/** Whether `status` is `threshold` or worse (error is worse than failed, failed than warning). */
export function atLeast(status: CheckStatus, threshold: "failed" | "warning"): boolean {
  const rank = SEVERITY.indexOf(status);
  return rank !== -1 && rank <= SEVERITY.indexOf(threshold);
}

/** The worst effective status of a report's tests. */
export function worstStatus(report: DomainReport): CheckStatus {
  let worst: CheckStatus = "not_tested";
  for (const test of report.tests) {
    const status = effectiveStatus(test);
    if (SEVERITY.indexOf(status) < SEVERITY.indexOf(worst)) worst = status;
  }
  return worst;
}

/**
 * Text safe to print or show: control characters (an escape sequence could
 * rewrite a terminal) and bidirectional overrides (they reorder what is
 * shown) become "?"; runs of white space become one space.
 */
export function cleanText(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex -- control characters are exactly what this removes
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "?")
      .replace(/\s+/g, " ")
      .trim()
  );
}
