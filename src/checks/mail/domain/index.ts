/** The mail suite's checks of the domain's DNS: IPv6, DNSSEC, RPKI, SPF, DMARC, DKIM, MTA-STS, TLS-RPT. */
import type { CheckDefinition } from "../../types.ts";

export const MAIL_DOMAIN_CHECKS: readonly CheckDefinition[] = [];
