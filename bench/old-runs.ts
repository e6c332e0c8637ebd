// Old finished runs written straight into the platform's store with SQL (generate_series), as an order
// workflow leaves them: trees of four (a root and three steps it waited on), each run with three snapshots, an
// attempt and two log lines, each step with its RUN waitpoint and the root's wait on it. Every root carries one
// of up to 1,000 tags, and a young finished run of the same task carries each tag too, so every old run is
// deletable (none is the newest of its tag) and the retention sweep's tag rule is exercised.
import { sql } from "drizzle-orm";
import type { Database } from "../db/client";

export const OLD_WORKFLOW_TASK = "bench-old-workflow";
export const OLD_STEP_TASK = "bench-old-step";
const RUNS_PER_TREE = 4;
const TAGS = 1_000;

/** Inserts `runs` old runs (rounded to whole trees) in one transaction, the newest `ageSeconds` old and the rest
 *  100 µs older each (so all cross a retention line within seconds of each other); returns how many. */
export async function insertOldRuns(db: Database, environmentId: string, runs: number, ageSeconds: number): Promise<number> {
  const trees = Math.max(1, Math.round(runs / RUNS_PER_TREE));
  const tags = Math.min(TAGS, trees);
  const at = sql`now() - make_interval(secs => ${ageSeconds}) - t * interval '100 microseconds' - interval '3 seconds'`;
  const id = sql`'old' || t || 'x' || k`;
  await db.transaction(async (tx) => {
    await tx.execute(sql`
      INSERT INTO trigger_platform.runs (id, friendly_id, environment_id, task_identifier, status, payload, output, output_type, queue,
                                         tags, parent_run_id, root_run_id, depth, resume_parent_on_completion, attempt_number,
                                         trace_id, span_id, created_at, updated_at, started_at, completed_at)
      SELECT ${id}, 'run_' || ${id}, ${environmentId},
             CASE WHEN k = 0 THEN ${OLD_WORKFLOW_TASK} ELSE ${OLD_STEP_TASK} END, 'COMPLETED_SUCCESSFULLY',
             '{"orderId":"old-' || t || '"}', '{"ok":true}', 'application/json',
             CASE WHEN k = 0 THEN ${`task/${OLD_WORKFLOW_TASK}`} ELSE ${`task/${OLD_STEP_TASK}`} END,
             CASE WHEN k = 0 THEN ARRAY['bench-old:' || (t % ${tags})] ELSE '{}'::text[] END,
             CASE WHEN k = 0 THEN NULL ELSE 'old' || t || 'x0' END, CASE WHEN k = 0 THEN NULL ELSE 'old' || t || 'x0' END,
             least(k, 1), k > 0, 1, md5(t || 'x' || k), left(md5(k || 'x' || t), 16),
             ${at}, ${at} + interval '2 seconds', ${at} + interval '1 second', ${at} + interval '2 seconds'
        FROM generate_series(0, ${trees - 1}::int) AS t, generate_series(0, ${RUNS_PER_TREE - 1}::int) AS k`);
    await tx.execute(sql`
      INSERT INTO trigger_platform.snapshots (id, friendly_id, run_id, execution_status, description, attempt_number, created_at)
      SELECT ${id} || 's' || s, 'snapshot_' || ${id} || 's' || s, ${id},
             (ARRAY['QUEUED', 'EXECUTING', 'FINISHED'])[s], 'bench', CASE WHEN s = 1 THEN NULL ELSE 1 END, ${at}
        FROM generate_series(0, ${trees - 1}::int) AS t, generate_series(0, ${RUNS_PER_TREE - 1}::int) AS k, generate_series(1, 3) AS s`);
    await tx.execute(sql`
      INSERT INTO trigger_platform.attempts (run_id, number, status, started_at, completed_at)
      SELECT ${id}, 1, 'COMPLETED', ${at}, ${at} + interval '1 second'
        FROM generate_series(0, ${trees - 1}::int) AS t, generate_series(0, ${RUNS_PER_TREE - 1}::int) AS k`);
    await tx.execute(sql`
      INSERT INTO trigger_platform.run_events (run_id, kind, name, level, start_time)
      SELECT ${id}, 'log', 'bench line ' || e, 'info', ${at}
        FROM generate_series(0, ${trees - 1}::int) AS t, generate_series(0, ${RUNS_PER_TREE - 1}::int) AS k, generate_series(1, 2) AS e`);
    await tx.execute(sql`
      INSERT INTO trigger_platform.waitpoints (id, friendly_id, environment_id, type, status, completed_at, completed_by_run_id, output, output_type, created_at)
      SELECT 'w' || ${id}, 'waitpoint_w' || ${id}, ${environmentId}, 'RUN', 'COMPLETED', ${at}, ${id}, '{"ok":true}', 'application/json', ${at}
        FROM generate_series(0, ${trees - 1}::int) AS t, generate_series(1, ${RUNS_PER_TREE - 1}::int) AS k`);
    await tx.execute(sql`
      INSERT INTO trigger_platform.run_waitpoints (run_id, waitpoint_id, delivered_at, created_at)
      SELECT 'old' || t || 'x0', 'w' || ${id}, ${at}, ${at}
        FROM generate_series(0, ${trees - 1}::int) AS t, generate_series(1, ${RUNS_PER_TREE - 1}::int) AS k`);
    // The newest run of each tag and task: young, so it stays, and the old ones are not the newest.
    await tx.execute(sql`
      INSERT INTO trigger_platform.runs (id, friendly_id, environment_id, task_identifier, status, payload, queue, tags, trace_id, span_id, completed_at)
      SELECT 'young' || g || 'x' || floor(extract(epoch FROM now())), 'run_young' || g || 'x' || floor(extract(epoch FROM now())), ${environmentId},
             ${OLD_WORKFLOW_TASK}, 'COMPLETED_SUCCESSFULLY', '{}', ${`task/${OLD_WORKFLOW_TASK}`},
             ARRAY['bench-old:' || g], md5('young' || g), left(md5('young' || g), 16), now()
        FROM generate_series(0, ${tags - 1}::int) AS g`);
  });
  await db.execute(sql`ANALYZE trigger_platform.runs`);
  return trees * RUNS_PER_TREE;
}

/** How many of the old runs are left. A range of the primary key (ids 'old…' sort between 'old' and 'olf'), read
 *  from the index alone: `id LIKE 'old%'` read every run of the environment, 18 ms a time, enough to weigh on
 *  what the retention bench measures. (No generated id starts so: core's alphabet has no "l".) */
export async function oldRunsLeft(db: Database): Promise<number> {
  const [row] = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM trigger_platform.runs WHERE id >= 'old' AND id < 'olf'`);
  return row?.n ?? 0;
}
