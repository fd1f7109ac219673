/** The mail suite's checks over SMTP on port 25 of every MX: STARTTLS, TLS, certificates, DANE. */
import type { CheckDefinition } from "../../types.ts";

export const MAIL_TRANSPORT_CHECKS: readonly CheckDefinition[] = [];
