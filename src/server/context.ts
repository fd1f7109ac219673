/**
 * What every request carries through the app: the store, the catalog, the
 * signed-in user (if any) with the session's CSRF token, and the UI
 * language. Set by the middleware in app.ts.
 */
import type { CampaignEngine } from "../campaigns/engine.ts";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Catalog } from "../catalog/catalog.ts";
import { PUBLIC_REVIEW_STATES, REVIEW_STATES, type ReviewState, type Store } from "../store/index.ts";
import type { User } from "../store/records.ts";
import type { LoginLimiter } from "./auth.ts";
import type { ExportCache } from "./export-cache.ts";
import type { Translate, UiLanguage } from "./i18n.ts";
import type { PageContext } from "./layout.ts";
import type { HeavyWork } from "./workers/heavy-work.ts";

export interface AppServices {
  store: Store;
  catalog: Catalog;
  limiter: LoginLimiter;
  /** Send the session cookie with Secure (behind HTTPS). */
  secureCookies: boolean;
  /** Where imports and export builds run: worker threads on their own connection when given a database; otherwise in-process. */
  heavyWork?: HeavyWork;
  /** Portfolios', contracts' and batch requests' runs (scheduler and queue); absent: those pages cannot start runs. */
  campaigns?: CampaignEngine;
}

/** The services as routes see them: createApp supplies what was left out, and the export cache. */
export interface RequestServices extends AppServices {
  heavyWork: HeavyWork;
  exportCache: ExportCache;
}

export interface AppVariables {
  services: RequestServices;
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

/** What the visitor may read: published policies for anonymous visitors, every review state for signed-in users. */
export function visibleStates(c: AppContext): readonly ReviewState[] {
  return c.get("user") ? REVIEW_STATES : PUBLIC_REVIEW_STATES;
}

/** Editors and admins may change the observatory; viewers may read drafts. */
export function canEdit(user: User | null): boolean {
  return user?.role === "admin" || user?.role === "editor";
}

/**
 * The largest number a query parameter (an offset) may give. Far past any
 * list the observatory holds (tens of thousands of policies), and small
 * enough that no arithmetic on it (offset + page size) or database
 * (SQLite's and PostgreSQL's 64-bit LIMIT/OFFSET) can overflow.
 */
export const MAX_QUERY_NUMBER = 1_000_000;

/**
 * Query parameter `name` as a whole number from 0 to MAX_QUERY_NUMBER, or
 * `fallback` when it is absent or empty (a form's blank field). Anything
 * else (-5, 1e20, 2.5, abc) is the client's mistake, answered with a 400
 * page naming the parameter (app.ts renders the HTTPException), rather than
 * quietly read as 0 or passed to SQL as a number it cannot hold.
 */
export function wholeNumberQuery(c: AppContext, name: string, fallback: number): number {
  const value = c.req.query(name)?.trim() ?? "";
  if (value === "") return fallback;
  // Digits only: Number() would also take "1e3", "0x10", "+5" and "-5".
  if (!/^\d+$/.test(value) || Number(value) > MAX_QUERY_NUMBER) {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    throw new HTTPException(400, { message: c.get("t")("error.queryNumber", { name, max: MAX_QUERY_NUMBER, value: shown }) });
  }
  return Number(value);
}
