/** The web.tls.* checks that read the TLS assessment of the raw prober. */
import type { CheckDefinition } from "../../types.ts";

export const ENGINE_CHECKS: readonly CheckDefinition[] = [];
