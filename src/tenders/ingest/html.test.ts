import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeEntities, htmlContent, ingestHtml } from "./html.ts";

const PAGE = `<!DOCTYPE html>
<html lang="nl-NL">
<head>
  <meta charset="utf-8">
  <title>Bestek &amp; eisen</title>
  <style>p { color: red } /* DNSSEC in a style */</style>
  <script>if (a < b) { document.write("<p>DMARC in a script</p>"); }</script>
</head>
<body>
  <!-- <p>HSTS in a comment</p> -->
  <h1>Beheer van DNS</h1>
  <p>Inleiding zonder eisen.
  <h2 class="x">3.2 Beveiliging</h2>
  <p data-note='a > b'>De leverancier ondertekent de zone met <b>DNSSEC</b>.<br>Tweede regel.</p>
  <ul><li>HTTPS op alle sites<li>HSTS met lange max-age</ul>
  <table>
    <tr><th>Eis</th><th>Norm</th></tr>
    <tr><td><p>E-mail</p><p>beveiliging</p></td><td>DMARC &amp; DKIM</td></tr>
    <tr><td>Leeg</td><td></td></tr>
  </table>
  <p>Na de tabel &euro;&nbsp;10 &#x2013; &#8805; &copy</p>
</body>
</html>`;

describe("htmlContent", () => {
  const content = htmlContent(PAGE);

  it("takes the title and the declared language", () => {
    assert.equal(content.title, "Bestek & eisen");
    assert.equal(content.lang, "nl-NL");
  });

  it("skips scripts, styles and comments", () => {
    const all = content.passages.map((passage) => passage.text).join("\n");
    assert.doesNotMatch(all, /in a style|in a script|in a comment/);
  });

  it("makes headings sections, paragraphs and list items passages", () => {
    assert.deepEqual(content.passages.slice(0, 6), [
      { text: "Beheer van DNS", section: "Beheer van DNS" },
      { text: "Inleiding zonder eisen.", section: "Beheer van DNS" },
      { text: "3.2 Beveiliging", section: "3.2 Beveiliging" },
      { text: "De leverancier ondertekent de zone met DNSSEC. Tweede regel.", section: "3.2 Beveiliging" },
      { text: "HTTPS op alle sites", section: "3.2 Beveiliging" },
      { text: "HSTS met lange max-age", section: "3.2 Beveiliging" },
    ]);
  });

  it("makes each table row one passage with role table", () => {
    const rows = content.passages.filter((passage) => passage.role === "table");
    assert.deepEqual(rows.map((row) => row.text), ["Eis | Norm", "E-mail beveiliging | DMARC & DKIM", "Leeg"]);
    assert.ok(rows.every((row) => row.section === "3.2 Beveiliging"));
  });

  it("decodes entities after the table", () => {
    assert.equal(content.passages.at(-1)?.text, "Na de tabel € 10 – ≥ ©");
  });

  it("survives unbalanced and broken markup", () => {
    const broken = htmlContent("<div><p>one<p>two</span></table></tr><p>a < b and c > d</p><h3>open heading");
    assert.deepEqual(broken.passages.map((passage) => passage.text), ["one", "two", "a < b and c > d", "open heading"]);
    assert.equal(htmlContent("<p>unterminated <a href='x").passages[0]?.text, "unterminated");
    assert.deepEqual(htmlContent("<script>never closed <p>DNSSEC</p>").passages, []);
  });

  it("flattens nested tables into their own rows", () => {
    const nested = htmlContent("<table><tr><td>outer<table><tr><td>inner a</td><td>inner b</td></tr></table></td><td>outer b</td></tr></table>");
    assert.deepEqual(nested.passages.map((passage) => passage.text).sort(), ["inner a | inner b", "outer | outer b"]);
  });

  it("uses a hand-marked heading paragraph as the section", () => {
    const marked = htmlContent("<p><b>4.1 Mail</b></p><p>Use DMARC.</p>");
    assert.deepEqual(marked.passages[1], { text: "Use DMARC.", section: "4.1 Mail" });
  });
});

describe("decodeEntities", () => {
  it("decodes named, decimal and hexadecimal references and leaves unknown ones", () => {
    assert.equal(decodeEntities("&eacute;&Eacute;&#233;&#xE9;&unknown;&amp &ampx"), "éÉéé&unknown;& &ampx");
    assert.equal(decodeEntities("&#0;&#xD800;"), "\uFFFD\uFFFD");
  });
});

describe("ingestHtml", () => {
  it("honours a declared legacy charset", () => {
    const bytes = Buffer.from('<html><head><meta charset="windows-1252"></head><body><p>s\xe9curit\xe9 \x80</p></body></html>', "latin1");
    const document = ingestHtml(bytes, "page.html");
    assert.equal(document.format, "html");
    assert.equal(document.passages[0]?.text, "sécurité €");
  });
});
