// What Postgres wrote to disk during a phase of a benchmark, from its cumulative statistics (PostgreSQL 17+):
// checkpoints and the buffers they wrote (with the time their final fsync took), the WAL written, and the
// autovacuum runs. A latency spike on a hot path that commits durably can come from a checkpoint's fsync or an
// autovacuum's I/O rather than from any statement: these say which happened in the phase.
import { sql } from "drizzle-orm";
import type { Database } from "../db/client";

export type WriteCounters = {
  checkpointsTimed: number;
  checkpointsRequested: number;
  checkpointBuffersWritten: number;
  checkpointSyncMs: number;
  walBytes: number;
  autovacuums: number;
};

export async function postgresWriteCounters(db: Database): Promise<WriteCounters> {
  const [row] = await db.execute<WriteCounters>(
    sql`SELECT c.num_timed::float8 AS "checkpointsTimed", c.num_requested::float8 AS "checkpointsRequested",
               c.buffers_written::float8 AS "checkpointBuffersWritten", c.sync_time::float8 AS "checkpointSyncMs",
               (SELECT wal_bytes::float8 FROM pg_stat_wal) AS "walBytes",
               (SELECT coalesce(sum(autovacuum_count), 0)::float8 FROM pg_stat_all_tables) AS autovacuums
          FROM pg_stat_checkpointer c`,
  );
  if (!row) throw new Error("pg_stat_checkpointer returned no row");
  return row;
}

/** What changed between two readings, for a bench's printout and JSON. */
export function writesBetween(before: WriteCounters, after: WriteCounters) {
  const delta = (key: keyof WriteCounters) => after[key] - before[key];
  return {
    checkpoints: delta("checkpointsTimed") + delta("checkpointsRequested"),
    checkpointsRequested: delta("checkpointsRequested"),
    checkpointBuffersWritten: delta("checkpointBuffersWritten"),
    checkpointSyncMs: Math.round(delta("checkpointSyncMs")),
    walMB: Math.round(delta("walBytes") / 1e5) / 10,
    autovacuums: delta("autovacuums"),
  };
}

export function describeWrites(writes: ReturnType<typeof writesBetween>): string {
  return (
    `${writes.checkpoints} checkpoint(s) (${writes.checkpointsRequested} requested), ${writes.checkpointBuffersWritten.toLocaleString("en")} ` +
    `buffers written by them, their fsyncs ${writes.checkpointSyncMs} ms; WAL ${writes.walMB} MB; ${writes.autovacuums} autovacuum run(s)`
  );
}
