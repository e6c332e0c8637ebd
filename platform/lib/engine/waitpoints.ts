// Waitpoints: what a run waits for (another run, a batch, a time, a token). A run blocked by waitpoints
// shows EXECUTING_WITH_WAITPOINTS; when the last one completes it gets a new EXECUTING snapshot carrying the
// completed waitpoints, and the CLI is told at once, so the task process resumes.
import { and, eq, sql } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../db/client";
import { runWaitpoints, waitpoints, type Run, type Waitpoint } from "../db/schema";
import { newIds } from "../ids";
import type { Effects } from "./run-notifier";
import { isInAttempt } from "./run-statuses";
import { decodeRow, textArray } from "./row-mapping";
import { changeRunWithSnapshot, lockRun } from "./snapshots";

export type WaitpointOutput = { output: string | null; outputType: string | null; isError: boolean };

export async function createWaitpoint(
  tx: DatabaseOrTransaction,
  values: Pick<Waitpoint, "environmentId" | "type"> &
    Partial<
      Pick<Waitpoint, "completeAfter" | "completedByRunId" | "completedByBatchId" | "idempotencyKey" | "idempotencyKeyExpiresAt" | "tags">
    >,
): Promise<Waitpoint> {
  const { id, friendlyId } = newIds("waitpoint");
  const [row] = await tx
    .insert(waitpoints)
    .values({ id, friendlyId, ...values })
    .returning();
  return row!;
}

/** The waitpoint that completes when `child` finishes (made once per child, completed already if it has). */
export async function runWaitpointFor(tx: DatabaseOrTransaction, child: Run): Promise<Waitpoint> {
  const [existing] = await tx
    .select()
    .from(waitpoints)
    .where(and(eq(waitpoints.type, "RUN"), eq(waitpoints.completedByRunId, child.id)));
  if (existing) return existing;
  const waitpoint = await createWaitpoint(tx, { environmentId: child.environmentId, type: "RUN", completedByRunId: child.id });
  if (child.completedAt) {
    const done = await markCompleted(tx, waitpoint.id, runOutput(child));
    return done?.waitpoint ?? waitpoint;
  }
  return waitpoint;
}

/** What a finished run hands to whoever waits for it: its output, or its error as JSON. */
export function runOutput(run: Run): WaitpointOutput {
  if (run.status === "COMPLETED_SUCCESSFULLY")
    return { output: run.output, outputType: run.outputType ?? "application/json", isError: false };
  const error = run.error ?? { type: "STRING_ERROR", raw: `Run ended ${run.status}` };
  return { output: JSON.stringify(error), outputType: "application/json", isError: true };
}

/** Blocks `runId` on the waitpoints and brings its snapshot up to date (it may resume at once). */
export async function blockRun(
  tx: DatabaseOrTransaction,
  effects: Effects,
  runId: string,
  waitpointIds: string[],
  { batch, locked }: { batch?: { batchId: string; firstIndex: number }; locked?: Run } = {},
): Promise<void> {
  if (waitpointIds.length === 0) return;
  // Waiting again for a waitpoint already handed over (a retried attempt re-triggering the same keyed
  // child) re-arms it: this attempt needs its own resolution.
  await tx
    .insert(runWaitpoints)
    .values(
      waitpointIds.map((waitpointId, i) => ({
        runId,
        waitpointId,
        batchId: batch?.batchId ?? null,
        batchIndex: batch ? batch.firstIndex + i : null,
      })),
    )
    .onConflictDoUpdate({ target: [runWaitpoints.runId, runWaitpoints.waitpointId], set: { deliveredAt: null } });
  await refreshBlockedRun(tx, effects, runId, locked);
}

/** Completes a PENDING waitpoint (once), returning it and the runs it may unblock, in one round trip. */
async function markCompleted(
  tx: DatabaseOrTransaction,
  waitpointId: string,
  result: WaitpointOutput,
): Promise<{ waitpoint: Waitpoint; blockedRunIds: string[] } | undefined> {
  const [row] = await tx.execute<Record<string, unknown>>(
    sql`WITH done AS (UPDATE trigger_platform.waitpoints
                         SET status = 'COMPLETED', completed_at = now(), output = ${result.output}, output_type = ${result.outputType},
                             output_is_error = ${result.isError}
                       WHERE id = ${waitpointId} AND status = 'PENDING' RETURNING *)
        SELECT done.*, ARRAY(SELECT l.run_id FROM trigger_platform.run_waitpoints l WHERE l.waitpoint_id = done.id AND l.delivered_at IS NULL) AS blocked_run_ids
          FROM done`,
  );
  if (!row) return undefined;
  return { waitpoint: decodeRow(waitpoints, row), blockedRunIds: row.blocked_run_ids as string[] };
}

/** Completes a waitpoint once, and resumes every run it was the last thing blocking. */
export async function completeWaitpoint(
  tx: DatabaseOrTransaction,
  effects: Effects,
  waitpointId: string,
  result: WaitpointOutput,
): Promise<Waitpoint | undefined> {
  const done = await markCompleted(tx, waitpointId, result);
  if (!done) return undefined;
  for (const runId of done.blockedRunIds) await refreshBlockedRun(tx, effects, runId);
  return done.waitpoint;
}

/** A waitpoint not yet delivered to the run it blocks, with what completed it (a child run, in a batch or not). */
type OpenWaitpoint = {
  waitpoint: Waitpoint;
  batchIndex: number | null;
  child: { id: string; friendlyId: string } | null;
  batch: { id: string; friendlyId: string } | null;
};

/**
 * Puts a running run's snapshot in line with its waitpoints: any pending → EXECUTING_WITH_WAITPOINTS;
 * all completed → a new EXECUTING snapshot carrying them (each delivered once).
 */
export async function refreshBlockedRun(
  tx: DatabaseOrTransaction,
  effects: Effects,
  runId: string,
  /** The run, if this transaction locked it already (and has not changed it since). */
  locked?: Run,
): Promise<void> {
  const run = locked ?? (await lockRun(tx, runId));
  if (!run || !isInAttempt(run.status)) return;
  // Read in a statement of its own once the lock is held, so it sees whatever the lock's last holder committed.
  const [state] = await tx.execute<{
    latest: string;
    open: (Omit<OpenWaitpoint, "waitpoint"> & { waitpoint: Record<string, unknown> })[] | null;
  }>(
    sql`SELECT (SELECT execution_status FROM trigger_platform.snapshots WHERE run_id = ${runId} ORDER BY seq DESC LIMIT 1) AS latest,
               (SELECT json_agg(json_build_object(
                         'waitpoint', row_to_json(w), 'batchIndex', l.batch_index,
                         'child', CASE WHEN c.id IS NULL THEN NULL ELSE json_build_object('id', c.id, 'friendlyId', c.friendly_id) END,
                         'batch', CASE WHEN b.id IS NULL THEN NULL ELSE json_build_object('id', b.id, 'friendlyId', b.friendly_id) END))
                  FROM trigger_platform.run_waitpoints l
                  JOIN trigger_platform.waitpoints w ON w.id = l.waitpoint_id
                  LEFT JOIN trigger_platform.runs c ON c.id = w.completed_by_run_id
                  LEFT JOIN trigger_platform.batches b ON b.id = l.batch_id
                 WHERE l.run_id = ${runId} AND l.delivered_at IS NULL) AS open`,
  );
  const open: OpenWaitpoint[] = (state?.open ?? []).map((o) => ({ ...o, waitpoint: decodeRow(waitpoints, o.waitpoint) }));
  if (open.length === 0) return;

  if (open.some((o) => o.waitpoint.status === "PENDING")) {
    if (state!.latest !== "EXECUTING_WITH_WAITPOINTS") {
      await changeRunWithSnapshot(
        tx,
        runId,
        sql`status = 'WAITING_TO_RESUME', updated_at = now()`,
        "EXECUTING_WITH_WAITPOINTS",
        `Waiting for ${open.length} waitpoint(s)`,
      );
      effects.notifyRuns.add(run.friendlyId);
    }
    return;
  }

  const completed = open.map(completedWaitpointMessage);
  await changeRunWithSnapshot(
    tx,
    runId,
    sql`status = 'EXECUTING', updated_at = now()`,
    "EXECUTING",
    `Resumed by ${completed.length} waitpoint(s)`,
    {
      completedWaitpoints: completed,
      alsoWith: sql`, delivered AS (UPDATE trigger_platform.run_waitpoints SET delivered_at = now()
                                   WHERE run_id = ${runId} AND waitpoint_id = ANY(${textArray(open.map((o) => o.waitpoint.id))}))`,
    },
  );
  effects.notifyRuns.add(run.friendlyId);
  effects.resumedRuns.add(run.friendlyId);
}

function completedWaitpointMessage({ waitpoint, batchIndex, child, batch }: OpenWaitpoint): Record<string, unknown> {
  return {
    id: waitpoint.id,
    friendlyId: waitpoint.friendlyId,
    type: waitpoint.type,
    completedAt: waitpoint.completedAt ?? new Date(),
    ...(batchIndex !== null ? { index: batchIndex } : {}),
    ...(waitpoint.idempotencyKey ? { idempotencyKey: waitpoint.idempotencyKey } : {}),
    ...(child
      ? {
          completedByTaskRun: {
            id: child.id,
            friendlyId: child.friendlyId,
            ...(batch ? { batch: { id: batch.id, friendlyId: batch.friendlyId } } : {}),
          },
        }
      : {}),
    ...(waitpoint.type === "DATETIME" && waitpoint.completeAfter ? { completedAfter: waitpoint.completeAfter } : {}),
    ...(waitpoint.output !== null ? { output: waitpoint.output } : {}),
    ...(waitpoint.outputType ? { outputType: waitpoint.outputType } : {}),
    outputIsError: waitpoint.outputIsError,
  };
}
