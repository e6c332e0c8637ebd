// Waits: wait.for / wait.until from a task (/engine/v1/runs/…/wait/duration) and wait tokens: create,
// list, retrieve, wait for (from a task), complete (from anywhere with the key, or the token's URL).
import {
  CompleteWaitpointTokenRequestBody,
  CreateWaitpointTokenRequestBody,
  WaitForDurationRequestBody,
} from "@trigger.dev/core/v3/schemas";
import { parseNaturalLanguageDurationInMs } from "@trigger.dev/core/v3/isomorphic";
import { and, arrayOverlaps, eq, gte, lte, or, type SQL } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { cursorPage, pageQuery, readPageRows } from "../cursor-pages";
import { commaList, epochOrDate, pageParams } from "./list-query";
import { environments, waitpoints, type Waitpoint } from "../db/schema";
import { isTokenCallbackHash, tokenCallbackUrl } from "../engine/token-callback";
import { tokenOf } from "../engine/waits";
import { parseBody, parseQuery, type PlatformEnv } from "./http-context";
import { authorize, publicTokenClaims } from "./public-access";

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

/** The API's token statuses, as rows. */
const TOKEN_STATUS_WHERE = {
  WAITING: eq(waitpoints.status, "PENDING"),
  COMPLETED: and(eq(waitpoints.status, "COMPLETED"), eq(waitpoints.outputIsError, false))!,
  TIMED_OUT: and(eq(waitpoints.status, "COMPLETED"), eq(waitpoints.outputIsError, true))!,
} satisfies Record<string, SQL>;
type TokenStatus = keyof typeof TOKEN_STATUS_WHERE;

/** wait.listTokens' query (the SDK's createSearchQueryForListWaitpointTokens). */
const TokenListQuery = z.object({
  ...pageParams,
  "filter[status]": z
    .string()
    .optional()
    .transform((text, ctx) => {
      const statuses = commaList(text);
      if (statuses?.some((s) => !(s in TOKEN_STATUS_WHERE))) {
        ctx.addIssue({ code: "custom", message: `must be token statuses (${Object.keys(TOKEN_STATUS_WHERE).join(", ")})` });
        return z.NEVER;
      }
      return statuses as TokenStatus[] | undefined;
    }),
  "filter[idempotencyKey]": z.string().optional(),
  "filter[tags]": z.string().optional().transform(commaList),
  "filter[createdAt][period]": z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const ms = parseNaturalLanguageDurationInMs(v);
      if (ms === undefined) {
        ctx.addIssue({ code: "custom", message: "must be a period like 1h or 7d" });
        return z.NEVER;
      }
      return ms;
    }),
  "filter[createdAt][from]": epochOrDate,
  "filter[createdAt][to]": epochOrDate,
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
    c.header("x-trigger-jwt-claims", JSON.stringify(publicTokenClaims(c.var.env)));
    return c.json(await c.var.platform.engine.createToken(c.var.env, body));
  })
  .get("/api/v1/waitpoints/tokens", async (c) => {
    const q = parseQuery(c.req.query(), TokenListQuery);
    const page = pageQuery(q["page[size]"], q["page[after]"], q["page[before]"]);
    const { db } = c.var.platform;
    const where: SQL[] = [eq(waitpoints.environmentId, c.var.env.id), eq(waitpoints.type, "MANUAL")];
    if (q["filter[status]"]) where.push(or(...q["filter[status]"].map((status) => TOKEN_STATUS_WHERE[status]))!);
    if (q["filter[idempotencyKey]"]) where.push(eq(waitpoints.idempotencyKey, q["filter[idempotencyKey]"]));
    if (q["filter[tags]"]) where.push(arrayOverlaps(waitpoints.tags, q["filter[tags]"]));
    const from =
      q["filter[createdAt][from]"] ?? (q["filter[createdAt][period]"] ? new Date(Date.now() - q["filter[createdAt][period]"]) : undefined);
    if (from) where.push(gte(waitpoints.createdAt, from));
    if (q["filter[createdAt][to]"]) where.push(lte(waitpoints.createdAt, q["filter[createdAt][to]"]));
    const { rows, pagination } = cursorPage(await readPageRows(db, waitpoints, where, page), page);
    return c.json({ data: rows.map((t) => tokenView(c.var.platform.origin, t, c.var.env.apiKey)), pagination });
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
    authorize(c.var.access, "write", [{ type: "waitpoints", id: c.req.param("token") }]);
    const body = await parseBody(c, CompleteWaitpointTokenRequestBody);
    return c.json(await c.var.platform.engine.completeToken(c.var.env.id, c.req.param("token"), body.data));
  });
