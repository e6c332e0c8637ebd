// Waits: wait.for / wait.until from a task (/engine/v1/runs/…/wait/duration) and wait tokens: create,
// list, retrieve, wait for (from a task), complete (from anywhere with the key, or the token's URL).
import {
  CompleteWaitpointTokenRequestBody,
  CreateWaitpointTokenRequestBody,
  WaitForDurationRequestBody,
} from "@trigger.dev/core/v3/schemas";
import { and, desc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { environments, waitpoints, type Waitpoint } from "../db/schema";
import { isTokenCallbackHash, tokenCallbackUrl } from "../engine/token-callback";
import { tokenOf } from "../engine/waits";
import { parseBody, type PlatformEnv } from "./http-context";

function tokenView(origin: string, token: Waitpoint, apiKey: string) {
  const timedOut = token.status === "COMPLETED" && token.outputIsError;
  return {
    id: token.friendlyId,
    url: tokenCallbackUrl(origin, token.friendlyId, apiKey),
    status: token.status === "PENDING" ? "WAITING" : timedOut ? "TIMED_OUT" : "COMPLETED",
    ...(token.completedAt ? { completedAt: token.completedAt } : {}),
    ...(token.completeAfter ? { timeoutAt: token.completeAfter } : {}),
    ...(token.idempotencyKey ? { idempotencyKey: token.idempotencyKey } : {}),
    ...(token.idempotencyKeyExpiresAt ? { idempotencyKeyExpiresAt: token.idempotencyKeyExpiresAt } : {}),
    tags: token.tags,
    createdAt: token.createdAt,
  };
}

/** The token's callback URL completes it without a key, as on Trigger.dev: the URL's hash is the secret. */
export const tokenCallbackApi = new Hono<PlatformEnv>().post("/api/v1/waitpoints/tokens/:token/callback/:hash", async (c) => {
  const { platform } = c.var;
  const [found] = await platform.db
    .select({ token: waitpoints, apiKey: environments.apiKey })
    .from(waitpoints)
    .innerJoin(environments, eq(environments.id, waitpoints.environmentId))
    .where(eq(waitpoints.friendlyId, c.req.param("token")));
  if (!found || !isTokenCallbackHash(found.token.friendlyId, c.req.param("hash"), found.apiKey))
    return c.json({ error: "No waitpoint token at this callback URL (the token id or its hash is wrong)" }, 404);
  const { token } = found;
  const body: unknown = await c.req.json().catch(() => ({}));
  await platform.engine.completeToken(token.environmentId, token.friendlyId, body);
  return c.json({ success: true });
});

export const waitsApi = new Hono<PlatformEnv>()
  .post("/engine/v1/runs/:run/wait/duration", async (c) => {
    const body = await parseBody(c, WaitForDurationRequestBody);
    return c.json(await c.var.platform.engine.waitForDuration(c.var.env, c.req.param("run"), body));
  })
  .post("/engine/v1/runs/:run/waitpoints/tokens/:token/wait", async (c) =>
    c.json(await c.var.platform.engine.waitForToken(c.var.env, c.req.param("run"), c.req.param("token"))),
  )
  .post("/api/v1/waitpoints/tokens", async (c) => {
    const body = await parseBody(c, CreateWaitpointTokenRequestBody);
    return c.json(await c.var.platform.engine.createToken(c.var.env, body));
  })
  .get("/api/v1/waitpoints/tokens", async (c) => {
    const limit = Math.min(100, Number(c.req.query("page[size]") ?? 25) || 25);
    const rows = await c.var.platform.db
      .select()
      .from(waitpoints)
      .where(and(eq(waitpoints.environmentId, c.var.env.id), eq(waitpoints.type, "MANUAL")))
      .orderBy(desc(waitpoints.createdAt))
      .limit(limit);
    return c.json({ data: rows.map((t) => tokenView(c.var.platform.origin, t, c.var.env.apiKey)), pagination: {} });
  })
  .get("/api/v1/waitpoints/tokens/:token", async (c) => {
    const token = await tokenOf(c.var.platform.db, c.var.env.id, c.req.param("token"));
    return c.json({
      ...tokenView(c.var.platform.origin, token, c.var.env.apiKey),
      ...(token.output !== null ? { output: token.output } : {}),
      ...(token.outputType ? { outputType: token.outputType } : {}),
      outputIsError: token.outputIsError,
    });
  })
  .post("/api/v1/waitpoints/tokens/:token/complete", async (c) => {
    const body = await parseBody(c, CompleteWaitpointTokenRequestBody);
    return c.json(await c.var.platform.engine.completeToken(c.var.env.id, c.req.param("token"), body.data));
  });
