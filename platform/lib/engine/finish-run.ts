// The one way a run ends (completed, failed, crashed, expired, timed out, cancelled): final status, a
// FINISHED snapshot, and whoever waits for it (a parent, a batch) is told. A run that did not succeed gives
// up its idempotency key, so the same key can start a fresh run; a completed or cancelled one keeps it.
import { and, eq, sql, type SQL } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../db/client";
import { batchItems, batches, runs, waitpoints, type Run, type Snapshot } from "../db/schema";
import { enqueueAlerts } from "./alerts";
import type { EngineContext } from "./engine-context";
import type { Effects } from "./run-notifier";
import { jsonParam } from "./row-mapping";
import type { EngineStatus } from "./run-statuses";
import { changeRunWithSnapshot, latestSnapshot } from "./snapshots";
import { completeWaitpoint, runOutput } from "./waitpoints";

export type Ending = {
  status: Extract<
    EngineStatus,
    "COMPLETED_SUCCESSFULLY" | "COMPLETED_WITH_ERRORS" | "CRASHED" | "SYSTEM_FAILURE" | "EXPIRED" | "TIMED_OUT" | "CANCELED"
  >;
  output?: string | null;
  outputType?: string | null;
  error?: Record<string, unknown>;
  /** The runner reported this ending (its attempt completed) and learns the FINISHED snapshot from the
   *  answer: it is not sent run:notify, which would only make it fetch the snapshot again. */
  reportedByRunner?: boolean;
};

const KEEPS_KEY: Ending["status"][] = ["COMPLETED_SUCCESSFULLY", "CANCELED"];

export const CANCEL_ERROR = { type: "STRING_ERROR", raw: "Run was cancelled" };

/** A pending cancel (run-actions.ts): CANCELED, its CLI not yet done stopping it. */
export const isCancelPending = (run: Run) => run.status === "CANCELED" && run.completedAt === null;

/** Finishes a pending cancel: its CLI stopped the run (or never answered). */
export function finishCancel(ctx: EngineContext, tx: DatabaseOrTransaction, effects: Effects, run: Run, reportedByRunner: boolean) {
  return finishRun(ctx, tx, effects, run, { status: "CANCELED", error: run.error ?? CANCEL_ERROR, reportedByRunner });
}

export async function finishRun(
  ctx: EngineContext,
  tx: DatabaseOrTransaction,
  effects: Effects,
  run: Run,
  ending: Ending,
  /** CTEs for the same statement (see changeRunWithSnapshot): the attempt's own end, when one ends the run. */
  alsoWith?: SQL,
): Promise<{ run: Run; snapshot: Snapshot }> {
  // Ended already. (A pending cancel is CANCELED without completedAt: this is what finishes it.)
  if (run.completedAt) return { run, snapshot: await latestSnapshot(tx, run.id) };
  const releasesKey = !KEEPS_KEY.includes(ending.status);
  const finished = await changeRunWithSnapshot(
    tx,
    run.id,
    sql`status = ${ending.status}, output = ${ending.output ?? null}, output_type = ${ending.outputType ?? null}, error = ${jsonParam(ending.error)}::jsonb,
        completed_at = now(), available_at = NULL, lease_until = NULL, updated_at = now(),
        idempotency_key = CASE WHEN ${releasesKey} THEN NULL ELSE idempotency_key END,
        idempotency_key_expires_at = CASE WHEN ${releasesKey} THEN NULL ELSE idempotency_key_expires_at END`,
    "FINISHED",
    `Run ended: ${ending.status}`,
    { withWaiters: true, ...(alsoWith ? { alsoWith } : {}) },
  );
  if (!ending.reportedByRunner) effects.notifyRuns.add(run.friendlyId);
  effects.finishedRuns.push(finished.run);
  await enqueueAlerts(ctx, tx, effects, finished.run);
  if (finished.runWaitpointId) await completeWaitpoint(tx, effects, finished.runWaitpointId, runOutput(finished.run));
  // Every batch it is an item of (the one that made it, and any whose item's key named it).
  for (const batchId of finished.batchIds) await settleBatchIfDone(tx, effects, batchId);
  return { run: finished.run, snapshot: finished.snapshot };
}

/**
 * A batch is done when every one of its runs is; its BATCH waitpoint (if any) completes then. Only a
 * batch someone waits for is settled here, on each run's end; for the others "completed" is worked out
 * when the batch is read, so a thousand-run batch is not a thousand-way lock on one row.
 */
export async function settleBatchIfDone(tx: DatabaseOrTransaction, effects: Effects, batchId: string): Promise<void> {
  const [waited] = await tx.execute<{ id: string }>(
    sql`SELECT id FROM trigger_platform.batches WHERE id = ${batchId} AND resume_parent_on_completion`,
  );
  if (!waited) return;
  const [batch] = await tx.select().from(batches).where(eq(batches.id, batchId)).for("update");
  if (!batch || batch.status === "COMPLETED") return;
  const [{ done } = { done: 0 }] = await tx
    .select({ done: sql<number>`count(*) filter (where ${runs.completedAt} is not null)::int` })
    .from(batchItems)
    .innerJoin(runs, eq(runs.id, batchItems.runId))
    .where(eq(batchItems.batchId, batchId));
  if (done < batch.expectedCount) return;
  await tx
    .update(batches)
    .set({ status: "COMPLETED", completedAt: sql`now()` })
    .where(eq(batches.id, batchId));
  const [batchWaitpoint] = await tx
    .select()
    .from(waitpoints)
    .where(and(eq(waitpoints.type, "BATCH"), eq(waitpoints.completedByBatchId, batchId)));
  if (batchWaitpoint) await completeWaitpoint(tx, effects, batchWaitpoint.id, { output: null, outputType: null, isError: false });
}
