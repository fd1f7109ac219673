/**
 * HTML ingestion (also the second half of DOCX, through mammoth's HTML):
 * headings become sections, paragraphs and list items become passages, each
 * table row becomes one passage with role "table", and `<html lang>` is the
 * declared language.
 *
 * Why a hand-written tokenizer: tender pages are often sloppy HTML (unclosed
 * `<p>` and `<td>`, stray `<`), which XML parsers such as fast-xml-parser
 * reject, and a full HTML5 parser is a large dependency for what is needed
 * here: text in reading order and the block boundaries around it. The
 * tokenizer never builds a tree, so unbalanced markup cannot hurt it: every
 * block tag, opening or closing, ends the current passage. Scripts, styles
 * and other raw-text elements are skipped whole.
 */
import type { Passage, TenderDocument } from "../types.ts";
import { collapseWhitespace, progressTicker } from "./common.ts";
import { decodeText, headingOf, splitLong } from "./text.ts";

export interface HtmlContent {
  /** `<title>`, or else the first `<h1>`. */
  title?: string;
  /** `lang` (or `xml:lang`) of the `<html>` element. */
  lang?: string;
  passages: Passage[];
}

/** Elements whose content is not document text (or, for `title`, not body text). */
const RAW_TEXT = new Set(["script", "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes", "noscript", "template", "svg", "math", "object"]);
const HEADINGS = new Set(["h1", "h2", "h3", "h4", "h5", "h6"]);
const BLOCKS = new Set([
  "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog", "dir", "div", "dl", "dt",
  "fieldset", "figcaption", "figure", "footer", "form", "header", "hgroup", "hr", "html", "legend", "li", "main", "menu", "nav",
  "ol", "p", "pre", "section", "summary", "ul", "option",
]);

export function ingestHtml(bytes: Uint8Array, source: string, onProgress?: () => void): TenderDocument {
  const content = htmlContent(decodeHtml(bytes), onProgress);
  return documentFrom(source, "html", content);
}

export function documentFrom(source: string, format: TenderDocument["format"], content: HtmlContent): TenderDocument {
  const document: TenderDocument = { source, format, cpv: [], passages: content.passages };
  if (content.title !== undefined) document.title = content.title;
  if (content.lang !== undefined) document.declaredLanguage = content.lang;
  return document;
}

/** Honours `<meta charset>` when it names another encoding than UTF-8; otherwise decodes like text. */
function decodeHtml(bytes: Uint8Array): string {
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 2048));
  const declared = /<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)/i.exec(head)?.[1]?.toLowerCase();
  if (declared && declared !== "utf-8" && declared !== "utf8") {
    try {
      return new TextDecoder(declared).decode(bytes);
    } catch {
      // An unknown label: fall through to the usual detection.
    }
  }
  return decodeText(bytes);
}

interface Row {
  cells: string[];
  cell: string[] | undefined;
  /** Characters held in `cells` and `cell`. */
  length: number;
}

/**
 * Text held before it is turned into passages. Beyond this a paragraph,
 * heading or table row is cut: 49 MB of `"< "` once became 25 million
 * pieces of one paragraph and 3.4 GB (finding 14 of issue 15), and a 2 MB
 * heading one passage that detection could not finish (finding 13).
 */
const MAX_HELD_CHARS = 64 * 1024;
/** A section name is a heading; a longer "heading" is cut to this for the sections that follow it. */
const MAX_SECTION_CHARS = 200;

/** Collects passages while the tokenizer reports text and tags. */
class PassageBuilder {
  readonly passages: Passage[] = [];
  title: string | undefined;
  firstH1: string | undefined;
  lang: string | undefined;
  #section: string | undefined;
  #inline: string[] = [];
  #inlineLength = 0;
  #heading: string | undefined;
  /** One entry per open table; the current row of each. */
  #tables: (Row | undefined)[] = [];

  text(text: string): void {
    const row = this.#tables.at(-1);
    if (row?.cell) {
      row.cell.push(text);
      row.length += text.length;
      if (row.length > MAX_HELD_CHARS) {
        this.#endRow();
        this.#tables[this.#tables.length - 1] = { cells: [], cell: [], length: 0 };
      }
      return;
    }
    this.#inline.push(text);
    this.#inlineLength += text.length;
    if (this.#inlineLength <= MAX_HELD_CHARS) return;
    if (this.#heading === undefined) this.#endParagraph();
    else this.#flushHeading(false);
  }

  open(name: string, attributes: Map<string, string>): void {
    if (name === "html") this.lang ??= attributes.get("lang") ?? attributes.get("xml:lang");
    if (name === "br") {
      this.text("\n");
      return;
    }
    if (name === "table") {
      this.#endParagraph();
      this.#tables.push(undefined);
      return;
    }
    if (this.#tables.length > 0 && (name === "tr" || name === "td" || name === "th")) {
      this.#openCell(name);
      return;
    }
    if (HEADINGS.has(name)) {
      this.#endParagraph();
      this.#heading = name;
      return;
    }
    if (BLOCKS.has(name)) this.#blockBoundary();
  }

  close(name: string): void {
    if (name === "table") {
      if (this.#tables.length === 0) return;
      this.#endRow();
      this.#tables.pop();
      return;
    }
    if (name === "tr") this.#endRow();
    else if (name === "td" || name === "th") this.#endCell();
    else if (HEADINGS.has(name)) {
      if (this.#heading !== undefined) this.#endHeading();
    } else if (BLOCKS.has(name)) this.#blockBoundary();
  }

  finish(): HtmlContent {
    while (this.#tables.length > 0) {
      this.#endRow();
      this.#tables.pop();
    }
    if (this.#heading !== undefined) this.#endHeading();
    this.#endParagraph();
    const content: HtmlContent = { passages: this.passages };
    const title = this.title ?? this.firstH1;
    if (title) content.title = title;
    if (this.lang) content.lang = this.lang.trim();
    return content;
  }

  #openCell(name: string): void {
    const index = this.#tables.length - 1;
    if (name === "tr") {
      this.#endRow();
      this.#tables[index] = { cells: [], cell: undefined, length: 0 };
      return;
    }
    const row = this.#tables[index] ?? { cells: [], cell: undefined, length: 0 };
    this.#tables[index] = row;
    this.#endCell();
    row.cell = [];
  }

  #endCell(): void {
    const row = this.#tables.at(-1);
    if (!row?.cell) return;
    row.cells.push(collapseWhitespace(row.cell.join(" ")));
    row.cell = undefined;
  }

  #endRow(): void {
    this.#endCell();
    const index = this.#tables.length - 1;
    const row = this.#tables[index];
    if (!row) return;
    this.#tables[index] = undefined;
    const text = row.cells.filter((cell) => cell !== "").join(" | ");
    for (const chunk of splitLong(text)) this.#push({ text: chunk, role: "table" });
  }

  /** Inside a table cell a block only separates words; elsewhere it ends a passage. */
  #blockBoundary(): void {
    const row = this.#tables.at(-1);
    if (row?.cell) row.cell.push(" ");
    else if (this.#heading === undefined) this.#endParagraph();
  }

  #endHeading(): void {
    this.#flushHeading(true);
  }

  /** The heading text held so far becomes the section and passages; `end`: the heading is closed. */
  #flushHeading(end: boolean): void {
    const text = this.#takeInline();
    const continued = this.#heading === "continued";
    if (this.#heading === "h1") this.firstH1 ??= text.slice(0, MAX_SECTION_CHARS) || undefined;
    this.#heading = end ? undefined : "continued";
    if (text === "") return;
    if (!continued) this.#section = text.length > MAX_SECTION_CHARS ? `${text.slice(0, MAX_SECTION_CHARS - 1)}…` : text;
    for (const chunk of splitLong(text)) this.#push({ text: chunk });
  }

  #takeInline(): string {
    const text = collapseWhitespace(this.#inline.join(""));
    this.#inline = [];
    this.#inlineLength = 0;
    return text;
  }

  #endParagraph(): void {
    const text = this.#takeInline();
    if (text === "") return;
    // Word documents often mark headings by hand ("3.2 Security" in bold).
    const heading = headingOf(text);
    if (heading !== undefined) this.#section = heading;
    for (const chunk of splitLong(text)) this.#push({ text: chunk });
  }

  #push(passage: Passage): void {
    this.passages.push(this.#section === undefined ? passage : { ...passage, section: this.#section });
  }
}

/**
 * Reads HTML into passages; never throws on malformed markup. `onProgress`
 * is called every few hundred tags while it reads (45 MB of short headings
 * take over 10 s, and a watchdog must see that they are moving).
 */
export function htmlContent(html: string, onProgress?: () => void): HtmlContent {
  const builder = new PassageBuilder();
  const tick = progressTicker(onProgress);
  let at = 0;
  while (at < html.length) {
    tick();
    let lt = html.indexOf("<", at);
    // A "<" that cannot start markup is text, as browsers read it: it stays in the text run rather than being
    // handled one at a time (49 MB of "< " took minutes and gigabytes that way: finding 14 of issue 15).
    while (lt !== -1 && !startsMarkup(html, lt)) {
      tick();
      lt = html.indexOf("<", lt + 1);
    }
    if (lt === -1) {
      builder.text(decodeEntities(html.slice(at)));
      break;
    }
    if (lt > at) builder.text(decodeEntities(html.slice(at, lt)));
    at = readMarkup(html, lt, builder, tick);
  }
  return builder.finish();
}

/** Whether the "<" at `lt` opens a tag, a closing tag, a comment, a declaration or a processing instruction. */
function startsMarkup(html: string, lt: number): boolean {
  const next = html.charCodeAt(lt + 1);
  const isLetter = (code: number): boolean => (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
  if (isLetter(next) || next === 0x21 /* ! */ || next === 0x3f /* ? */) return true;
  return next === 0x2f /* / */ && isLetter(html.charCodeAt(lt + 2));
}

/** Handles the markup at `lt` (a `<`) and returns the index after it. */
function readMarkup(html: string, lt: number, builder: PassageBuilder, tick: () => void): number {
  if (html.startsWith("<!--", lt)) return skipPast(html, "-->", lt + 4);
  const next = html[lt + 1] ?? "";
  if (next === "!" || next === "?") return skipPast(html, ">", lt + 2);
  const closing = next === "/";
  const nameMatch = /^[A-Za-z][A-Za-z0-9:-]*/.exec(html.slice(lt + (closing ? 2 : 1), lt + 66));
  if (!nameMatch) {
    // A lone "<" in text, as browsers read it.
    builder.text("<");
    return lt + 1;
  }
  const name = nameMatch[0].toLowerCase();
  const { end, attributes } = readAttributes(html, lt + (closing ? 2 : 1) + nameMatch[0].length, tick);
  if (closing) {
    builder.close(name);
    return end;
  }
  builder.open(name, attributes);
  if (RAW_TEXT.has(name)) {
    const close = indexOfIgnoreCase(html, `</${name}`, end);
    const stop = close === -1 ? html.length : close;
    if (name === "title") builder.title ??= collapseWhitespace(decodeEntities(html.slice(end, stop))) || undefined;
    return close === -1 ? html.length : skipPast(html, ">", close);
  }
  return end;
}

/** Reads attributes up to the closing `>`, honouring quotes (a quoted value may hold `>`). */
function readAttributes(html: string, from: number, tick: () => void): { end: number; attributes: Map<string, string> } {
  const attributes = new Map<string, string>();
  const pattern = /\s*([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?|\s*\/|\s*>/y;
  pattern.lastIndex = from;
  for (;;) {
    tick();
    const start = pattern.lastIndex;
    const match = pattern.exec(html);
    if (!match) {
      // Garbage inside a tag: skip to its end.
      return { end: skipPast(html, ">", start), attributes };
    }
    if (match[0].endsWith(">") && match[1] === undefined) return { end: pattern.lastIndex, attributes };
    if (match[1] !== undefined) attributes.set(match[1].toLowerCase(), decodeEntities(match[2] ?? match[3] ?? match[4] ?? ""));
    if (pattern.lastIndex >= html.length) return { end: html.length, attributes };
  }
}

function skipPast(html: string, token: string, from: number): number {
  const index = html.indexOf(token, from);
  return index === -1 ? html.length : index + token.length;
}

function indexOfIgnoreCase(html: string, token: string, from: number): number {
  const pattern = new RegExp(token.replace(/[^\w<]/g, "\\$&"), "ig");
  pattern.lastIndex = from;
  return pattern.exec(html)?.index ?? -1;
}

/** Names of U+00A0 to U+00FF, in code point order (HTML 4's Latin-1 entities). */
const LATIN1_NAMES =
  "nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest " +
  "Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig " +
  "agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml";

const NAMED_ENTITIES = new Map<string, string>([
  ...LATIN1_NAMES.split(" ").map((name, index): [string, string] => [name, String.fromCodePoint(0xa0 + index)]),
  ...Object.entries({
    amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", OElig: "Œ", oelig: "œ", Scaron: "Š", scaron: "š", Yuml: "Ÿ", fnof: "ƒ",
    circ: "ˆ", tilde: "˜", ensp: "\u2002", emsp: "\u2003", thinsp: "\u2009", zwnj: "\u200c", zwj: "\u200d", lrm: "\u200e", rlm: "\u200f",
    ndash: "–", mdash: "—", lsquo: "‘", rsquo: "’", sbquo: "‚", ldquo: "“", rdquo: "”", bdquo: "„", dagger: "†", Dagger: "‡",
    bull: "•", hellip: "…", permil: "‰", prime: "′", Prime: "″", lsaquo: "‹", rsaquo: "›", euro: "€", trade: "™",
    larr: "←", rarr: "→", uarr: "↑", darr: "↓", harr: "↔", le: "≤", ge: "≥", ne: "≠", minus: "−", asymp: "≈", infin: "∞",
  }),
]);
/** Entities that browsers also recognise without the closing semicolon. */
const LEGACY_WITHOUT_SEMICOLON = new Set(["amp", "lt", "gt", "quot", "nbsp", "copy", "reg"]);

export function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,7})|([A-Za-z][A-Za-z0-9]{1,31}))(;?)/g, (whole, decimal?: string, hex?: string, name?: string, semicolon?: string) => {
    if (name !== undefined) {
      const value = NAMED_ENTITIES.get(name);
      return value !== undefined && (semicolon === ";" || LEGACY_WITHOUT_SEMICOLON.has(name)) ? value : whole;
    }
    const codePoint = decimal !== undefined ? Number.parseInt(decimal, 10) : Number.parseInt(hex ?? "", 16);
    const valid = codePoint > 0 && codePoint <= 0x10ffff && (codePoint < 0xd800 || codePoint > 0xdfff);
    return valid ? String.fromCodePoint(codePoint) : "\uFFFD";
  });
}
