/**
 * Server-side HTML: an escaping tagged template, so that every value put in
 * a page is escaped unless it is itself a piece of HTML built by this module.
 * (Hono's own `html` helper does the same; this one keeps pages plain
 * strings, easy to test, with no JSX build step.)
 */

import { escapeHtml } from "../requirements/render/html.ts";

const SAFE = Symbol("safe-html");

export interface SafeHtml {
  readonly [SAFE]: true;
  readonly value: string;
}

type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

export function raw(value: string): SafeHtml {
  return { [SAFE]: true, value };
}

export function isSafe(value: unknown): value is SafeHtml {
  return typeof value === "object" && value !== null && SAFE in value;
}

export { escapeHtml };

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return "";
  if (isSafe(value)) return value.value;
  if (typeof value === "string") return escapeHtml(value);
  // A number or boolean has no character to escape.
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return value.map(render).join("");
}

/** html`<p>${text}</p>`: text is escaped; nested html`` values are not. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? "";
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? "");
  });
  return raw(out);
}

/** An ISO time as pages show it: "2026-12-07 15:52 UTC" (minutes are enough for runs and alerts); "" for none. */
export function utcMinute(iso: string | null): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : "";
}
