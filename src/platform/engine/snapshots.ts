// Execution snapshots: every change in how a run executes is a new snapshot with a new id. The CLI acts
// on a snapshot it has not seen before, and hands its completed waitpoints to the task process.
import { desc, eq } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../../../db/client";
import { runs, snapshots, type Run, type Snapshot } from "../../../db/schema";
import { newIds } from "../ids";

export type ExecutionStatus =
  | "RUN_CREATED"
  | "QUEUED"
  | "DELAYED"
  | "PENDING_EXECUTING"
  | "EXECUTING"
  | "EXECUTING_WITH_WAITPOINTS"
  | "PENDING_CANCEL"
  | "FINISHED";

export async function writeSnapshot(
  tx: DatabaseOrTransaction,
  run: Pick<Run, "id" | "attemptNumber">,
  executionStatus: ExecutionStatus,
  description: string,
  completedWaitpoints: Record<string, unknown>[] = [],
): Promise<Snapshot> {
  const { id, friendlyId } = newIds("snapshot");
  const [row] = await tx
    .insert(snapshots)
    .values({ id, friendlyId, runId: run.id, executionStatus, description, attemptNumber: run.attemptNumber || null, completedWaitpoints })
    .returning();
  return row!;
}

export async function latestSnapshot(tx: DatabaseOrTransaction, runId: string): Promise<Snapshot> {
  const [row] = await tx.select().from(snapshots).where(eq(snapshots.runId, runId)).orderBy(desc(snapshots.seq)).limit(1);
  if (!row) throw new Error(`Run ${runId} has no execution snapshot`);
  return row;
}

/** Locks the run row for the rest of the transaction. */
export async function lockRun(tx: DatabaseOrTransaction, runId: string): Promise<Run | undefined> {
  const [row] = await tx.select().from(runs).where(eq(runs.id, runId)).for("update");
  return row;
}

/** The snapshot as the CLI's schemas want it. */
export function snapshotMessage(snapshot: Snapshot) {
  return {
    id: snapshot.id,
    friendlyId: snapshot.friendlyId,
    executionStatus: snapshot.executionStatus as ExecutionStatus,
    description: snapshot.description,
    createdAt: snapshot.createdAt,
  };
}

/** The run as the CLI's schemas want it (BaseRunMetadata). */
export function runMessage(run: Run) {
  return { id: run.id, friendlyId: run.friendlyId, status: run.status as EngineStatus, attemptNumber: run.attemptNumber || null };
}

export type EngineStatus =
  | "DELAYED"
  | "PENDING"
  | "PENDING_VERSION"
  | "DEQUEUED"
  | "EXECUTING"
  | "WAITING_TO_RESUME"
  | "RETRYING_AFTER_FAILURE"
  | "CANCELED"
  | "COMPLETED_SUCCESSFULLY"
  | "COMPLETED_WITH_ERRORS"
  | "SYSTEM_FAILURE"
  | "CRASHED"
  | "EXPIRED"
  | "TIMED_OUT";

export const FINAL_STATUSES: readonly EngineStatus[] = [
  "CANCELED",
  "COMPLETED_SUCCESSFULLY",
  "COMPLETED_WITH_ERRORS",
  "SYSTEM_FAILURE",
  "CRASHED",
  "EXPIRED",
  "TIMED_OUT",
];

export const isFinal = (status: string) => (FINAL_STATUSES as readonly string[]).includes(status);
