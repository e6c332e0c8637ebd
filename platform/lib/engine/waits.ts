// wait.for / wait.until (a DATETIME waitpoint) and wait tokens (a MANUAL waitpoint that code completes,
// or that times out). Waiting blocks the run; the timers and token completion resume it.
import { and, asc, eq, gt, isNotNull, isNull, lte, or, sql } from "drizzle-orm";
import { parseNaturalLanguageDurationInMs } from "@trigger.dev/core/v3/isomorphic";
import type { DatabaseOrTransaction } from "../db/client";
import { runs, waitpoints, type Waitpoint } from "../db/schema";
import type { ProjectEnvironment } from "../environments";
import { internalId } from "../ids";
import type { EngineContext } from "./engine-context";
import { noEffects } from "./run-notifier";
import { DUE_BATCH, earliest, type DueWork } from "./timers";
import { blockRun, completeWaitpoint, createWaitpoint } from "./waitpoints";
import { PlatformError } from "../platform-error";
import { tokenCallbackUrl } from "./token-callback";

export const WAITPOINT_TIMEOUT_ERROR_CODE = "TRIGGER_WAITPOINT_TIMEOUT";

type IdempotentWaitpoint = { idempotencyKey?: string | undefined; idempotencyKeyTTL?: string | undefined };

/** The waitpoint with this idempotency key (unexpired), or a new one made by `create`. */
async function idempotentWaitpoint(
  tx: DatabaseOrTransaction,
  env: ProjectEnvironment,
  options: IdempotentWaitpoint,
  create: (key: { idempotencyKey: string | null; idempotencyKeyExpiresAt: Date | null }) => Promise<Waitpoint>,
): Promise<{ waitpoint: Waitpoint; isCached: boolean }> {
  if (options.idempotencyKey) {
    const [existing] = await tx
      .select()
      .from(waitpoints)
      .where(
        and(
          eq(waitpoints.environmentId, env.id),
          eq(waitpoints.idempotencyKey, options.idempotencyKey),
          or(isNull(waitpoints.idempotencyKeyExpiresAt), gt(waitpoints.idempotencyKeyExpiresAt, new Date())),
        ),
      );
    if (existing) return { waitpoint: existing, isCached: true };
    // An expired key is free again.
    await tx
      .update(waitpoints)
      .set({ idempotencyKey: null })
      .where(and(eq(waitpoints.environmentId, env.id), eq(waitpoints.idempotencyKey, options.idempotencyKey)));
  }
  const ttl = options.idempotencyKeyTTL ? parseNaturalLanguageDurationInMs(options.idempotencyKeyTTL) : undefined;
  const waitpoint = await create({
    idempotencyKey: options.idempotencyKey ?? null,
    idempotencyKeyExpiresAt: options.idempotencyKey && ttl ? new Date(Date.now() + ttl) : null,
  });
  return { waitpoint, isCached: false };
}

async function runOf(tx: DatabaseOrTransaction, env: ProjectEnvironment, runFriendlyId: string) {
  const [run] = await tx
    .select()
    .from(runs)
    .where(and(eq(runs.id, internalId(runFriendlyId)), eq(runs.environmentId, env.id)));
  if (!run) throw new PlatformError(`No run ${runFriendlyId}`, 404);
  return run;
}

export async function waitForDuration(
  ctx: EngineContext,
  env: ProjectEnvironment,
  runFriendlyId: string,
  body: IdempotentWaitpoint & { date: Date },
) {
  const effects = noEffects();
  const waitpoint = await ctx.db.transaction(async (tx) => {
    const run = await runOf(tx, env, runFriendlyId);
    const { waitpoint } = await idempotentWaitpoint(tx, env, body, (key) =>
      createWaitpoint(tx, { environmentId: env.id, type: "DATETIME", completeAfter: body.date, ...key }),
    );
    await blockRun(tx, effects, run.id, [waitpoint.id]);
    return waitpoint;
  });
  ctx.notifier.publish(effects);
  ctx.notifier.timerChanged(waitpoint.completeAfter ?? body.date);
  return { waitUntil: waitpoint.completeAfter ?? body.date, waitpoint: { id: waitpoint.friendlyId } };
}

export async function createToken(
  ctx: EngineContext,
  env: ProjectEnvironment,
  body: IdempotentWaitpoint & { timeout?: string | Date | undefined; tags?: string | string[] | undefined },
) {
  const timeoutAt =
    body.timeout === undefined
      ? null
      : body.timeout instanceof Date
        ? body.timeout
        : new Date(Date.now() + (parseNaturalLanguageDurationInMs(body.timeout) ?? failTimeout(body.timeout)));
  const tags = body.tags === undefined ? [] : Array.isArray(body.tags) ? body.tags : [body.tags];
  const result = await ctx.db.transaction((tx) =>
    idempotentWaitpoint(tx, env, body, (key) =>
      createWaitpoint(tx, { environmentId: env.id, type: "MANUAL", completeAfter: timeoutAt, tags, ...key }),
    ),
  );
  if (timeoutAt) ctx.notifier.timerChanged(timeoutAt);
  return {
    id: result.waitpoint.friendlyId,
    isCached: result.isCached,
    url: tokenCallbackUrl(ctx.origin, result.waitpoint.friendlyId, env.apiKey),
  };
}

function failTimeout(value: string): never {
  throw new PlatformError(`timeout: "${value}" is not a duration like 10m or 1h, nor a date`);
}

export async function waitForToken(ctx: EngineContext, env: ProjectEnvironment, runFriendlyId: string, tokenFriendlyId: string) {
  const effects = noEffects();
  await ctx.db.transaction(async (tx) => {
    const run = await runOf(tx, env, runFriendlyId);
    const token = await tokenOf(tx, env.id, tokenFriendlyId);
    await blockRun(tx, effects, run.id, [token.id]);
  });
  ctx.notifier.publish(effects);
  return { success: true };
}

export async function completeToken(ctx: EngineContext, environmentId: string, tokenFriendlyId: string, data: unknown) {
  const effects = noEffects();
  await ctx.db.transaction(async (tx) => {
    const token = await tokenOf(tx, environmentId, tokenFriendlyId);
    await completeWaitpoint(tx, effects, token.id, {
      output: data === undefined || data === null ? null : JSON.stringify(data),
      outputType: "application/json",
      isError: false,
    });
  });
  ctx.notifier.publish(effects);
  return { success: true as const };
}

export async function tokenOf(tx: DatabaseOrTransaction, environmentId: string, friendlyId: string): Promise<Waitpoint> {
  const [token] = await tx
    .select()
    .from(waitpoints)
    .where(and(eq(waitpoints.id, internalId(friendlyId)), eq(waitpoints.environmentId, environmentId)));
  if (!token || token.type !== "MANUAL") throw new PlatformError(`No waitpoint token ${friendlyId}`, 404);
  return token;
}

/** DATETIME waits coming due complete with nothing; a token timing out completes with a timeout error. */
export function dueWaitsDueWork(ctx: EngineContext): DueWork {
  const { db } = ctx;
  return {
    name: "waits and token timeouts",
    nextDue: () =>
      earliest(db, waitpoints, waitpoints.completeAfter, and(eq(waitpoints.status, "PENDING"), isNotNull(waitpoints.completeAfter))),
    run: async () => {
      const due = await db
        .select()
        .from(waitpoints)
        .where(and(eq(waitpoints.status, "PENDING"), lte(waitpoints.completeAfter, sql`now()`)))
        .orderBy(asc(waitpoints.completeAfter))
        .limit(DUE_BATCH);
      for (const waitpoint of due) {
        const effects = noEffects();
        await db.transaction((tx) =>
          completeWaitpoint(
            tx,
            effects,
            waitpoint.id,
            waitpoint.type === "MANUAL"
              ? {
                  output: JSON.stringify({
                    message: `Waitpoint timed out at ${waitpoint.completeAfter?.toISOString()}`,
                    name: WAITPOINT_TIMEOUT_ERROR_CODE,
                  }),
                  outputType: "application/json",
                  isError: true,
                }
              : { output: null, outputType: null, isError: false },
          ),
        );
        ctx.notifier.publish(effects);
      }
    },
  };
}
