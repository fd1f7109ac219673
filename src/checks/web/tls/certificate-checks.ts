/**
 * The web.cert.*, web.dane.* and handshake-feature checks that read a
 * node:tls handshake (one per address, shared through the context; see
 * cert-probe.ts).
 */
import type { CheckDefinition } from "../../types.ts";
import { CERT_CHECKS } from "./cert-checks.ts";
import { DANE_CHECKS } from "./dane-checks.ts";
import { FEATURE_CHECKS } from "./feature-checks.ts";

export const CERTIFICATE_CHECKS: readonly CheckDefinition[] = [...CERT_CHECKS, ...DANE_CHECKS, ...FEATURE_CHECKS];
