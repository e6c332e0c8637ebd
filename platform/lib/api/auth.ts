// Authentication. The CLI's own calls carry a personal access token (tr_pat_… or tr_oat_…; any works
// locally: nobody logs in offline). Everything scoped to an environment needs that environment's secret
// key (tr_dev_…); a wrong or missing key is 401.
import type { MiddlewareHandler } from "hono";
import { environmentByApiKey } from "../environments";
import type { PlatformEnv } from "./http-context";

export const bearerToken = (header: string | undefined) => header?.replace(/^Bearer\s+/i, "").trim() ?? "";

export const requireAccessToken: MiddlewareHandler<PlatformEnv> = async (c, next) => {
  const token = bearerToken(c.req.header("authorization"));
  if (/^tr_(pat|oat)_\w+/.test(token) || (await environmentByApiKey(c.var.platform.db, token))) return next();
  return c.json({ error: "Invalid or missing access token: send Authorization: Bearer tr_pat_<anything>" }, 401);
};

export const requireEnvironmentKey: MiddlewareHandler<PlatformEnv> = async (c, next) => {
  const token = bearerToken(c.req.header("authorization"));
  const env = token ? await environmentByApiKey(c.var.platform.db, token) : undefined;
  if (!env) return c.json({ error: "Invalid API key: send Authorization: Bearer <the project's secret key, tr_dev_…>" }, 401);
  c.set("env", env);
  return next();
};
