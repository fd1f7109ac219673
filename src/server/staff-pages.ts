/**
 * What the staff areas (portfolios, surveys) share in front of their
 * routes: a visitor who is not signed in goes to the login page, and one
 * who may only read gets a 403 page saying who may change things.
 */
import { html } from "./html.ts";
import { page } from "./layout.ts";
import { pageContext, type AppContext } from "./context.ts";
import type { MessageKey } from "./i18n.ts";

/** Middleware: anonymous visitors are sent to log in. */
export async function requireSignedIn(c: AppContext, next: () => Promise<void>): Promise<Response | undefined> {
  if (!c.get("user")) return c.redirect("/login", 303);
  await next();
  return undefined;
}

/** The 403 page of an area, with its own sentence (a message key) on who may change it. */
export function editorsOnly(c: AppContext, messageKey: MessageKey): Response | Promise<Response> {
  c.status(403);
  const t = c.get("t");
  return c.html(page(pageContext(c), t("error.forbidden"), html`<p>${t(messageKey)}</p>`));
}
