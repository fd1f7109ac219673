/** The web suite's http checks (filled in by their modules). */
import type { CheckDefinition } from "../../types.ts";

export const WEB_HTTP_CHECKS: readonly CheckDefinition[] = [];
