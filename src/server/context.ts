/**
 * What every request carries through the app: the store, the catalog, the
 * signed-in user (if any) with the session's CSRF token, and the UI
 * language. Set by the middleware in app.ts.
 */
import type { Context } from "hono";
import type { Catalog } from "../catalog/catalog.ts";
import type { Store } from "../store/index.ts";
import type { User } from "../store/records.ts";
import type { LoginLimiter } from "./auth.ts";
import type { Translate, UiLanguage } from "./i18n.ts";
import type { PageContext } from "./layout.ts";

export interface AppServices {
  store: Store;
  catalog: Catalog;
  limiter: LoginLimiter;
  /** Send the session cookie with Secure (behind HTTPS). */
  secureCookies: boolean;
}

export interface AppVariables {
  services: AppServices;
  user: User | null;
  csrfToken: string | null;
  language: UiLanguage;
  t: Translate;
}

export type AppEnv = { Variables: AppVariables };
export type AppContext = Context<AppEnv>;

export function pageContext(c: AppContext): PageContext {
  const user = c.get("user");
  const url = new URL(c.req.url);
  url.searchParams.delete("lang");
  return {
    language: c.get("language"),
    t: c.get("t"),
    user: user ? { name: user.name, role: user.role } : null,
    csrfToken: c.get("csrfToken"),
    path: `${url.pathname}${url.search}`,
  };
}

/** Editors and admins may change the observatory; viewers may read drafts. */
export function canEdit(user: User | null): boolean {
  return user?.role === "admin" || user?.role === "editor";
}
