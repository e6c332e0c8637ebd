// The routes a public token may call, and the routes a page of another site may call (CORS), listed once:
// the auth middleware refuses a public token anywhere else, and the request guard lets another site's
// Origin through only here. Mostly the same routes, as on Trigger.dev; where its route says corsStrategy
// "none" (cancel, queue retrieve) a token works but only from a server; the presigned packet URLs carry
// their credential in the signature and take no token, but a browser reading a large output fetches them.
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

type PublicRoute = { method: string; path: RegExp; token: boolean; cors: boolean };

const route = (method: string, path: RegExp, use: { token?: boolean; cors?: boolean } = {}): PublicRoute => ({
  method,
  path,
  token: use.token ?? true,
  cors: use.cors ?? true,
});

const PUBLIC_ROUTES: PublicRoute[] = [
  route("POST", /^\/api\/v1\/tasks\/[^/]+\/trigger$/),
  route("POST", /^\/api\/v3\/batches$/),
  route("POST", /^\/api\/v3\/batches\/[^/]+\/items$/),
  route("GET", /^\/api\/v2\/batches\/[^/]+$/),
  route("GET", /^\/api\/v3\/runs\/[^/]+$/),
  route("GET", /^\/api\/v1\/runs$/),
  route("GET", /^\/api\/v1\/runs\/[^/]+\/packets\/[^/]+$/),
  route("GET", /^\/api\/v1\/queues\/[^/]+$/, { cors: false }),
  route("POST", /^\/api\/v2\/runs\/[^/]+\/cancel$/, { cors: false }),
  route("POST", /^\/api\/v1\/idempotencyKeys\/[^/]+\/reset$/),
  route("POST", /^\/api\/v1\/waitpoints\/tokens\/[^/]+\/complete$/),
  route("GET", /^\/api\/v1\/packets\/.+$/),
  route("GET", /^\/packets\/[^/]+\/.+$/, { token: false }),
  route("GET", /^\/realtime\/v1\/runs(\/[^/]+)?$/),
  route("GET", /^\/realtime\/v1\/batches\/[^/]+$/),
  route("GET", /^\/realtime\/v1\/streams\/[^/]+\/[^/]+$/),
  route("POST", /^\/realtime\/v1\/streams\/[^/]+\/input\/[^/]+$/),
];

const listed = (method: string, pathname: string, use: "token" | "cors") =>
  PUBLIC_ROUTES.some((r) => r[use] && r.method === method && r.path.test(pathname));

/** Whether a public token may call this route. */
export const takesPublicToken = (method: string, pathname: string) => listed(method, pathname, "token");

/** Whether a browser on another site may send this request (or its preflight). Such calls carry their
 *  credential in Authorization or the URL's signature, never a cookie, so another site's page can only
 *  use what it was given. */
export function crossOriginAllowed(request: Request): boolean {
  const { pathname } = new URL(request.url);
  const method = request.method === "OPTIONS" ? (request.headers.get("access-control-request-method") ?? "") : request.method;
  return listed(method.toUpperCase(), pathname, "cors");
}

/** CORS: any origin, no cookies. */
const corsAnyOrigin = cors({
  origin: "*",
  allowHeaders: [],
  maxAge: 300,
  exposeHeaders: [
    "x-trigger-jwt",
    "x-trigger-jwt-claims",
    "electric-handle",
    "electric-offset",
    "electric-schema",
    "electric-cursor",
    "electric-up-to-date",
  ],
});

/** Answers preflights of, and adds CORS headers to, the routes listed for it; other routes get none, nor does a
 *  request no page sent (no Origin: the CLI, the SDK, a server). */
export const publicRouteCors: MiddlewareHandler = (c, next) =>
  c.req.header("origin") !== undefined && crossOriginAllowed(c.req.raw) ? corsAnyOrigin(c, next) : next();
