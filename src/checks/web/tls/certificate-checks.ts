/** The web.cert.*, web.dane.* and handshake-feature checks that read a node:tls handshake. */
import type { CheckDefinition } from "../../types.ts";

export const CERTIFICATE_CHECKS: readonly CheckDefinition[] = [];
