import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { html } from "./html.ts";
import { translator } from "./i18n.ts";
import { page } from "./layout.ts";

describe("page", () => {
  const context = { language: "en" as const, t: translator("en"), user: null, csrfToken: null, path: "/" };

  it("keeps the stylesheet as written: a <style> element decodes no character references", () => {
    const out = page(context, "Title", html`<p>body</p>`);
    assert.match(out, /font:16px\/1\.5 system-ui,"Segoe UI","Liberation Sans",sans-serif/);
    assert.doesNotMatch(out.slice(out.indexOf("<style>"), out.indexOf("</style>")), /&#/);
  });

  it("escapes the title", () => {
    const out = page(context, "<script>alert(1)</script>", html``);
    assert.doesNotMatch(out, /<script>alert/);
    assert.match(out, /&#60;script&#62;alert\(1\)/);
  });
});
