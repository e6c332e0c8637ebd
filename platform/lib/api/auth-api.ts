// Public access tokens: the claims the SDK signs its own with (POST /api/v1/auth/jwt/claims), and tokens the
// platform mints for callers that cannot sign (POST /api/v1/auth/public-tokens), as Trigger.dev's routes do.
// Both need the environment's secret key: a public token cannot mint another.
import { parseNaturalLanguageDurationInMs } from "@trigger.dev/core/v3/isomorphic";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import { parseBody, type PlatformEnv } from "./http-context";
import { malformedScopes, publicTokenClaims, signToken } from "./public-access";

/** Trigger.dev's cap on a minted token's life. */
const MAX_PUBLIC_TOKEN_LIFETIME_SECONDS = 30 * 24 * 60 * 60;

const PublicTokenRequest = z.object({
  scopes: z.array(z.string()).min(1, "at least one scope, such as read:runs:run_1234"),
  expirationTime: z.union([z.string(), z.number()]).optional(),
  oneTimeUse: z.boolean().optional(),
  realtime: z.object({ skipColumns: z.array(z.string()).optional() }).optional(),
});

/** Seconds since the epoch when a token given `expirationTime` (epoch seconds, or a duration like 15m) ends. */
function expiresAt(expirationTime: string | number, now: number): number {
  if (typeof expirationTime === "number") return expirationTime;
  const ms = parseNaturalLanguageDurationInMs(expirationTime.replace(/\s+/g, ""));
  if (ms === undefined) throw new HTTPException(400, { message: `expirationTime: "${expirationTime}" is not a duration like 15m or 1h` });
  return now + Math.round(ms / 1000);
}

export const authApi = new Hono<PlatformEnv>()
  .post("/api/v1/auth/jwt/claims", (c) => c.json(publicTokenClaims(c.var.env)))
  .post("/api/v1/auth/public-tokens", async (c) => {
    const body = await parseBody(c, PublicTokenRequest);
    const malformed = malformedScopes(body.scopes);
    if (malformed.length > 0)
      throw new HTTPException(400, { message: `scopes: ${malformed.join(", ")} is not action:type[:id], such as read:runs:run_1234` });
    const now = Math.floor(Date.now() / 1000);
    const exp = expiresAt(body.expirationTime ?? "15m", now);
    if (exp <= now) throw new HTTPException(400, { message: "expirationTime: must be in the future" });
    if (exp - now > MAX_PUBLIC_TOKEN_LIFETIME_SECONDS) throw new HTTPException(400, { message: "expirationTime: cannot exceed 30 days" });
    const claims = {
      ...publicTokenClaims(c.var.env),
      scopes: body.scopes,
      ...(body.oneTimeUse ? { otu: true } : {}),
      ...(body.realtime ? { realtime: body.realtime } : {}),
    };
    const token = await signToken(c.var.env.apiKey, claims, exp);
    return c.json({ token });
  });
