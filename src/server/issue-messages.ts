/**
 * The store's validation messages (English, named in records.ts) in the
 * visitor's language. The store keeps one language because the command
 * line, the API and the logs speak English; the web app translates what
 * it shows. A message this table does not know is shown as the store wrote
 * it, so a new check is never hidden, only untranslated until added here.
 *
 * @example
 *   localizedIssue("must not be empty", translator("fr")); // "ne doit pas être vide"
 */
import { FIELD_MESSAGES, fieldMessage } from "../store/records.ts";
import type { MessageKey, Translate } from "./i18n.ts";

const FIXED = new Map<string, MessageKey>(
  (Object.keys(FIELD_MESSAGES) as (keyof typeof FIELD_MESSAGES)[]).map((name) => [FIELD_MESSAGES[name], `issue.${name}`]),
);

/** Marks where the value goes when a message template is turned into a pattern. */
const SLOT = "\u0000";

/**
 * Each message with a value, as a pattern made from the store's own template
 * (so the two cannot drift apart), with the key and the name of its value.
 */
const WITH_VALUE: readonly { pattern: RegExp; key: MessageKey; value: string }[] = [
  { template: fieldMessage.tooLong(SLOT), key: "issue.tooLong", value: "max" },
  { template: fieldMessage.tooMany(SLOT), key: "issue.tooMany", value: "max" },
  { template: fieldMessage.unknownStandard(SLOT), key: "issue.unknownStandard", value: "id" },
  { template: fieldMessage.unknownCategory(SLOT), key: "issue.unknownCategory", value: "id" },
].map(({ template, key, value }) => {
  const [before = "", after = ""] = template.split(SLOT).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return { pattern: new RegExp(`^${before}(.*)${after}$`, "s"), key: key as MessageKey, value };
});

export function localizedIssue(message: string, t: Translate): string {
  const fixed = FIXED.get(message);
  if (fixed) return t(fixed);
  for (const { pattern, key, value } of WITH_VALUE) {
    const match = pattern.exec(message);
    if (match) return t(key, { [value]: match[1] ?? "" });
  }
  return message;
}
