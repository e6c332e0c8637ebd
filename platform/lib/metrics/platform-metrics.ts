// The platform's metrics, in Prometheus' text format (prom-client), served at GET /metrics. Counted as
// changes commit (the notifier hands over each committed change: runs that ended, attempts that started):
// runs finished, attempts, run duration, queue wait, the dequeue's own cost; and, as the retention sweep
// commits, the rows it deleted. Read from Postgres when scraped:
// runs by project, task, queue and status, and per queue its limit, runs in flight and runs queued.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Database } from "../db/client";
import type { Run } from "../db/schema";
import { listQueues, effectiveLimit } from "../engine/queues";
import type { EngineContext } from "../engine/engine-context";
import { apiStatus } from "../engine/run-statuses";
import type { Effects } from "../engine/run-notifier";
import { environmentById, listProjectEnvironments } from "../environments";
import { sql } from "drizzle-orm";

/** Seconds, from a fast run to a long one. */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
const DEQUEUE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25];
/** Queues read per environment when scraped. */
const QUEUES_PER_SCRAPE = 500;

export class PlatformMetrics {
  readonly registry = new Registry();

  private readonly runsFinished = new Counter({
    name: "trigger_runs_finished_total",
    help: "Runs that ended, by project, task and final status",
    labelNames: ["project", "task", "status"],
    registers: [this.registry],
  });
  private readonly attemptsStarted = new Counter({
    name: "trigger_attempts_started_total",
    help: "Attempts started, by project and task",
    labelNames: ["project", "task"],
    registers: [this.registry],
  });
  private readonly runDuration = new Histogram({
    name: "trigger_run_duration_seconds",
    help: "From a run's first attempt to its end, by project, task and final status",
    labelNames: ["project", "task", "status"],
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly queueWait = new Histogram({
    name: "trigger_run_queue_wait_seconds",
    help: "From a run being due (triggered, or its delay passed) to its first attempt, by project, task and queue",
    labelNames: ["project", "task", "queue"],
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  readonly dequeueDuration = new Histogram({
    name: "trigger_dequeue_duration_seconds",
    help: "Time the dequeue spends choosing runs for a CLI, per request that found work or was not held",
    buckets: DEQUEUE_BUCKETS,
    registers: [this.registry],
  });

  private readonly retentionDeleted = new Counter({
    name: "trigger_retention_deleted_total",
    help: "Rows the retention sweep deleted (RUN_RETENTION), by kind: runs, and each table of rows hanging off them",
    labelNames: ["kind"],
    registers: [this.registry],
  });

  constructor(ctx: EngineContext) {
    const { db } = ctx;
    ctx.notifier.onRowsDeleted((counts) => {
      for (const [kind, n] of Object.entries(counts)) if (n > 0) this.retentionDeleted.inc({ kind }, n);
    });
    new Gauge({
      name: "trigger_runs",
      help: "Runs now, by project, task, queue and status",
      labelNames: ["project", "task", "queue", "status"],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const row of await runsByStatus(db))
          this.inc(
            { project: row.project, task: row.task, queue: row.queue, status: apiStatus({ status: row.status, delayUntil: null }) },
            row.n,
          );
      },
    });
    const queueGauge = (name: string, help: string) =>
      new Gauge({ name, help, labelNames: ["project", "queue"], registers: [this.registry] });
    this.queueGauges = {
      limit: queueGauge("trigger_queue_concurrency_limit", "A queue's limit (its override, else its code's); absent when it has none"),
      running: queueGauge("trigger_queue_running", "Runs holding one of a queue's slots"),
      queued: queueGauge("trigger_queue_queued", "Runs waiting in a queue to be dequeued"),
      paused: queueGauge("trigger_queue_paused", "1 when a queue is paused"),
    };
    this.readQueues = async () => {
      const gauges = this.queueGauges;
      for (const gauge of Object.values(gauges)) gauge.reset();
      for (const env of await listProjectEnvironments(db)) {
        const { queues } = await listQueues(ctx, env, { page: 1, perPage: QUEUES_PER_SCRAPE });
        for (const queue of queues) {
          const labels = { project: env.projectRef, queue: queue.name };
          const limit = effectiveLimit(queue);
          if (limit !== null) gauges.limit.set(labels, limit);
          gauges.running.set(labels, queue.running);
          gauges.queued.set(labels, queue.queued);
          gauges.paused.set(labels, queue.paused ? 1 : 0);
        }
      }
    };
    ctx.notifier.onPublished((effects) => void this.count(db, effects));
  }

  private readonly queueGauges: Record<"limit" | "running" | "queued" | "paused", Gauge>;
  /** One read of every queue fills its four gauges (read before the registry is, which collects in parallel). */
  private readonly readQueues: () => Promise<void>;

  /** Prometheus' text format of every metric. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    await this.readQueues();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private async count(db: Database, effects: Effects): Promise<void> {
    for (const run of effects.startedRuns) {
      const project = await projectOf(db, run);
      this.attemptsStarted.inc({ project, task: run.taskIdentifier });
      // The first attempt's wait in the queue; a retry's backoff is not queue wait.
      if (run.attemptNumber === 1 && run.startedAt) {
        const due = Math.max(run.createdAt.getTime(), run.delayUntil?.getTime() ?? 0);
        this.queueWait.observe({ project, task: run.taskIdentifier, queue: run.queue }, Math.max(0, run.startedAt.getTime() - due) / 1000);
      }
    }
    for (const run of effects.finishedRuns) {
      const project = await projectOf(db, run);
      const labels = { project, task: run.taskIdentifier, status: apiStatus(run) };
      this.runsFinished.inc(labels);
      if (run.startedAt && run.completedAt) this.runDuration.observe(labels, (run.completedAt.getTime() - run.startedAt.getTime()) / 1000);
    }
  }
}

async function projectOf(db: Database, run: Run): Promise<string> {
  return (await environmentById(db, run.environmentId))?.projectRef ?? run.environmentId;
}

async function runsByStatus(db: Database) {
  return db.execute<{ project: string; task: string; queue: string; status: string; n: number }>(
    sql`SELECT e.project_ref AS project, r.task_identifier AS task, r.queue, r.status, count(*)::int AS n
          FROM trigger_platform.runs r JOIN trigger_platform.environments e ON e.id = r.environment_id
         GROUP BY 1, 2, 3, 4`,
  );
}
