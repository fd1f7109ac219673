/**
 * mail.tls.versions .. mail.tls.pq-kex: the web suite's graded TLS
 * properties (TLS_GRADES in web/tls/engine-checks.ts, graded by
 * src/tls/grade.ts) on every MX address over SMTP STARTTLS (RFC 3207).
 * internet.nl grades mail servers with the same NCSC-NL TLS guidelines as
 * web servers. A server that cannot be reached or offers no STARTTLS is not
 * graded here (mail.starttls.available reports it).
 */
import type { TlsAssessment } from "../../../tls/assess.ts";
import type { CheckDefinition } from "../../types.ts";
import { statusOf, TLS_GRADES } from "../../web/tls/engine-checks.ts";
import { perServer, smtpAssessment } from "./targets.ts";

/** Every hello failed (no connection, no STARTTLS): nothing to grade. */
function reached(assessment: TlsAssessment): boolean {
  return assessment.acceptedVersions.length > 0 || assessment.versions.some((version) => version.error === null);
}

export const MAIL_ENGINE_CHECKS: readonly CheckDefinition[] = TLS_GRADES.map(
  (entry): CheckDefinition => ({
    id: `mail.tls.${entry.name}`,
    standard: entry.standard ?? "tls",
    category: "mail.starttls",
    weight: entry.weight ?? "required",
    title: `${entry.title} (mail)`,
    fix: entry.mailFix ?? entry.fix,
    run: (ctx) =>
      perServer(
        ctx,
        (target) => smtpAssessment(ctx, target),
        (_target, assessment) => {
          const grade = entry.grade(assessment);
          return { status: statusOf(grade), summary: grade.summary, evidence: grade.evidence };
        },
        { reachable: reached },
      ),
  }),
);
