/**
 * The page shell: language, skip link, navigation, the signed-in user, and
 * one small stylesheet (no external resources, light for slow connections,
 * contrast above WCAG AA, visible focus).
 */
import { html, raw, type SafeHtml } from "./html.ts";
import type { Translate, UiLanguage } from "./i18n.ts";

export interface PageContext {
  language: UiLanguage;
  t: Translate;
  user: { name: string; role: "admin" | "editor" | "viewer" } | null;
  csrfToken: string | null;
  /** Path of the current page, for the language switcher and the active menu entry. */
  path: string;
}

const STYLE = `
  *{box-sizing:border-box}
  body{margin:0;font:16px/1.5 system-ui,"Segoe UI","Liberation Sans",sans-serif;color:#1a1a1a;background:#fff}
  a{color:#0b4f8a}
  a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #e08b00;outline-offset:2px}
  .skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}
  header{background:#0b3558;color:#fff;padding:.6rem 1rem}
  header a{color:#fff}
  header nav ul{list-style:none;margin:.3rem 0 0;padding:0;display:flex;flex-wrap:wrap;gap:.2rem 1rem}
  header .brand{font-weight:700;font-size:1.1rem}
  main{max-width:72rem;margin:0 auto;padding:1rem}
  table{border-collapse:collapse;width:100%;margin:.5rem 0}
  th,td{border:1px solid #9aa5b1;padding:.3rem .5rem;text-align:left;vertical-align:top}
  th{background:#e8eef5}
  td.count,table.matrix td{text-align:right}
  td.gap{background:#fff4e5}
  label{display:block;font-weight:600;margin-top:.6rem}
  input,select,textarea{font:inherit;padding:.3rem;max-width:100%}
  input[type=text],input[type=email],input[type=password],input[type=url],textarea{width:100%}
  button{font:inherit;padding:.4rem 1rem;background:#0b4f8a;color:#fff;border:0;border-radius:3px;cursor:pointer}
  .error{color:#a4000f;font-weight:600;white-space:pre-line}
  .notice{background:#e7f4e4;padding:.5rem}
  .muted{color:#555}
  form.inline{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}
  form.inline label{margin:0}
  footer{max-width:72rem;margin:2rem auto;padding:0 1rem;color:#555;font-size:.9rem}
`;

// The stylesheet is our own constant; escaped like a value it would turn the
// quotes of font names into character references, which a <style> element
// does not decode.
const STYLE_HTML = raw(STYLE);

export function page(context: PageContext, title: string, body: SafeHtml, status?: { notice?: string; error?: string }): string {
  const { t, user } = context;
  const nav: [string, string][] = [
    ["/", t("nav.home")],
    ["/policies", t("nav.policies")],
    ["/institutions", t("nav.institutions")],
    ["/matrix", t("nav.matrix")],
    ["/map", t("nav.map")],
    ["/gaps", t("nav.gaps")],
    ["/compare", t("nav.compare")],
    ["/decision", t("nav.decision")],
    ["/standards", t("nav.catalog")],
    ["/requirements", t("nav.requirements")],
    ["/check", t("nav.check")],
  ];
  // Campaigns and contracts are the staff's working pages: shown once signed in.
  if (user) nav.push(["/portfolios", t("nav.portfolios")], ["/contracts", t("nav.contracts")], ["/surveys/admin", t("nav.surveys")]);
  const languageLinks = (["en", "fr", "es"] as const).map((language) =>
    language === context.language ? html`<strong>${language}</strong>` : html`<a href="${context.path}${context.path.includes("?") ? "&" : "?"}lang=${language}" lang="${language}">${language}</a>`,
  );
  return html`<!doctype html>
<html lang="${context.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${t("app.name")}</title>
<style>${STYLE_HTML}</style>
</head>
<body>
<a class="skip" href="#content">${t("nav.skip")}</a>
<header>
  <div class="brand"><a href="/">${t("app.name")}</a></div>
  <nav aria-label="main"><ul>
    ${nav.map(([href, label]) => html`<li><a href="${href}"${context.path === href ? html` aria-current="page"` : ""}>${label}</a></li>`)}
    ${user?.role === "admin" ? html`<li><a href="/admin/users">${t("nav.admin")}</a></li>` : ""}
    <li>${user ? html`<a href="/account/password" title="${t("nav.account")}">${user.name}</a> (${t(`role.${user.role}`)}) <form method="post" action="/logout" style="display:inline"><input type="hidden" name="csrf" value="${context.csrfToken ?? ""}"><button type="submit">${t("nav.logout")}</button></form>` : html`<a href="/login">${t("nav.login")}</a>`}</li>
    <li>${languageLinks.map((link, index) => html`${index ? " · " : ""}${link}`)}</li>
  </ul></nav>
</header>
<main id="content">
<h1>${title}</h1>
${status?.notice ? html`<p class="notice" role="status">${status.notice}</p>` : ""}
${status?.error ? html`<p class="error" role="alert">${status.error}</p>` : ""}
${body}
</main>
<footer>${t("app.tagline")}</footer>
</body>
</html>`.value;
}
