// Triggering a run, with Trigger.dev's options: idempotency keys (30 days unless idempotencyKeyTTL; a
// cached run is returned instead of a new one), delay, ttl, tags, metadata, queue and concurrencyKey,
// maxAttempts, maxDuration, test, and a parent to resume (triggerAndWait / batchTriggerAndWait).
import { parseNaturalLanguageDurationInMs } from "@trigger.dev/core/v3/isomorphic";
import type { TriggerTaskRequestBody } from "@trigger.dev/core/v3/schemas";
import { and, eq, lt, sql } from "drizzle-orm";
import type { z } from "zod";
import type { DatabaseOrTransaction } from "../../../db/client";
import { runs, type Run } from "../../../db/schema";
import { newIds, newSpanId, newTraceId, internalId } from "../ids";
import type { PlatformContext } from "../platform-context";
import type { Effects } from "./run-notifier";
import { writeSnapshot } from "./snapshots";
import { blockRun, runWaitpointFor } from "./waitpoints";
import { currentWorker, defaultQueueName } from "./workers";
import { PlatformError } from "../platform-error";

export type TriggerBody = z.output<typeof TriggerTaskRequestBody>;
export type TriggerOutcome = { run: Run; isCached: boolean };

const IDEMPOTENCY_TTL_MS = 30 * 24 * 3600 * 1000;
const MAX_TAGS = 10;


/** Parses Trigger.dev's duration strings ("30s", "1h30m", "2d") or a date; throws a PlatformError naming the option. */
export function parseDelay(value: string | Date | undefined, option: string, now: Date): Date | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date) return value;
  const asDate = new Date(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(asDate.getTime())) return asDate;
  const ms = parseNaturalLanguageDurationInMs(value);
  if (ms === undefined) throw new PlatformError(`${option}: "${value}" is not a duration like 30s, 10m, 1h30m or 2d, nor a date`);
  return new Date(now.getTime() + ms);
}

function ttlMs(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number") return value * 1000;
  const ms = parseNaturalLanguageDurationInMs(value);
  if (ms === undefined) throw new PlatformError(`ttl: "${value}" is not a duration like 10m or 1h`);
  return ms;
}

export async function triggerRun(
  ctx: PlatformContext,
  tx: DatabaseOrTransaction,
  effects: Effects,
  environmentId: string,
  taskIdentifier: string,
  body: TriggerBody,
  batch?: { batchId: string; index: number },
): Promise<TriggerOutcome> {
  const options = body.options ?? {};
  const now = new Date();
  const tags = options.tags === undefined ? [] : Array.isArray(options.tags) ? options.tags : [options.tags];
  if (tags.length > MAX_TAGS) throw new PlatformError(`tags: at most ${MAX_TAGS} tags per run (got ${tags.length})`);

  const parent = options.parentRunId
    ? (await tx.select().from(runs).where(and(eq(runs.id, internalId(options.parentRunId)), eq(runs.environmentId, environmentId))))[0]
    : undefined;
  if (options.parentRunId && !parent) throw new PlatformError(`parentRunId: no run ${options.parentRunId}`, 404);

  const key = options.idempotencyKey;
  if (key) {
    // An expired key no longer holds: its run keeps existing, but gives the key up.
    await tx
      .update(runs)
      .set({ idempotencyKey: null })
      .where(and(eq(runs.environmentId, environmentId), eq(runs.taskIdentifier, taskIdentifier), eq(runs.idempotencyKey, key), lt(runs.idempotencyKeyExpiresAt, now)));
    const cached = await findByIdempotencyKey(tx, environmentId, taskIdentifier, key);
    if (cached) return resumeParentWith(tx, effects, cached, parent, options.resumeParentOnCompletion, batch, true);
  }

  const worker = await currentWorker(ctx, environmentId);
  const task = worker?.tasks.get(taskIdentifier);
  const delayUntil = parseDelay(options.delay, "delay", now);
  const ttl = ttlMs(options.ttl ?? task?.ttl);
  const { id, friendlyId } = newIds("run");
  const traceContext = (body.context as { traceparent?: string } | undefined) ?? {};
  const [inserted] = await tx
    .insert(runs)
    .values({
      id,
      friendlyId,
      environmentId,
      taskIdentifier,
      status: delayUntil && delayUntil > now ? "DELAYED" : "PENDING",
      payload: typeof body.payload === "string" ? body.payload : body.payload === undefined ? null : JSON.stringify(body.payload),
      payloadType: options.payloadType ?? "application/json",
      idempotencyKey: key ?? null,
      idempotencyKeyExpiresAt: key ? new Date(now.getTime() + (options.idempotencyKeyTTL ? (parseNaturalLanguageDurationInMs(options.idempotencyKeyTTL) ?? IDEMPOTENCY_TTL_MS) : IDEMPOTENCY_TTL_MS)) : null,
      idempotencyKeyOptions: options.idempotencyKeyOptions ?? (key ? { key, scope: "global" } : null),
      tags,
      metadata: options.metadata === undefined ? null : typeof options.metadata === "string" ? options.metadata : JSON.stringify(options.metadata),
      metadataType: options.metadataType ?? "application/json",
      queue: options.queue?.name ?? defaultQueueName(task, taskIdentifier),
      concurrencyKey: options.concurrencyKey ?? null,
      maxAttempts: options.maxAttempts ?? null,
      maxDurationSeconds: options.maxDuration ?? task?.maxDuration ?? null,
      delayUntil: delayUntil ?? null,
      ttl: options.ttl === undefined ? null : String(options.ttl),
      expireAt: ttl ? new Date((delayUntil ?? now).getTime() + ttl) : null,
      availableAt: delayUntil ?? now,
      lockedToWorkerId: options.lockToVersion ? (worker?.version === options.lockToVersion ? worker.id : null) : null,
      parentRunId: parent?.id ?? null,
      rootRunId: parent ? (parent.rootRunId ?? parent.id) : null,
      depth: parent ? parent.depth + 1 : 0,
      resumeParentOnCompletion: Boolean(parent && options.resumeParentOnCompletion),
      batchId: batch?.batchId ?? null,
      batchIndex: batch?.index ?? null,
      isTest: options.test ?? false,
      traceContext,
      traceId: traceIdOf(traceContext.traceparent) ?? newTraceId(),
      spanId: newSpanId(),
    })
    .onConflictDoNothing()
    .returning();

  if (!inserted) {
    // Another trigger with the same key won the race: that run is the answer.
    const cached = await findByIdempotencyKey(tx, environmentId, taskIdentifier, key!);
    return resumeParentWith(tx, effects, cached!, parent, options.resumeParentOnCompletion, batch, true);
  }
  await writeSnapshot(tx, inserted, inserted.status === "DELAYED" ? "DELAYED" : "QUEUED", inserted.status === "DELAYED" ? `Delayed until ${delayUntil!.toISOString()}` : "Run was queued");
  effects.wakeEnvironments.add(environmentId);
  if (delayUntil) effects.timers.push(delayUntil);
  if (inserted.expireAt) effects.timers.push(inserted.expireAt);
  return resumeParentWith(tx, effects, inserted, parent, options.resumeParentOnCompletion, batch, false);
}

async function findByIdempotencyKey(tx: DatabaseOrTransaction, environmentId: string, taskIdentifier: string, key: string): Promise<Run | undefined> {
  const [row] = await tx.select().from(runs).where(and(eq(runs.environmentId, environmentId), eq(runs.taskIdentifier, taskIdentifier), eq(runs.idempotencyKey, key)));
  return row;
}

/** With triggerAndWait, the parent waits for the child (new or cached) from this moment on. */
async function resumeParentWith(
  tx: DatabaseOrTransaction,
  effects: Effects,
  child: Run,
  parent: Run | undefined,
  resumeParent: boolean | undefined,
  batch: { batchId: string; index: number } | undefined,
  isCached: boolean,
): Promise<TriggerOutcome> {
  if (parent && resumeParent && !batch) {
    const waitpoint = await runWaitpointFor(tx, child);
    await blockRun(tx, effects, parent.id, [waitpoint.id]);
  }
  return { run: child, isCached };
}

/** The trace id inside a W3C traceparent ("00-<trace>-<span>-01"). */
function traceIdOf(traceparent: string | undefined): string | undefined {
  const parts = traceparent?.split("-");
  return parts && parts.length === 4 && parts[1]?.length === 32 ? parts[1] : undefined;
}

/** Clears a failed run's idempotency key, so the same key can trigger a fresh run. */
export async function releaseIdempotencyKey(tx: DatabaseOrTransaction, runId: string): Promise<void> {
  await tx.update(runs).set({ idempotencyKey: null, idempotencyKeyExpiresAt: null, updatedAt: sql`now()` }).where(eq(runs.id, runId));
}
