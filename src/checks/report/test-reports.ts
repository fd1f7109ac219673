/**
 * Test support (not used by Baseline itself): domain reports as the runner
 * makes them, scored by the real scoring, with a failure, a warning, an
 * error, a recommended test and hostile text in the evidence, for the
 * renderer, command and page tests.
 */
import { scoreReport } from "../run.ts";
import type { CheckResult, CheckStatus, DomainReport, Suite, Weight } from "../types.ts";

/** Text a hostile server could put in a header: markup, a quote breaking out of an attribute, a terminal escape. */
export const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)>"'&\u001b[31mred\u001b[0m`;

export function testResult(id: string, category: string, status: CheckStatus, extra: Partial<CheckResult> = {}): CheckResult {
  const weight: Weight = extra.weight ?? "required";
  const standard = extra.standard ?? id.split(".")[1] ?? "tls";
  return {
    id,
    standard,
    category,
    weight,
    title: extra.title ?? `Title of ${id}`,
    status,
    summary: extra.summary ?? `${id} was ${status}`,
    evidence: extra.evidence ?? { checked: id },
    fix: status === "failed" || status === "warning" || status === "error" ? (extra.fix ?? `Fix ${id} by configuring it properly.`) : null,
    link: `/standards/${standard}`,
    durationMs: extra.durationMs ?? 12,
  };
}

/** A web report of `domain` with every status and a long, hostile summary. */
export function sampleReport(domain = "example.org", suite: Suite = "web"): DomainReport {
  const tests: CheckResult[] = [
    testResult(`${suite}.ipv6.aaaa`, `${suite}.ipv6`, "passed", { standard: "ipv6", title: "IPv6 address of the web server", summary: "example.org has 1 AAAA record: 2001:db8::1" }),
    testResult(`${suite}.dnssec.valid`, `${suite}.dnssec`, "error", { standard: "dnssec", title: "DNSSEC validation", summary: "could not be tested: the domain's deadline of 60000 ms passed" }),
    testResult(`${suite}.hsts`, `${suite}.https`, "failed", {
      standard: "hsts",
      title: "HTTP Strict Transport Security",
      summary: `HSTS max-age is 300 s; at least 31536000 s is required; the server sent ${HOSTILE}`,
      fix: "Send Strict-Transport-Security: max-age=31536000; includeSubDomains on every HTTPS response, and keep it there: browsers remember it for the time it says.",
      evidence: { header: `max-age=300; ${HOSTILE}`, key: "A".repeat(300) },
    }),
    testResult(`${suite}.https.available`, `${suite}.https`, "passed", { standard: "https", title: "HTTPS available" }),
    testResult(`${suite}.headers.csp`, `${suite}.appsecpriv`, "warning", { standard: "http-security-headers", title: "Content-Security-Policy", weight: "recommended", summary: "the policy allows 'unsafe-inline' scripts" }),
    testResult(`${suite}.security-txt`, `${suite}.appsecpriv`, "failed", { standard: "security-txt", title: "security.txt", weight: "recommended", summary: "no /.well-known/security.txt" }),
    testResult(`${suite}.tls.ocsp-stapling`, `${suite}.https`, "info", { standard: "tls", title: "OCSP stapling", weight: "informational", summary: "the server does not staple an OCSP response" }),
    testResult(`${suite}.rpki.valid`, `${suite}.rpki`, "not_tested", { standard: "rpki", title: "Route origin validation", summary: "no routing data given (--rpki-vrps and --bgp-origins)" }),
  ];
  return scoreReport({ domain, suite, score: null, categories: [], tests, startedAt: "2026-12-07T05:00:00.000Z", durationMs: 3456 });
}
