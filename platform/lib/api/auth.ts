// Authentication. The CLI's own calls carry the platform's access token (TRIGGER_ACCESS_TOKEN: the install's,
// printed at start, or PLATFORM_ACCESS_TOKEN); whoever holds it may see every project, as a Trigger.dev
// account may. Everything scoped to an environment needs that environment's secret key (tr_dev_…), which
// also opens the CLI routes of its own project and no other. Secrets are compared in constant time.
import type { MiddlewareHandler } from "hono";
import { environmentByApiKey, type ProjectEnvironment } from "../environments";
import { sameSecret } from "../install-secrets";
import type { PlatformEnv } from "./http-context";
import { looksLikeJwt, verifyPublicToken } from "./public-access";
import { takesPublicToken } from "./public-routes";

export const bearerToken = (header: string | undefined) => header?.replace(/^Bearer\s+/i, "").trim() ?? "";

/** Who a CLI route is answering: the access token's holder (every project), or one environment's key. */
export type Caller = { kind: "access-token" } | { kind: "environment-key"; env: ProjectEnvironment };

export const requireAccessToken: MiddlewareHandler<{ Variables: PlatformEnv["Variables"] & { caller: Caller } }> = async (c, next) => {
  const token = bearerToken(c.req.header("authorization"));
  if (sameSecret(token, c.var.platform.options.accessToken)) {
    c.set("caller", { kind: "access-token" });
    return next();
  }
  const env = token ? await environmentByApiKey(c.var.platform.db, token) : undefined;
  if (env) {
    c.set("caller", { kind: "environment-key", env });
    return next();
  }
  return c.json(
    {
      error:
        "Invalid or missing access token: send Authorization: Bearer <the platform's access token> (printed when it starts, as TRIGGER_ACCESS_TOKEN=…)",
    },
    401,
  );
};

/** The environment's secret key, or on the routes that take one (public-access.ts) a public access token. */
export const requireEnvironmentKey: MiddlewareHandler<PlatformEnv> = async (c, next) => {
  const token = bearerToken(c.req.header("authorization"));
  if (token && looksLikeJwt(token)) {
    if (!takesPublicToken(c.req.method, c.req.path))
      return c.json({ error: `A public access token cannot call ${c.req.method} ${c.req.path}: it needs the project's secret key` }, 401);
    const { env, access } = await verifyPublicToken(c.var.platform.db, token);
    c.set("env", env);
    c.set("access", access);
    return next();
  }
  const env = token ? await environmentByApiKey(c.var.platform.db, token) : undefined;
  if (!env) return c.json({ error: "Invalid API key: send Authorization: Bearer <the project's secret key, tr_dev_…>" }, 401);
  c.set("env", env);
  c.set("access", { kind: "secret-key" });
  return next();
};
