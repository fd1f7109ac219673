import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FIELD_MESSAGES, fieldMessage, institutionInput, policyInput } from "../store/records.ts";
import { translator } from "./i18n.ts";
import { localizedIssue } from "./issue-messages.ts";

describe("localizedIssue", () => {
  const fr = translator("fr");
  const es = translator("es");
  const en = translator("en");

  it("says every named store message in French and Spanish, and in English as the store does", () => {
    for (const message of Object.values(FIELD_MESSAGES)) {
      assert.equal(localizedIssue(message, en), message);
      assert.notEqual(localizedIssue(message, fr), message, `French for "${message}"`);
      assert.notEqual(localizedIssue(message, es), message, `Spanish for "${message}"`);
    }
  });

  it("carries the value of a message that has one", () => {
    assert.equal(localizedIssue(fieldMessage.tooLong(300), fr), "ne peut pas dépasser 300 caractères");
    assert.equal(localizedIssue(fieldMessage.unknownStandard("dnssec2"), es), "«dnssec2» no es una norma del catálogo");
    assert.equal(localizedIssue(fieldMessage.tooMany(50), en), fieldMessage.tooMany(50));
  });

  it("shows a message it does not know as the store wrote it", () => {
    assert.equal(localizedIssue("a check added later", fr), "a check added later");
  });

  it("knows what the store's schemas really say", () => {
    const institution = institutionInput.safeParse({ name: " ", kind: "government", region: "15" });
    const policy = policyInput.safeParse({ institutionId: "x", title: "T", type: "policy", status: "in-force", adoptedOn: "2026-02-30", sourceUrl: "ftp://x" });
    const messages = [...(institution.error?.issues ?? []), ...(policy.error?.issues ?? [])].map((issue) => issue.message);
    assert.ok(messages.length >= 4, messages.join(" | "));
    for (const message of messages) assert.notEqual(localizedIssue(message, fr), message, `French for "${message}"`);
  });
});
