/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The dashboard's login, Jupyter's way. The link the platform prints carries its dashboard token once
// (/?token=…): opening it sets an HttpOnly, SameSite=Strict session cookie and drops the token from the
// address bar. Without the cookie every page is the login page, which shows no data. A request that changes
// something also carries the CSRF token its page was rendered with (a hidden _csrf field, or x-csrf-token).
import { createHmac } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { createContext, useContext } from "hono/jsx";
import { sameSecret } from "../install-secrets";
import type { PlatformEnv } from "../api/http-context";
import { DASHBOARD_CSS } from "./dashboard-style";

export const SESSION_COOKIE = "local_trigger_session";
const CSRF_FIELD = "_csrf";
const CSRF_HEADER = "x-csrf-token";

const derived = new Map<string, { session: string; csrf: string }>();

/** The session cookie's value and the CSRF token, both derived from the dashboard token: a restart keeps them. */
export function dashboardSecrets(dashboardToken: string | undefined) {
  if (!dashboardToken) throw new Error("The dashboard has no token: startPlatform always sets one");
  let secrets = derived.get(dashboardToken);
  if (!secrets) {
    const derive = (purpose: string) => createHmac("sha256", dashboardToken).update(purpose).digest("base64url");
    secrets = { session: derive("dashboard session"), csrf: derive("dashboard csrf") };
    derived.set(dashboardToken, secrets); // derived once per token, not on every request
  }
  return secrets;
}

/** The CSRF token of the page being rendered, for its forms. */
export const CsrfToken = createContext("");

/** The hidden field every state-changing form carries. */
export function CsrfField() {
  return <input type="hidden" name={CSRF_FIELD} value={useContext(CsrfToken)} />;
}

/** The page's CSRF token for its script (fetches send it as x-csrf-token). */
export function CsrfMeta() {
  return <meta name="csrf-token" content={useContext(CsrfToken)} />;
}

const SAFE_METHODS = new Set(["GET", "HEAD"]);

/** Logs in by link or form, and lets through only requests with the session (and, to change things, the CSRF token). */
export function requireDashboardSession(): MiddlewareHandler<PlatformEnv> {
  return async (c, next) => {
    const { dashboardToken } = c.var.platform.options;
    const { session, csrf } = dashboardSecrets(dashboardToken);
    const url = new URL(c.req.url);
    const linkToken = url.searchParams.get("token");
    if (c.req.method === "POST" && url.pathname === "/login") {
      const form = await c.req.parseBody();
      const next = safeNext(typeof form.next === "string" ? form.next : "/");
      if (typeof form.token === "string" && sameSecret(form.token.trim(), dashboardToken)) return loggedIn(c, session, next);
      return loginPage(c, next, "That is not this platform's dashboard token.", 401);
    }
    if (linkToken !== null) {
      url.searchParams.delete("token");
      const next = safeNext(`${url.pathname}${url.search}`);
      if (sameSecret(linkToken, dashboardToken)) return loggedIn(c, session, next);
      return loginPage(c, next, "That link's token is not this platform's (a new data directory makes a new one).", 401);
    }
    if (!sameSecret(getCookie(c, SESSION_COOKIE) ?? "", session))
      return loginPage(c, safeNext(`${url.pathname}${url.search}`), undefined, 401);
    if (!SAFE_METHODS.has(c.req.method)) {
      const given = c.req.header(CSRF_HEADER) ?? (await csrfField(c));
      if (!sameSecret(given, csrf))
        return c.text("This form's CSRF token is missing or not this dashboard's: reload the page and try again.", 403);
    }
    await next();
  };
}

async function csrfField(c: Context<PlatformEnv>): Promise<string> {
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/.test(c.req.header("content-type") ?? "")) return "";
  const value = (await c.req.parseBody())[CSRF_FIELD]; // hono keeps the parsed body for the route
  return typeof value === "string" ? value : "";
}

function loggedIn(c: Context<PlatformEnv>, session: string, next: string) {
  setCookie(c, SESSION_COOKIE, session, { httpOnly: true, sameSite: "Strict", path: "/", maxAge: 60 * 60 * 24 * 30 });
  return c.redirect(next, 303);
}

/** Where to go after logging in: a path on this server, never another site (`//evil.example` included). */
function safeNext(next: string): string {
  return /^\/(?![/\\])/.test(next) && next !== "/login" ? next : "/";
}

function loginPage(c: Context<PlatformEnv>, next: string, problem: string | undefined, status: 401) {
  return c.html(
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Log in · local Trigger.dev</title>
        <style>{DASHBOARD_CSS}</style>
      </head>
      <body>
        <main>
          <div class="card stack" style="max-width:36rem">
            <h1>Log in to the local Trigger.dev dashboard</h1>
            {problem ? <p class="flash error">{problem}</p> : null}
            <p>
              Open the <strong>dashboard link</strong> printed where the platform started (<code>npm start</code> or{" "}
              <code>npm run platform</code>): it ends in <code>?token=…</code>. Or paste the token here.
            </p>
            <form method="post" action="/login" class="stack">
              <input type="hidden" name="next" value={next} />
              <label>
                Dashboard token <input type="password" name="token" autocomplete="current-password" required />
              </label>
              <button type="submit">Log in</button>
            </form>
          </div>
        </main>
      </body>
    </html>,
    status,
  );
}
