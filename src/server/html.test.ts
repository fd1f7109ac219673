import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { html, raw } from "./html.ts";

describe("html template", () => {
  it("escapes values and keeps nested html", () => {
    const title = '<script>alert("x")</script>';
    const page = html`<h1>${title}</h1>${html`<p>${"a & b"}</p>`}${raw("<hr>")}${[html`<i>${1}</i>`, null, false]}`;
    assert.equal(page.value, "<h1>&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;</h1><p>a &#38; b</p><hr><i>1</i>");
  });
});
