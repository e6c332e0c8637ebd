// Waitpoints: what a run waits for (another run, a batch, a time, a token). A run blocked by waitpoints
// shows EXECUTING_WITH_WAITPOINTS; when the last one completes it gets a new EXECUTING snapshot carrying the
// completed waitpoints, and the CLI is told at once, so the task process resumes.
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../db/client";
import { batches, runs, runWaitpoints, waitpoints, type Run, type Waitpoint } from "../db/schema";
import { newIds } from "../ids";
import type { Effects } from "./run-notifier";
import { isInAttempt } from "./run-statuses";
import { latestSnapshot, lockRun, writeSnapshot } from "./snapshots";

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
    return done ?? waitpoint;
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
  batch?: { batchId: string; firstIndex: number },
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
  await refreshBlockedRun(tx, effects, runId);
}

async function markCompleted(tx: DatabaseOrTransaction, waitpointId: string, result: WaitpointOutput): Promise<Waitpoint | undefined> {
  const [done] = await tx
    .update(waitpoints)
    .set({
      status: "COMPLETED",
      completedAt: sql`now()`,
      output: result.output,
      outputType: result.outputType,
      outputIsError: result.isError,
    })
    .where(and(eq(waitpoints.id, waitpointId), eq(waitpoints.status, "PENDING")))
    .returning();
  return done;
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
  const blocked = await tx
    .select({ runId: runWaitpoints.runId })
    .from(runWaitpoints)
    .where(and(eq(runWaitpoints.waitpointId, waitpointId), isNull(runWaitpoints.deliveredAt)));
  for (const { runId } of blocked) await refreshBlockedRun(tx, effects, runId);
  return done;
}

/**
 * Puts a running run's snapshot in line with its waitpoints: any pending → EXECUTING_WITH_WAITPOINTS;
 * all completed → a new EXECUTING snapshot carrying them (each delivered once).
 */
export async function refreshBlockedRun(tx: DatabaseOrTransaction, effects: Effects, runId: string): Promise<void> {
  const run = await lockRun(tx, runId);
  if (!run || !isInAttempt(run.status)) return;
  const open = await tx
    .select({ link: runWaitpoints, waitpoint: waitpoints })
    .from(runWaitpoints)
    .innerJoin(waitpoints, eq(waitpoints.id, runWaitpoints.waitpointId))
    .where(and(eq(runWaitpoints.runId, runId), isNull(runWaitpoints.deliveredAt)));
  if (open.length === 0) return;

  const snapshot = await latestSnapshot(tx, runId);
  if (open.some((o) => o.waitpoint.status === "PENDING")) {
    if (snapshot.executionStatus !== "EXECUTING_WITH_WAITPOINTS") {
      await writeSnapshot(tx, run, "EXECUTING_WITH_WAITPOINTS", `Waiting for ${open.length} waitpoint(s)`);
      await tx
        .update(runs)
        .set({ status: "WAITING_TO_RESUME", updatedAt: sql`now()` })
        .where(eq(runs.id, runId));
      effects.notifyRuns.add(run.friendlyId);
    }
    return;
  }

  const batchIds = [...new Set(open.map((o) => o.link.batchId).filter((b): b is string => b !== null))];
  const batchRows = batchIds.length ? await tx.select().from(batches).where(inArray(batches.id, batchIds)) : [];
  const runIds = open.map((o) => o.waitpoint.completedByRunId).filter((r): r is string => r !== null);
  const children = runIds.length
    ? await tx.select({ id: runs.id, friendlyId: runs.friendlyId }).from(runs).where(inArray(runs.id, runIds))
    : [];
  const completed = open.map(({ link, waitpoint }) =>
    completedWaitpointMessage(
      waitpoint,
      link.batchIndex,
      children,
      batchRows.find((b) => b.id === link.batchId),
    ),
  );
  await writeSnapshot(tx, run, "EXECUTING", `Resumed by ${completed.length} waitpoint(s)`, completed);
  await tx
    .update(runWaitpoints)
    .set({ deliveredAt: sql`now()` })
    .where(
      and(
        eq(runWaitpoints.runId, runId),
        inArray(
          runWaitpoints.waitpointId,
          open.map((o) => o.waitpoint.id),
        ),
      ),
    );
  await tx
    .update(runs)
    .set({ status: "EXECUTING", updatedAt: sql`now()` })
    .where(eq(runs.id, runId));
  effects.notifyRuns.add(run.friendlyId);
  effects.resumedRuns.add(run.friendlyId);
}

function completedWaitpointMessage(
  waitpoint: Waitpoint,
  batchIndex: number | null,
  children: { id: string; friendlyId: string }[],
  batch: { id: string; friendlyId: string } | undefined,
): Record<string, unknown> {
  const child = children.find((c) => c.id === waitpoint.completedByRunId);
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
