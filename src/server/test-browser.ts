/**
 * Test support (not part of the server): accounts to sign in with, and a
 * browser of one user over a Hono app's fetch handler (`app.request`, no
 * network) that keeps the session cookie between requests, as a real
 * browser does.
 *
 * @example
 *   await createTestAccounts(store);
 *   const editor = testBrowser(app);
 *   await editor.login("editor@example.org");
 *   const csrf = await editor.csrf("/institutions/new");
 *   await editor.post("/institutions/new", { csrf, name: "X", kind: "government", region: "150" });
 */
import { createUser, type Role, type Store, type User } from "../store/index.ts";
import { hashPassword } from "./auth.ts";

/** The password of every account `createTestAccounts` makes, and what `login` signs in with unless told. */
export const TEST_PASSWORD = "a long enough password";

/** Accounts `<role>@example.org`, named "The <role>", with TEST_PASSWORD. */
export async function createTestAccounts(store: Store, roles: readonly Role[] = ["admin", "editor", "viewer"]): Promise<User[]> {
  const users: User[] = [];
  for (const role of roles) {
    users.push(await createUser(store.db, { email: `${role}@example.org`, name: `The ${role}`, role, passwordHash: await hashPassword(TEST_PASSWORD) }, null));
  }
  return users;
}

/** What the browser needs of the app: Hono's `app.request`. */
export interface RequestHandler {
  request(path: string, init?: RequestInit): Response | Promise<Response>;
}

export interface TestBrowser {
  /** The session cookie (`baseline_session=...`) it sends, "" when signed out. */
  readonly cookie: string;
  get(path: string): Promise<Response>;
  /** A form post; a list value is sent as the field repeated. */
  post(path: string, form: Record<string, string | readonly string[]>): Promise<Response>;
  /** A multipart post, e.g. a file upload. */
  upload(path: string, form: FormData): Promise<Response>;
  login(email: string, password?: string): Promise<Response>;
  /** The CSRF token in the page at `path` ("" when it has none). */
  csrf(path: string): Promise<string>;
}

export function testBrowser(app: RequestHandler): TestBrowser {
  let cookie = "";
  // The login form's token cookie (sent to /login only, as its path says).
  let loginCookie = "";
  const remember = (response: Response): Response => {
    const session = response.headers.get("set-cookie")?.match(/baseline_session=([^;]*)/)?.[1];
    if (session !== undefined) cookie = session ? `baseline_session=${session}` : "";
    const login = response.headers.get("set-cookie")?.match(/baseline_login=([^;]*)/)?.[1];
    if (login !== undefined) loginCookie = login ? `baseline_login=${login}` : "";
    return response;
  };
  const cookies = (path: string): string => [cookie, new URL(path, "http://localhost").pathname === "/login" ? loginCookie : ""].filter(Boolean).join("; ");
  const get = async (path: string): Promise<Response> => remember(await app.request(path, { headers: { cookie: cookies(path) } }));
  const post = async (path: string, form: Record<string, string | readonly string[]>): Promise<Response> => {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(form)) for (const item of typeof value === "string" ? [value] : value) body.append(key, item);
    return remember(await app.request(path, { method: "POST", body, headers: { cookie: cookies(path), "content-type": "application/x-www-form-urlencoded" } }));
  };
  const csrf = async (path: string): Promise<string> => (await (await get(path)).text()).match(/name="csrf" value="([^"]+)"/)?.[1] ?? "";
  return {
    get cookie() {
      return cookie;
    },
    get,
    post,
    upload: async (path, form) => remember(await app.request(path, { method: "POST", body: form, headers: { cookie } })),
    // As a browser does: the login page first, for the form's token.
    login: async (email, password = TEST_PASSWORD) => post("/login", { csrf: await csrf("/login"), email, password }),
    csrf,
  };
}
