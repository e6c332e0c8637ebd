// `npm run bench:dashboard`: how long the dashboard's runs page takes to render with 100,000 runs in the
// store — first page, a deep page (keyset cursor), filtered by task, by status and by tag, and one run's
// page — medians of repeated requests, beside the same pages with 1,000 runs (the baseline in this run).
import fs from "node:fs";
import { sql } from "drizzle-orm";
import { ensureProjectEnvironment } from "local-trigger";
import type { PlatformOptions } from "local-trigger";
import { startPlatform } from "local-trigger";
import { startBenchDatabase } from "./bench-database";
import { median, printTable, round } from "./stats";

const options: PlatformOptions = {
  secretKey: "tr_dev_bench",
  defaultProjectRef: "proj_dashboardbench",
  dequeue: { holdMs: 1_000, intervalWithRunMs: 0, intervalWithoutRunMs: 50, maxConcurrentRuns: 25 },
  heartbeatTimeoutMs: 90_000,
  defaultMaxAttempts: 3,
  taskEnvironment: {},
};
const TASKS = ["process-order", "reserve-inventory", "charge-payment", "send-notification", "order-reminder"];
const STATUSES = [
  "COMPLETED_SUCCESSFULLY",
  "COMPLETED_SUCCESSFULLY",
  "COMPLETED_SUCCESSFULLY",
  "COMPLETED_WITH_ERRORS",
  "CANCELED",
  "DELAYED",
];

type Database = Awaited<ReturnType<typeof startBenchDatabase>>["db"];

/** Runs (and one snapshot each) written straight into the store, as if triggered over the last days. */
async function fillRuns(db: Database, environmentId: string, total: number, prefix: string) {
  for (let from = 0; from < total; from += 20_000) {
    const to = Math.min(total, from + 20_000);
    await db.execute(sql`
      INSERT INTO trigger_platform.runs (id, friendly_id, environment_id, task_identifier, status, payload, queue, tags, trace_id, span_id, created_at, started_at, completed_at)
      SELECT ${prefix} || i, 'run_' || ${prefix} || i, ${environmentId},
             (${`{${TASKS.join(",")}}`}::text[])[1 + i % ${TASKS.length}], (${`{${STATUSES.join(",")}}`}::text[])[1 + i % ${STATUSES.length}],
             '{"orderId":"ord-' || (i / 5) || '"}', 'task/' || (${`{${TASKS.join(",")}}`}::text[])[1 + i % ${TASKS.length}],
             ARRAY['order:ord-' || (i / 5)], md5(i::text), left(md5(i::text), 16),
             now() - make_interval(secs => (${total}::int - i) * 3), now() - make_interval(secs => (${total}::int - i) * 3 - 1), now() - make_interval(secs => (${total}::int - i) * 3 - 2)
        FROM generate_series(${from}::int, ${to - 1}::int) AS i`);
  }
  await db.execute(sql`ANALYZE trigger_platform.runs`);
}

async function timePage(url: string, cookie: string, times = 15): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    const response = await fetch(url, { headers: { cookie } });
    const body = await response.text();
    if (!response.ok || !body.includes("</html>")) throw new Error(`${url} answered ${response.status}`);
    samples.push(performance.now() - started);
  }
  return round(median(samples));
}

async function measure({ url, db }: { url: string; db: Database }, total: number, prefix: string) {
  const platform = await startPlatform({ databaseUrl: url, port: 0, options: { ...options, defaultProjectRef: `proj_dash${prefix}` } });
  const env = await ensureProjectEnvironment(platform.context.db, `proj_dash${prefix}`, options);
  const filled = performance.now();
  await fillRuns(db, env.id, total, prefix);
  const fillMs = performance.now() - filled;
  const deep = `run_${prefix}${Math.floor(total / 2)}`;
  const pages: [string, string][] = [
    ["first page", "/runs"],
    ["a page half way down (cursor)", `/runs?after=${deep}`],
    ["filtered by task", "/runs?task=charge-payment"],
    ["filtered by status (FAILED)", "/runs?status=FAILED"],
    ["filtered by tag", `/runs?tag=order:ord-${Math.floor(total / 10)}`],
    ["one run's page", `/runs/${deep}`],
  ];
  const figures: Record<string, number> = {};
  for (const [name, path] of pages) figures[name] = await timePage(`${platform.url}${path}`, platform.sessionCookie);
  await platform.close();
  return { total, fillSeconds: round(fillMs / 1000), medianMs: figures };
}

async function main() {
  const database = await startBenchDatabase("bench_dashboard");
  const small = await measure(database, 1_000, "s");
  const large = await measure(database, Number(process.env.BENCH_DASHBOARD_RUNS ?? 100_000), "l");
  await database.stop();
  console.log(
    `\nDashboard runs page, median of 15 requests (ms): ${large.total.toLocaleString("en")} runs vs ${small.total.toLocaleString("en")}`,
  );
  printTable(
    Object.keys(large.medianMs).map((k) => [
      k,
      `${large.medianMs[k]} ms (with ${small.total.toLocaleString("en")} runs: ${small.medianMs[k]} ms)`,
    ]),
  );
  fs.mkdirSync("bench/results", { recursive: true });
  const file = `bench/results/dashboard-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
  fs.writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), small, large }, null, 2));
  console.log(`\nwritten to ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
