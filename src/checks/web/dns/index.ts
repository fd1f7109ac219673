/** The web suite's dns checks (filled in by their modules). */
import type { CheckDefinition } from "../../types.ts";

export const WEB_DNS_CHECKS: readonly CheckDefinition[] = [];
