// The one way a run ends (completed, failed, crashed, expired, timed out, cancelled): final status, a
// FINISHED snapshot, and whoever waits for it (a parent, a batch) is told. A run that did not succeed gives
// up its idempotency key, so the same key can start a fresh run; a completed or cancelled one keeps it.
import { and, eq, sql } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../../../db/client";
import { batches, runs, waitpoints, type Run } from "../../../db/schema";
import type { PlatformContext } from "../platform-context";
import type { Effects } from "./run-notifier";
import { isFinal, writeSnapshot, type EngineStatus } from "./snapshots";
import { completeWaitpoint, runOutput } from "./waitpoints";

export type Ending = {
  status: Extract<EngineStatus, "COMPLETED_SUCCESSFULLY" | "COMPLETED_WITH_ERRORS" | "CRASHED" | "SYSTEM_FAILURE" | "EXPIRED" | "TIMED_OUT" | "CANCELED">;
  output?: string | null;
  outputType?: string | null;
  error?: Record<string, unknown>;
};

const KEEPS_KEY: Ending["status"][] = ["COMPLETED_SUCCESSFULLY", "CANCELED"];

export async function finishRun(_ctx: PlatformContext, tx: DatabaseOrTransaction, effects: Effects, run: Run, ending: Ending): Promise<Run> {
  if (isFinal(run.status)) return run;
  const [finished] = await tx
    .update(runs)
    .set({
      status: ending.status,
      output: ending.output ?? null,
      outputType: ending.outputType ?? null,
      error: ending.error ?? null,
      completedAt: sql`now()`,
      availableAt: null,
      leaseUntil: null,
      updatedAt: sql`now()`,
      ...(KEEPS_KEY.includes(ending.status) ? {} : { idempotencyKey: null, idempotencyKeyExpiresAt: null }),
    })
    .where(eq(runs.id, run.id))
    .returning();
  await writeSnapshot(tx, finished!, "FINISHED", `Run ended: ${ending.status}`);
  effects.notifyRuns.add(run.friendlyId);

  const [waitpoint] = await tx.select().from(waitpoints).where(and(eq(waitpoints.type, "RUN"), eq(waitpoints.completedByRunId, run.id)));
  if (waitpoint) await completeWaitpoint(tx, effects, waitpoint.id, runOutput(finished!));
  if (finished!.batchId) await settleBatchIfDone(tx, effects, finished!.batchId);
  return finished!;
}

/**
 * A batch is done when every one of its runs is; its BATCH waitpoint (if any) completes then. Only a
 * batch someone waits for is settled here, on each run's end; for the others "completed" is worked out
 * when the batch is read, so a thousand-run batch is not a thousand-way lock on one row.
 */
async function settleBatchIfDone(tx: DatabaseOrTransaction, effects: Effects, batchId: string): Promise<void> {
  const [waited] = await tx.select({ id: batches.id }).from(batches).where(and(eq(batches.id, batchId), eq(batches.resumeParentOnCompletion, true)));
  if (!waited) return;
  const [batch] = await tx.select().from(batches).where(eq(batches.id, batchId)).for("update");
  if (!batch || batch.status === "COMPLETED") return;
  const [{ done } = { done: 0 }] = await tx
    .select({ done: sql<number>`count(*) filter (where ${runs.completedAt} is not null)::int` })
    .from(runs)
    .where(eq(runs.batchId, batchId));
  if (done < batch.expectedCount) return;
  await tx.update(batches).set({ status: "COMPLETED", completedAt: sql`now()` }).where(eq(batches.id, batchId));
  const [batchWaitpoint] = await tx.select().from(waitpoints).where(and(eq(waitpoints.type, "BATCH"), eq(waitpoints.completedByBatchId, batchId)));
  if (batchWaitpoint) await completeWaitpoint(tx, effects, batchWaitpoint.id, { output: null, outputType: null, isError: false });
}
