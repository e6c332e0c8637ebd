// Triggering a run, with Trigger.dev's options: idempotency keys (30 days unless idempotencyKeyTTL; a
// cached run is returned instead of a new one), delay, ttl, tags, metadata, queue and concurrencyKey,
// maxAttempts, maxDuration, test, and a parent to resume (triggerAndWait / batchTriggerAndWait).
import { parseNaturalLanguageDurationInMs } from "@trigger.dev/core/v3/isomorphic";
import type { TriggerTaskRequestBody } from "@trigger.dev/core/v3/schemas";
import { eq, sql } from "drizzle-orm";
import type { z } from "zod";
import type { DatabaseOrTransaction } from "../db/client";
import { runs, spentPublicTokens, type Run } from "../db/schema";
import { newIds, newSpanId, newTraceId, internalId } from "../ids";
import type { EngineContext } from "./engine-context";
import { noEffects, type Effects } from "./run-notifier";
import { jsonParam, selectRow, timestampParam } from "./row-mapping";
import { debounceWindow, pushDebouncedRun } from "./debounce";
import { payloadText, tagsOf } from "./trigger-body";
import { insertSnapshotFrom } from "./snapshots";
import { blockRun, refreshBlockedRun, runWaitpointFor } from "./waitpoints";
import { checkLockedVersion, currentWorker, defaultQueueName, workerByVersion } from "./workers";
import { PlatformError } from "../platform-error";

export type TriggerBody = z.output<typeof TriggerTaskRequestBody>;
export type TriggerOutcome = { run: Run; isCached: boolean };

const IDEMPOTENCY_TTL_MS = 30 * 24 * 3600 * 1000;
/** The most tags a run may have (Trigger.dev's limit). */
export const MAX_TAGS = 10;

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
  ctx: EngineContext,
  tx: DatabaseOrTransaction,
  effects: Effects,
  environmentId: string,
  taskIdentifier: string,
  body: TriggerBody,
  batch?: { batchId: string; index: number },
): Promise<TriggerOutcome> {
  const options = body.options ?? {};
  const now = new Date();
  const tags = tagsOf(options) ?? [];
  if (tags.length > MAX_TAGS) throw new PlatformError(`tags: at most ${MAX_TAGS} tags per run (got ${tags.length})`);

  // A parent that will wait for this run (triggerAndWait) is locked now: it is blocked at the end of this
  // transaction, and nothing here changes it before.
  const blocksParent = Boolean(options.parentRunId && options.resumeParentOnCompletion && !batch);
  const parent = options.parentRunId
    ? await selectRow(
        tx,
        runs,
        sql`SELECT * FROM trigger_platform.runs WHERE id = ${internalId(options.parentRunId)} AND environment_id = ${environmentId}
            ${blocksParent ? sql`FOR UPDATE` : sql``}`,
      )
    : undefined;
  if (options.parentRunId && !parent) throw new PlatformError(`parentRunId: no run ${options.parentRunId}`, 404);

  const key = options.idempotencyKey;
  if (key) {
    // An expired key no longer holds: its run keeps existing, but gives the key up (in the same round trip as
    // the lookup, which sees the rows as they were before it, so it leaves out the run that gave it up).
    const cached = await selectRow(
      tx,
      runs,
      sql`WITH expired AS (UPDATE trigger_platform.runs SET idempotency_key = NULL
                            WHERE environment_id = ${environmentId} AND task_identifier = ${taskIdentifier} AND idempotency_key = ${key}
                              AND idempotency_key_expires_at < ${timestampParam(now)} RETURNING id)
          SELECT * FROM trigger_platform.runs
           WHERE environment_id = ${environmentId} AND task_identifier = ${taskIdentifier} AND idempotency_key = ${key}
             AND id NOT IN (SELECT id FROM expired)`,
    );
    if (cached) return resumeParentWith(tx, effects, cached, parent, options.resumeParentOnCompletion, batch, true);
  }

  const debounce = options.debounce ? debounceWindow(options.debounce) : undefined;
  if (debounce) {
    const pushed = await pushDebouncedRun(tx, effects, environmentId, taskIdentifier, body, debounce, now);
    if (pushed) return resumeParentWith(tx, effects, pushed, parent, options.resumeParentOnCompletion, batch, false);
  }

  const worker = await currentWorker(ctx, environmentId);
  const lockedWorker = options.lockToVersion ? await workerByVersion(ctx, environmentId, options.lockToVersion) : undefined;
  if (options.lockToVersion && !lockedWorker)
    throw new PlatformError(`Task locked to version '${options.lockToVersion}', but no worker found with that version.`, 404);
  if (lockedWorker) checkLockedVersion(lockedWorker, taskIdentifier, options.queue?.name);
  const task = (lockedWorker ?? worker)?.tasks.get(taskIdentifier);
  const delayUntil =
    debounce && options.delay === undefined ? new Date(now.getTime() + debounce.delayMs) : parseDelay(options.delay, "delay", now);
  const ttl = ttlMs(options.ttl ?? task?.ttl);
  const { id, friendlyId } = newIds("run");
  const traceContext = (body.context as { traceparent?: string } | undefined) ?? {};
  const status = delayUntil && delayUntil > now ? "DELAYED" : "PENDING";
  const idempotencyTtlMs = options.idempotencyKeyTTL
    ? (parseNaturalLanguageDurationInMs(options.idempotencyKeyTTL) ?? IDEMPOTENCY_TTL_MS)
    : IDEMPOTENCY_TTL_MS;
  const firstSnapshot =
    status === "DELAYED"
      ? insertSnapshotFrom(sql`inserted`, "DELAYED", `Delayed until ${delayUntil!.toISOString()}`)
      : insertSnapshotFrom(sql`inserted`, "QUEUED", "Run was queued");
  // A new run that a parent waits for gets its RUN waitpoint, and the parent's wait on it, in the same statement.
  const waitpoint = blocksParent && parent ? newIds("waitpoint") : undefined;
  const parentWaits =
    waitpoint && parent
      ? sql`, waitpoint AS (INSERT INTO trigger_platform.waitpoints (id, friendly_id, environment_id, type, completed_by_run_id)
                           SELECT ${waitpoint.id}, ${waitpoint.friendlyId}, environment_id, 'RUN', id FROM inserted RETURNING id),
              waits AS (INSERT INTO trigger_platform.run_waitpoints (run_id, waitpoint_id) SELECT ${parent.id}, id FROM waitpoint)`
      : sql``;
  // The run and its first snapshot in one statement: one round trip per trigger.
  const inserted = await selectRow(
    tx,
    runs,
    sql`WITH inserted AS (INSERT INTO trigger_platform.runs (
          id, friendly_id, environment_id, task_identifier, status, payload, payload_type,
          idempotency_key, idempotency_key_expires_at, idempotency_key_options, tags, metadata, metadata_type,
          queue, concurrency_key, max_attempts, max_duration_seconds, delay_until, ttl, expire_at, available_at,
          locked_to_worker_id, parent_run_id, root_run_id, depth, resume_parent_on_completion, batch_id, batch_index,
          is_test, trace_context, trace_id, span_id, priority_ms, debounce_key)
        VALUES (
          ${id}, ${friendlyId}, ${environmentId}, ${taskIdentifier}, ${status},
          ${payloadText(body)},
          ${options.payloadType ?? "application/json"},
          ${key ?? null}, ${timestampParam(key ? new Date(now.getTime() + idempotencyTtlMs) : null)},
          ${jsonParam(options.idempotencyKeyOptions ?? (key ? { key, scope: "global" } : null))}::jsonb,
          ARRAY(SELECT jsonb_array_elements_text(${jsonParam(tags)}::jsonb)),
          ${options.metadata === undefined ? null : typeof options.metadata === "string" ? options.metadata : JSON.stringify(options.metadata)},
          ${options.metadataType ?? "application/json"},
          ${options.queue?.name ?? defaultQueueName(task, taskIdentifier)}, ${options.concurrencyKey ?? null},
          ${options.maxAttempts ?? null}::int, ${options.maxDuration ?? task?.maxDuration ?? null}::int,
          ${timestampParam(delayUntil)}, ${options.ttl === undefined ? null : String(options.ttl)},
          ${timestampParam(ttl ? new Date((delayUntil ?? now).getTime() + ttl) : null)}, ${timestampParam(delayUntil ?? now)},
          ${lockedWorker?.id ?? null},
          ${parent?.id ?? null}, ${parent ? (parent.rootRunId ?? parent.id) : null}, ${parent ? parent.depth + 1 : 0},
          ${Boolean(parent && options.resumeParentOnCompletion)}, ${batch?.batchId ?? null}, ${batch?.index ?? null}::int,
          ${options.test ?? false}, ${jsonParam(traceContext)}::jsonb, ${traceIdOf(traceContext.traceparent) ?? newTraceId()}, ${newSpanId()},
          ${priorityMs(options.priority)}::int, ${debounce?.key ?? null})
        ON CONFLICT DO NOTHING
        RETURNING *),
        snapshot AS (${firstSnapshot})
        ${parentWaits}
        SELECT * FROM inserted`,
  );

  if (!inserted) {
    // Another trigger with the same key won the race: that run is the answer (or, debounced, is pushed).
    const cached = key ? await findByIdempotencyKey(tx, environmentId, taskIdentifier, key) : undefined;
    const pushed =
      !cached && debounce ? await pushDebouncedRun(tx, effects, environmentId, taskIdentifier, body, debounce, now) : undefined;
    const answer = cached ?? pushed;
    if (!answer) throw new PlatformError(`Run of ${taskIdentifier} not made: a concurrent trigger took its key; try again`, 409);
    return resumeParentWith(tx, effects, answer, parent, options.resumeParentOnCompletion, batch, cached !== undefined);
  }
  effects.wakeEnvironments.add(environmentId);
  if (delayUntil) effects.timers.push(delayUntil);
  if (inserted.expireAt) effects.timers.push(inserted.expireAt);
  if (blocksParent && parent) await refreshBlockedRun(tx, effects, parent.id, parent);
  return { run: inserted, isCached: false };
}

async function findByIdempotencyKey(
  tx: DatabaseOrTransaction,
  environmentId: string,
  taskIdentifier: string,
  key: string,
): Promise<Run | undefined> {
  return selectRow(
    tx,
    runs,
    sql`SELECT * FROM trigger_platform.runs WHERE environment_id = ${environmentId} AND task_identifier = ${taskIdentifier} AND idempotency_key = ${key}`,
  );
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
    await blockRun(tx, effects, parent.id, [waitpoint.id], { locked: parent });
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
  await tx
    .update(runs)
    .set({ idempotencyKey: null, idempotencyKeyExpiresAt: null, updatedAt: sql`now()` })
    .where(eq(runs.id, runId));
}

const INT4_MAX = 2_147_483_647;

/** Priority in ms as the queue orders by it, clamped to what the column holds (as Trigger.dev clamps it). */
export const priorityMs = (priority: number | undefined) => Math.min(Math.max(Math.round((priority ?? 0) * 1000), -INT4_MAX - 1), INT4_MAX);

/** Marks a one-time-use token spent, in the transaction of what it triggers; a second use is a 422. */
export async function spendOneTimeToken(tx: DatabaseOrTransaction, digest: string | undefined, what: string): Promise<void> {
  if (!digest) return;
  const spent = await tx.insert(spentPublicTokens).values({ digest }).onConflictDoNothing().returning();
  if (spent.length === 0) throw new PlatformError(`Cannot ${what} with a one-time use token as it has already been used.`, 422);
}

/** A trigger from the API: committed, then published (the CLI's held dequeue wakes; a blocked parent waits). */
export async function triggerTask(
  ctx: EngineContext,
  environmentId: string,
  taskIdentifier: string,
  body: TriggerBody,
  oneTimeUseToken?: string,
): Promise<TriggerOutcome> {
  const effects = noEffects();
  // Without an idempotency key, a parent to block or a token to spend, a trigger is one statement.
  const simple = !body.options?.idempotencyKey && !body.options?.parentRunId && !body.options?.debounce && !oneTimeUseToken;
  const outcome = simple
    ? await triggerRun(ctx, ctx.db, effects, environmentId, taskIdentifier, body)
    : await ctx.db.transaction(async (tx) => {
        await spendOneTimeToken(tx, oneTimeUseToken, `trigger ${taskIdentifier}`);
        return triggerRun(ctx, tx, effects, environmentId, taskIdentifier, body);
      });
  ctx.notifier.publish(effects);
  return outcome;
}
