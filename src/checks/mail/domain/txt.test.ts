import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatData } from "../../../dns/format.ts";
import { txtText } from "./txt.ts";

describe("txtText", () => {
  it("joins the character-strings of the resolver's presentation form and undoes its escapes", () => {
    const strings = ["v=spf1 ip4:192.0.2.1 ", "include:\"q\"\\.example.net", " -all", "caf\u00e9"].map((text) => Buffer.from(text, "utf8"));
    const presented = formatData({ name: "example.org.", type: "TXT", class: "IN", ttl: 60, data: strings });
    assert.match(presented, /\\"q\\"\\\\.*caf\\195\\169"$/);
    assert.equal(txtText(presented), "v=spf1 ip4:192.0.2.1 include:\"q\"\\.example.net -allcaf\u00e9");
  });
  it("reads an empty string and a single string", () => {
    assert.equal(txtText('""'), "");
    assert.equal(txtText('"v=DMARC1; p=reject"'), "v=DMARC1; p=reject");
  });
});
