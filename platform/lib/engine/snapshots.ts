// Execution snapshots: every change in how a run executes is a new snapshot with a new id. The CLI acts
// on a snapshot it has not seen before, and hands its completed waitpoints to the task process.
import { sql, type SQL } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../db/client";
import { runs, snapshots, type Run, type Snapshot } from "../db/schema";
import { newIds } from "../ids";
import { decodeRow, jsonParam, selectRow } from "./row-mapping";
import type { EngineStatus, ExecutionStatus } from "./run-statuses";

export async function writeSnapshot(
  tx: DatabaseOrTransaction,
  run: Pick<Run, "id" | "attemptNumber">,
  executionStatus: ExecutionStatus,
  description: string,
  completedWaitpoints: Record<string, unknown>[] = [],
): Promise<Snapshot> {
  const { id, friendlyId } = newIds("snapshot");
  const row = await selectRow(
    tx,
    snapshots,
    sql`INSERT INTO trigger_platform.snapshots (id, friendly_id, run_id, execution_status, description, attempt_number, completed_waitpoints)
        VALUES (${id}, ${friendlyId}, ${run.id}, ${executionStatus}, ${description}, ${run.attemptNumber || null}, ${jsonParam(completedWaitpoints)}::jsonb)
        RETURNING *`,
  );
  return row!;
}

export async function latestSnapshot(tx: DatabaseOrTransaction, runId: string): Promise<Snapshot> {
  const row = await selectRow(
    tx,
    snapshots,
    sql`SELECT * FROM trigger_platform.snapshots WHERE run_id = ${runId} ORDER BY seq DESC LIMIT 1`,
  );
  if (!row) throw new Error(`Run ${runId} has no execution snapshot`);
  return row;
}

/** Locks the run row for the rest of the transaction. */
export async function lockRun(tx: DatabaseOrTransaction, runId: string): Promise<Run | undefined> {
  return selectRow(tx, runs, sql`SELECT * FROM trigger_platform.runs WHERE id = ${runId} FOR UPDATE`);
}

/**
 * The run and its latest snapshot in one round trip, the run locked for the transaction if `lock`.
 *
 * A lock that had to wait is the one case one statement cannot cover. Under READ COMMITTED, FOR UPDATE then
 * returns the run as the transaction it waited for left it, but the subquery still reads the snapshots as they
 * were when the statement began: without that transaction's new snapshot. Every transaction that writes a
 * snapshot also writes its run, so the run then differs from the one the statement began with (`xmin`, the
 * writing transaction's id); the snapshot is read again, by a statement of its own that sees the commit.
 */
export async function runWithLatestSnapshot(
  tx: DatabaseOrTransaction,
  runId: string,
  lock: boolean,
  /** A statement run in the same round trip (a data-modifying CTE): the row read is the one before it. */
  alongside?: SQL,
): Promise<{ run: Run; snapshot: Snapshot } | undefined> {
  const [row] = await tx.execute<Record<string, unknown>>(
    sql`${alongside ? sql`WITH alongside AS (${alongside}) ` : sql``}SELECT r.*, (SELECT row_to_json(s) FROM trigger_platform.snapshots s WHERE s.run_id = r.id ORDER BY s.seq DESC LIMIT 1) AS latest_snapshot
          ${lock ? sql`, (SELECT r0.xmin FROM trigger_platform.runs r0 WHERE r0.id = r.id) = r.xmin AS run_unchanged_while_locking` : sql``}
          FROM trigger_platform.runs r WHERE r.id = ${runId} ${lock ? sql`FOR UPDATE` : sql``}`,
  );
  if (!row) return undefined;
  const run = decodeRow(runs, row);
  if (lock && row.run_unchanged_while_locking === false) return { run, snapshot: await latestSnapshot(tx, runId) };
  if (!row.latest_snapshot) throw new Error(`Run ${runId} has no execution snapshot`);
  return { run, snapshot: decodeRow(snapshots, row.latest_snapshot as Record<string, unknown>) };
}

/**
 * The INSERT of the next snapshot of each run row that `source` (a CTE of the same statement) yields:
 * a run written in the same round trip gets its snapshot with it.
 */
export function insertSnapshotFrom(
  source: SQL,
  executionStatus: ExecutionStatus,
  description: string,
  completedWaitpoints: Record<string, unknown>[] = [],
): SQL {
  const { id, friendlyId } = newIds("snapshot");
  return sql`INSERT INTO trigger_platform.snapshots (id, friendly_id, run_id, execution_status, description, attempt_number, completed_waitpoints)
             SELECT ${id}, ${friendlyId}, id, ${executionStatus}, ${description}, nullif(attempt_number, 0), ${jsonParam(completedWaitpoints)}::jsonb FROM ${source}`;
}

/**
 * Changes a run and writes its next snapshot in one statement (one round trip: these are the engine's
 * hottest writes). `changes` is the SET list; `alsoWith` may add CTEs (each starting with a comma) that
 * read the changed run as `changed`; `withWaiters` also looks up who waits for this run to end (the
 * waitpoint it completes, the batches it is an item of): only a run that ends needs them.
 */
export async function changeRunWithSnapshot(
  tx: DatabaseOrTransaction,
  runId: string,
  changes: SQL,
  executionStatus: ExecutionStatus,
  description: string,
  options: { alsoWith?: SQL; withWaiters?: boolean; completedWaitpoints?: Record<string, unknown>[] } = {},
): Promise<{ run: Run; snapshot: Snapshot; runWaitpointId: string | null; batchIds: string[] }> {
  const waiters = sql`, (SELECT w.id FROM trigger_platform.waitpoints w WHERE w.type = 'RUN' AND w.completed_by_run_id = changed.id) AS run_waitpoint_id,
                        ARRAY(SELECT DISTINCT i.batch_id FROM trigger_platform.batch_items i WHERE i.run_id = changed.id) AS batch_ids`;
  const [row] = await tx.execute<Record<string, unknown>>(
    sql`WITH changed AS (UPDATE trigger_platform.runs SET ${changes} WHERE id = ${runId} RETURNING *),
             snapshot AS (${insertSnapshotFrom(sql`changed`, executionStatus, description, options.completedWaitpoints)} RETURNING *)
             ${options.alsoWith ?? sql``}
        SELECT changed.*, row_to_json(snapshot) AS written_snapshot ${options.withWaiters ? waiters : sql``}
          FROM changed, snapshot`,
  );
  if (!row) throw new Error(`No run ${runId} to change`);
  return {
    run: decodeRow(runs, row),
    snapshot: decodeRow(snapshots, row.written_snapshot as Record<string, unknown>),
    runWaitpointId: (row.run_waitpoint_id as string | null | undefined) ?? null,
    batchIds: (row.batch_ids as string[] | undefined) ?? [],
  };
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
