/** The mail suite's checks over SMTP on port 25 of every MX: STARTTLS, TLS, certificates, DANE. */
import type { CheckDefinition } from "../../types.ts";
import { MAIL_DANE_CHECKS } from "./dane-checks.ts";
import { MAIL_ENGINE_CHECKS } from "./engine-checks.ts";
import { MAIL_CERT_CHECKS, MAIL_FEATURE_CHECKS, starttlsAvailableCheck } from "./handshake-checks.ts";

export const MAIL_TRANSPORT_CHECKS: readonly CheckDefinition[] = [starttlsAvailableCheck, ...MAIL_ENGINE_CHECKS, ...MAIL_FEATURE_CHECKS, ...MAIL_CERT_CHECKS, ...MAIL_DANE_CHECKS];
