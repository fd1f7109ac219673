/**
 * The web suite's TLS, certificate and DANE checks: the protocol checks read
 * the raw-handshake assessment (engine-checks.ts), the certificate and DANE
 * checks read a real node:tls handshake (certificate-checks.ts).
 */
import type { CheckDefinition } from "../../types.ts";
import { CERTIFICATE_CHECKS } from "./certificate-checks.ts";
import { ENGINE_CHECKS } from "./engine-checks.ts";

export const WEB_TLS_CHECKS: readonly CheckDefinition[] = [...ENGINE_CHECKS, ...CERTIFICATE_CHECKS];
