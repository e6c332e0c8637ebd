// What the Metrics page draws, read from the runs and their snapshots (never from the process's counters, so
// a restarted platform shows the same): over the last hour of one environment, per minute, the runs that
// finished (succeeded, failed, cancelled) and how many runs were queued and running at the minute's end;
// per task, its outcomes and the p50/p95 of its runs' durations. Both queries read one snapshot of the
// database at one `now()` (a read-only repeatable-read transaction), so the charts agree with each other.
import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../db/client";
import { ENGINE_STATUSES_OF, FAILED_API_STATUSES } from "../engine/run-statuses";

/** The window drawn: this many minutes, the current one (partial) included. */
export const METRICS_WINDOW_MINUTES = 60;

const SUCCEEDED = ENGINE_STATUSES_OF.COMPLETED;
const FAILED = FAILED_API_STATUSES.flatMap((status) => ENGINE_STATUSES_OF[status]);
const CANCELLED = ENGINE_STATUSES_OF.CANCELED;
/** A snapshot's execution status while its run waits to be dequeued (a DELAYED one once its delay has passed). */
const QUEUED_STATES = ["QUEUED", "DELAYED"];
/** A snapshot's execution status while its run holds a slot of its queue (the queue's "running"). */
const RUNNING_STATES = ["PENDING_EXECUTING", "EXECUTING", "EXECUTING_WITH_WAITPOINTS", "PENDING_CANCEL"];

const count = z.coerce.number().int();
const millis = z.coerce.number().nullable();

const MinuteRow = z.object({
  minute: z.coerce.date(),
  succeeded: count,
  failed: count,
  cancelled: count,
  queued: count,
  running: count,
});
export type MinuteMetrics = z.output<typeof MinuteRow>;

const TaskRow = z.object({
  task: z.string(),
  succeeded: count,
  failed: count,
  cancelled: count,
  p50Ms: millis,
  p95Ms: millis,
});
export type TaskMetrics = z.output<typeof TaskRow>;

export type EnvironmentMetrics = {
  /** The start of the first minute drawn, and the moment read. */
  since: Date;
  until: Date;
  /** Oldest first, one per minute of the window. */
  minutes: MinuteMetrics[];
  /** Tasks with a run that finished in the window, by name. */
  tasks: TaskMetrics[];
};

/** failed ÷ (succeeded + failed): cancelled runs had no outcome and are left out; null when none had one. */
export const failureRate = ({ succeeded, failed }: { succeeded: number; failed: number }) =>
  succeeded + failed === 0 ? null : failed / (succeeded + failed);

/** The window's first minute; `now()` is the transaction's start, the same in every statement of it. */
const SINCE = sql`(date_trunc('minute', now()) - make_interval(mins => ${METRICS_WINDOW_MINUTES - 1}))`;

/** Per minute of the window: runs finished by outcome, and runs queued and running at the minute's end. */
function minuteSeries(environmentId: string) {
  // The runs alive at some moment of the window: every run that finished in it, and every run not finished.
  const touched = sql`SELECT id, status, completed_at, delay_until FROM trigger_platform.runs
                       WHERE environment_id = ${environmentId} AND (completed_at IS NULL OR completed_at >= ${SINCE})`;
  return sql`
    WITH touched AS (${touched}),
    minutes AS (SELECT generate_series(${SINCE}, date_trunc('minute', now()), interval '1 minute') AS minute),
    finished AS (
      SELECT date_trunc('minute', completed_at) AS minute,
             count(*) FILTER (WHERE status IN ${SUCCEEDED}) AS succeeded,
             count(*) FILTER (WHERE status IN ${FAILED}) AS failed,
             count(*) FILTER (WHERE status IN ${CANCELLED}) AS cancelled
        FROM touched WHERE completed_at IS NOT NULL
       GROUP BY 1
    ),
    -- Each snapshot holds from its own time to the next one's: a span queued or running. (Per run, through
    -- the snapshots' run index: the table holds every run's history, the window a small part of it.) Only a
    -- run's snapshots in the window and the last one before it are read: the earlier ones' spans ended before
    -- the window (snapshots follow each other in time), so they would add nothing, and a long-lived run's
    -- history costs no more than its last hour.
    spans AS (
      SELECT s.* FROM touched t CROSS JOIN LATERAL (
        SELECT execution_status IN ${RUNNING_STATES} AS running,
               CASE WHEN execution_status = 'DELAYED' THEN greatest(created_at, t.delay_until) ELSE created_at END AS from_at,
               lead(created_at, 1, 'infinity'::timestamptz) OVER (ORDER BY seq) AS until_at,
               execution_status IN ${[...QUEUED_STATES, ...RUNNING_STATES]} AS counted
          FROM (
            (SELECT seq, execution_status, created_at FROM trigger_platform.snapshots
              WHERE run_id = t.id AND created_at < ${SINCE} ORDER BY seq DESC LIMIT 1)
            UNION ALL
            (SELECT seq, execution_status, created_at FROM trigger_platform.snapshots
              WHERE run_id = t.id AND created_at >= ${SINCE})
          ) recent
      ) s
    ),
    -- A span adds one from its start and takes it back at its end: the depth at a moment is the sum of the
    -- changes before it (one pass over the spans, not a join of every minute with every span).
    changes AS (
      SELECT running, from_at AS at, 1 AS delta FROM spans WHERE counted AND from_at < until_at
      UNION ALL
      SELECT running, until_at, -1 FROM spans WHERE counted AND from_at < until_at AND until_at <> 'infinity'
    ),
    -- Each minute's changes (up to now: a delay that ends later is not yet a change).
    depth AS (
      SELECT date_trunc('minute', at) AS minute,
             coalesce(sum(delta) FILTER (WHERE NOT running), 0) AS queued,
             coalesce(sum(delta) FILTER (WHERE running), 0) AS running
        FROM changes WHERE at >= ${SINCE} AND at < now()
       GROUP BY 1
    ),
    before_window AS (
      SELECT coalesce(sum(delta) FILTER (WHERE NOT running), 0) AS queued, coalesce(sum(delta) FILTER (WHERE running), 0) AS running
        FROM changes WHERE at < ${SINCE}
    )
    SELECT m.minute,
           coalesce(f.succeeded, 0) AS succeeded, coalesce(f.failed, 0) AS failed, coalesce(f.cancelled, 0) AS cancelled,
           b.queued + sum(coalesce(d.queued, 0)) OVER (ORDER BY m.minute) AS queued,
           b.running + sum(coalesce(d.running, 0)) OVER (ORDER BY m.minute) AS running
      FROM minutes m CROSS JOIN before_window b
      LEFT JOIN depth d ON d.minute = m.minute
      LEFT JOIN finished f ON f.minute = m.minute
     ORDER BY m.minute`;
}

/** Per task with a run finished in the window: its outcomes and its durations' p50 and p95. */
function taskOutcomes(environmentId: string) {
  return sql`
    SELECT task_identifier AS task,
           count(*) FILTER (WHERE status IN ${SUCCEEDED}) AS succeeded,
           count(*) FILTER (WHERE status IN ${FAILED}) AS failed,
           count(*) FILTER (WHERE status IN ${CANCELLED}) AS cancelled,
           1000 * percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - started_at))
             FILTER (WHERE started_at IS NOT NULL AND status NOT IN ${CANCELLED}) AS "p50Ms",
           1000 * percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - started_at))
             FILTER (WHERE started_at IS NOT NULL AND status NOT IN ${CANCELLED}) AS "p95Ms"
      FROM trigger_platform.runs
     WHERE environment_id = ${environmentId} AND completed_at >= ${SINCE}
     GROUP BY task_identifier
     ORDER BY task_identifier`;
}

export async function loadEnvironmentMetrics(db: Database, environmentId: string): Promise<EnvironmentMetrics> {
  return db.transaction(
    async (tx) => {
      const [bounds] = await tx.execute(sql`SELECT ${SINCE} AS since, now() AS until`);
      const { since, until } = z.object({ since: z.coerce.date(), until: z.coerce.date() }).parse(bounds);
      const minutes = await tx.execute(minuteSeries(environmentId));
      const tasks = await tx.execute(taskOutcomes(environmentId));
      return { since, until, minutes: z.array(MinuteRow).parse(minutes), tasks: z.array(TaskRow).parse(tasks) };
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}
