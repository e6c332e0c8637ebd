/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The Metrics page: one environment's last hour, minute by minute — runs finished (throughput), the share
// that failed, queue depth — and per task its outcomes and p50/p95 duration. Drawn from the tables
// (run-metrics.ts), so it survives a restart; the same numbers as text beside every chart.
import { DataTable, formatDuration, formatTime, withQuery } from "./page-shell";
import type { ProjectPaths } from "./project-paths";
import { failureRate, METRICS_WINDOW_MINUTES, type EnvironmentMetrics } from "./run-metrics";
import { ChartGrid, ColumnChart, DurationBars, LineChart } from "./svg-charts";

const COLOURS = { succeeded: "#059669", failed: "#dc2626", cancelled: "#9ca3af", queued: "#d97706", running: "#2563eb" };

export const formatRate = (rate: number | null) => (rate === null ? "—" : `${Math.round(rate * 1000) / 10} %`);

export function MetricsPage({
  metrics,
  environment,
  paths,
}: {
  metrics: EnvironmentMetrics;
  /** Its slug (the project is in the page's frame). */
  environment: string;
  paths: ProjectPaths;
}) {
  const { minutes, tasks } = metrics;
  const times = minutes.map((m) => m.minute);
  const sum = (pick: (m: (typeof minutes)[number]) => number) => minutes.reduce((total, m) => total + pick(m), 0);
  const totals = { succeeded: sum((m) => m.succeeded), failed: sum((m) => m.failed), cancelled: sum((m) => m.cancelled) };
  const finished = totals.succeeded + totals.failed + totals.cancelled;
  const now = minutes.at(-1) ?? { queued: 0, running: 0 };
  const slowest = Math.max(0, ...tasks.map((t) => t.p95Ms ?? 0));
  return (
    <>
      <h1>Metrics</h1>
      <p class="muted">
        The {environment} environment, the last {METRICS_WINDOW_MINUTES} minutes (from {formatTime(metrics.since)} to{" "}
        {formatTime(metrics.until)}). Failure rate: failed ÷ (succeeded + failed); cancelled runs count as finished but not in the rate.
        Duration: a run's first attempt to its end. <a href={paths.metrics}>Refresh</a>
      </p>
      <dl class="facts card" id="metrics-summary">
        <dt>Finished</dt>
        <dd data-metric="finished">{finished}</dd>
        <dt>Succeeded / failed / cancelled</dt>
        <dd>
          <span data-metric="succeeded">{totals.succeeded}</span> / <span data-metric="failed">{totals.failed}</span> /{" "}
          <span data-metric="cancelled">{totals.cancelled}</span>
        </dd>
        <dt>Failure rate</dt>
        <dd data-metric="failure-rate">{formatRate(failureRate(totals))}</dd>
        <dt>Throughput</dt>
        <dd data-metric="throughput">{`${Math.round((finished / METRICS_WINDOW_MINUTES) * 100) / 100} runs/min`}</dd>
        <dt>Queued / running now</dt>
        <dd>
          <span data-metric="queued">{now.queued}</span> / <span data-metric="running">{now.running}</span>{" "}
          <a href={paths.queues}>queues</a>
        </dd>
      </dl>
      <ChartGrid>
        <ColumnChart
          id="chart-throughput"
          title="Runs finished per minute"
          times={times}
          series={[
            { label: "succeeded", colour: COLOURS.succeeded, values: minutes.map((m) => m.succeeded) },
            { label: "failed", colour: COLOURS.failed, values: minutes.map((m) => m.failed) },
            { label: "cancelled", colour: COLOURS.cancelled, values: minutes.map((m) => m.cancelled) },
          ]}
        />
        <LineChart
          id="chart-failure-rate"
          title="Failure rate per minute"
          times={times}
          yMax={1}
          format={(v) => `${Math.round(v * 100)}%`}
          series={[{ label: "failed", colour: COLOURS.failed, values: minutes.map(failureRate) }]}
        />
        <LineChart
          id="chart-queue-depth"
          title="Queue depth at each minute's end"
          times={times}
          series={[
            { label: "queued", colour: COLOURS.queued, values: minutes.map((m) => m.queued) },
            { label: "running", colour: COLOURS.running, values: minutes.map((m) => m.running) },
          ]}
        />
      </ChartGrid>
      <h2>Tasks</h2>
      <DataTable
        id="task-metrics"
        headings={["Task", "Succeeded", "Failed", "Cancelled", "Failure rate", "p50", "p95", "p50 / p95"]}
        empty={`No run finished in the last ${METRICS_WINDOW_MINUTES} minutes.`}
        rows={tasks.map((task) => (
          <tr data-task={task.task}>
            <td>
              <a href={withQuery(paths.runs, { task: task.task })}>{task.task}</a>
            </td>
            <td data-metric="succeeded">{task.succeeded}</td>
            <td data-metric="failed">{task.failed}</td>
            <td data-metric="cancelled">{task.cancelled}</td>
            <td data-metric="failure-rate">{formatRate(failureRate(task))}</td>
            <td data-metric="p50" data-ms={task.p50Ms ?? ""}>
              {formatDuration(task.p50Ms)}
            </td>
            <td data-metric="p95" data-ms={task.p95Ms ?? ""}>
              {formatDuration(task.p95Ms)}
            </td>
            <td>
              <DurationBars p50Ms={task.p50Ms} p95Ms={task.p95Ms} max={slowest} />
            </td>
          </tr>
        ))}
      />
    </>
  );
}
