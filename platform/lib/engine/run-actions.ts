// What can be done to an existing run: cancel it (and its unfinished descendants), replay it as a new run,
// reschedule a delayed one, add tags, and reset an idempotency key so the next trigger with it runs anew.
import { and, eq, sql } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../db/client";
import { runs, type Run } from "../db/schema";
import type { ProjectEnvironment } from "../environments";
import { leaseFromNow, type EngineContext } from "./engine-context";
import { CANCEL_ERROR, finishRun } from "./finish-run";
import { noEffects, type Effects } from "./run-notifier";
import { holdsSlot, isFinal, isInAttempt } from "./run-statuses";
import { lockRun, writeSnapshot } from "./snapshots";
import { MAX_TAGS, parseDelay, triggerRun, type TriggerBody } from "./trigger-run";
import { PlatformError } from "../platform-error";

/**
 * Cancels the run and every unfinished run below it. One that is not running ends at once. One in an attempt
 * (executing, or waiting inside it) is cancelled in two steps, as on Trigger.dev: now it is CANCELED (its slot is free, its parent
 * does not resume it) under a PENDING_CANCEL snapshot, which tells the CLI to stop it — the task's onCancel
 * hooks run, then its attempt completes — and that completion finishes it (FINISHED, completedAt, whoever
 * waits is told). A CLI that never answers: the run's lease runs out and the cancel is finished all the same.
 */
export async function cancelRun(ctx: EngineContext, run: Run): Promise<void> {
  const effects = noEffects();
  await ctx.db.transaction((tx) => cancelRunWithin(ctx, tx, effects, run));
  ctx.notifier.publish(effects);
}

/** cancelRun inside the caller's transaction (a bulk action's chunk); false when the run itself had already finished. */
export async function cancelRunWithin(ctx: EngineContext, tx: DatabaseOrTransaction, effects: Effects, run: Run): Promise<boolean> {
  let cancelled = false;
  for (const id of [run.id, ...(await descendants(tx, run.id))]) {
    const locked = await lockRun(tx, id);
    if (!locked || isFinal(locked.status)) continue;
    if (isInAttempt(locked.status)) await requestCancel(ctx, tx, effects, locked);
    else {
      // Handed to a CLI but not started (DEQUEUED): no process, no hooks to run; it ends now, and the CLI,
      // told so, drops it before it starts.
      if (holdsSlot(locked.status)) await writeSnapshot(tx, locked, "PENDING_CANCEL", "Run was cancelled");
      await finishRun(ctx, tx, effects, locked, { status: "CANCELED", error: CANCEL_ERROR });
    }
    if (id === run.id) cancelled = true;
  }
  return cancelled;
}

async function requestCancel(ctx: EngineContext, tx: DatabaseOrTransaction, effects: Effects, run: Run): Promise<void> {
  const [cancelled] = await tx
    .update(runs)
    .set({
      status: "CANCELED",
      error: CANCEL_ERROR,
      availableAt: null,
      // The CLI has a heartbeat's time to stop it; then the lease runs out and the cancel is finished.
      leaseUntil: leaseFromNow(ctx),
      updatedAt: sql`now()`,
    })
    .where(eq(runs.id, run.id))
    .returning();
  await writeSnapshot(tx, cancelled!, "PENDING_CANCEL", "Run was cancelled");
  effects.notifyRuns.add(run.friendlyId);
  effects.wakeEnvironments.add(run.environmentId); // its slot is free
  effects.timers.push(new Date(Date.now() + ctx.options.heartbeatTimeoutMs));
}

async function descendants(tx: DatabaseOrTransaction, runId: string): Promise<string[]> {
  const rows = (await tx.execute(sql`
    WITH RECURSIVE tree AS (
      SELECT id FROM trigger_platform.runs WHERE parent_run_id = ${runId}
      UNION ALL
      SELECT r.id FROM trigger_platform.runs r JOIN tree t ON r.parent_run_id = t.id
    ) SELECT id FROM tree`)) as unknown as { id: string }[];
  return rows.map((r) => r.id);
}

/** What a replay may change (ReplayRunRequestBody): the rest is the original run's. */
export type ReplayOptions = {
  payload?: unknown;
  payloadType?: string;
  metadata?: Record<string, unknown>;
  tags?: string | string[];
  queue?: string;
  concurrencyKey?: string;
} & Partial<
  Pick<
    NonNullable<TriggerBody["options"]>,
    "delay" | "ttl" | "idempotencyKey" | "idempotencyKeyTTL" | "maxAttempts" | "maxDuration" | "machine" | "priority"
  >
>;

/** The trigger options a replay passes on as given (Trigger.dev's ReplayTaskRunService does the same). */
const REPLAY_PASSED_ON = ["delay", "ttl", "idempotencyKey", "idempotencyKeyTTL", "maxDuration", "machine", "priority"] as const;
/** Every trigger option a replay takes (maxAttempts falls back to the original run's). */
export const REPLAY_TRIGGER_OPTIONS = [...REPLAY_PASSED_ON, "maxAttempts"] as const;

/** A new run of the same task with the same (or an edited) payload; the original is untouched. */
export async function replayRun(ctx: EngineContext, env: ProjectEnvironment, run: Run, options: ReplayOptions): Promise<Run> {
  const effects = noEffects();
  const replay = await ctx.db.transaction((tx) => replayRunWithin(ctx, tx, effects, env, run, options));
  ctx.notifier.publish(effects);
  return replay;
}

/** replayRun inside the caller's transaction (a bulk action's chunk). */
export async function replayRunWithin(
  ctx: EngineContext,
  tx: DatabaseOrTransaction,
  effects: Effects,
  env: ProjectEnvironment,
  run: Run,
  options: ReplayOptions,
): Promise<Run> {
  // The original is held until the replay commits: the retention sweep skips a locked run, so neither it nor the
  // stored payload the replay shares with it can be deleted in between. FOR KEY SHARE blocks no update of it.
  const held = await tx.execute<{ id: string }>(sql`SELECT id FROM trigger_platform.runs WHERE id = ${run.id} FOR KEY SHARE`);
  if (held.length === 0) throw new PlatformError(`Run ${run.friendlyId} no longer exists (retention deleted it)`, 404);
  const payloadGiven = options.payload !== undefined;
  const body: TriggerBody = {
    payload: payloadGiven
      ? typeof options.payload === "string" && options.payloadType === "application/super+json"
        ? options.payload
        : JSON.stringify(options.payload)
      : run.payload,
    options: {
      payloadType: payloadGiven ? (options.payloadType ?? "application/json") : run.payloadType,
      tags: options.tags ?? run.tags,
      ...(options.metadata
        ? { metadata: JSON.stringify(options.metadata), metadataType: "application/json" }
        : run.metadata
          ? { metadata: run.metadata, metadataType: run.metadataType }
          : {}),
      queue: { name: options.queue ?? run.queue },
      ...((options.concurrencyKey ?? run.concurrencyKey) ? { concurrencyKey: options.concurrencyKey ?? run.concurrencyKey! } : {}),
      ...((options.maxAttempts ?? run.maxAttempts) ? { maxAttempts: options.maxAttempts ?? run.maxAttempts! } : {}),
      ...Object.fromEntries(REPLAY_PASSED_ON.filter((name) => options[name] !== undefined).map((name) => [name, options[name]])),
      test: run.isTest,
    },
  };
  const { run: created } = await triggerRun(ctx, tx, effects, env.id, run.taskIdentifier, body);
  const [marked] = await tx.update(runs).set({ replayedFromId: run.id }).where(eq(runs.id, created.id)).returning();
  return marked!;
}

/** Moves a delayed run's start; only a run still DELAYED can be rescheduled. */
export async function rescheduleRun(ctx: EngineContext, run: Run, delay: string | Date): Promise<Run> {
  const until = parseDelay(delay, "delay", new Date())!;
  const effects = noEffects();
  const updated = await ctx.db.transaction(async (tx) => {
    const locked = await lockRun(tx, run.id);
    if (!locked || locked.status !== "DELAYED")
      throw new PlatformError(`Run ${run.friendlyId} is not delayed (it is ${locked?.status}); only a delayed run can be rescheduled`);
    const [moved] = await tx
      .update(runs)
      .set({ delayUntil: until, availableAt: until, updatedAt: sql`now()` })
      .where(eq(runs.id, run.id))
      .returning();
    await writeSnapshot(tx, moved!, "DELAYED", `Rescheduled to ${until.toISOString()}`);
    effects.timers.push(until);
    return moved!;
  });
  ctx.notifier.publish(effects);
  return updated;
}

export async function addTags(ctx: EngineContext, run: Run, tags: string[]): Promise<string[]> {
  const merged = [...new Set([...run.tags, ...tags])];
  if (merged.length > MAX_TAGS) throw new PlatformError(`tags: a run has at most ${MAX_TAGS} tags (this would make ${merged.length})`);
  await ctx.db
    .update(runs)
    .set({ tags: merged, updatedAt: sql`now()` })
    .where(eq(runs.id, run.id));
  return merged;
}

/** Frees an idempotency key: the runs that held it keep existing; the next trigger with it starts fresh. */
export async function resetIdempotencyKey(
  ctx: EngineContext,
  env: ProjectEnvironment,
  taskIdentifier: string,
  key: string,
): Promise<number> {
  const cleared = await ctx.db
    .update(runs)
    .set({ idempotencyKey: null, idempotencyKeyExpiresAt: null, updatedAt: sql`now()` })
    .where(and(eq(runs.environmentId, env.id), eq(runs.taskIdentifier, taskIdentifier), eq(runs.idempotencyKey, key)))
    .returning({ id: runs.id });
  return cleared.length;
}
