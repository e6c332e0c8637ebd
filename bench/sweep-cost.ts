// `npm run bench:sweep`: what the retention sweep costs per run it deletes, with nothing else running. A
// platform (local-trigger's startPlatform, in this process) sweeps BENCH_SWEEP_RUNS old order-shaped runs
// (bench/old-runs.ts) flat out (no rests), then the bench VACUUMs what the deletes left (autovacuum's share of the
// cost, done at once so it can be counted), and reports per 1,000 runs: Postgres CPU and the platform process's
// CPU (milliseconds), the WAL written, and the time. What `npm run bench:retention` sees as a slower flow is this
// cost, spread over the sweep's share of the time.
import fs from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "drizzle-orm";
import { DEFAULT_SWEEP_TUNING, startPlatform, type PlatformOptions } from "local-trigger";
import { startBenchPostgres } from "./bench-database";
import { numberSetting, progress, RUN_STAMP } from "./bench-settings";
import { insertOldRuns, oldRunsLeft } from "./old-runs";
import { postgresWriteCounters, writesBetween } from "./postgres-writes";
import { cpuBetween, sampleProcesses } from "./process-cpu";
import { round } from "./stats";

const SETTINGS = {
  runs: numberSetting("BENCH_SWEEP_RUNS", 40_000),
  batchRuns: numberSetting("BENCH_SWEEP_BATCH_RUNS", DEFAULT_SWEEP_TUNING.batchRuns),
};
const PROJECT_REF = "proj_sweepbench";
/** The old runs cross the retention line this long after they are inserted (the vacuum and checkpoint first). */
const LEAD_SECONDS = 5;
const RETENTION_SECONDS = 60;
/** How often the bench counts the old runs left (each count is a little work for Postgres too). */
const WATCH_MS = 250;

async function phase(db: Parameters<typeof postgresWriteCounters>[0], work: () => Promise<unknown>) {
  const writesBefore = await postgresWriteCounters(db);
  const processesBefore = sampleProcesses();
  const ownBefore = process.cpuUsage();
  const started = performance.now();
  await work();
  const wallMs = performance.now() - started;
  const own = process.cpuUsage(ownBefore);
  const cpu = cpuBetween(processesBefore, sampleProcesses(), wallMs);
  return {
    wallMs,
    postgresCpuMs: cpu.find((c) => c.role === "postgres")?.cpuMs ?? 0,
    ownCpuMs: (own.user + own.system) / 1000,
    writes: writesBetween(writesBefore, await postgresWriteCounters(db)),
  };
}

async function main() {
  fs.mkdirSync("bench/results", { recursive: true });
  const postgres = await startBenchPostgres();
  const database = await postgres.database("bench_sweep");
  // The platform as `npm start` runs it, sweeping every second with no rests between its transactions.
  const options: PlatformOptions = {
    defaultProjectRef: PROJECT_REF,
    dequeue: { holdMs: 0, intervalWithRunMs: 0, intervalWithoutRunMs: 1_000, maxConcurrentRuns: 10 },
    heartbeatTimeoutMs: 30_000,
    defaultMaxAttempts: 3,
    taskEnvironment: {},
    retention: {
      olderThanMs: RETENTION_SECONDS * 1000,
      everyMs: 1_000,
      tuning: { ...DEFAULT_SWEEP_TUNING, batchRuns: SETTINGS.batchRuns, pauseMs: 0, workShare: 1 },
    },
  };
  const platform = await startPlatform({ databaseUrl: database.url, port: 0, poolSize: 5, options });
  try {
    const [env] = await database.db.execute<{ id: string }>(
      sql`SELECT id FROM trigger_platform.environments WHERE project_ref = ${PROJECT_REF} AND slug = 'dev'`,
    );
    if (!env) throw new Error(`the platform made no environment for ${PROJECT_REF}`);
    progress(`inserting ${SETTINGS.runs.toLocaleString("en")} old runs…`);
    const inserted = await insertOldRuns(database.db, env.id, SETTINGS.runs, RETENTION_SECONDS - LEAD_SECONDS);
    await database.db.execute(sql`VACUUM ANALYZE`);
    await database.db.execute(sql`CHECKPOINT`);
    progress(`the platform sweeps them, ${SETTINGS.batchRuns} a transaction…`);
    while ((await oldRunsLeft(database.db)) === inserted) await sleep(WATCH_MS);
    const sweep = await phase(database.db, async () => {
      while ((await oldRunsLeft(database.db)) > 0) await sleep(WATCH_MS);
    });
    progress("vacuuming what it left…");
    const vacuum = await phase(database.db, () => database.db.execute(sql`VACUUM`));
    const per1k = (n: number) => round((n * 1_000) / inserted, 1);
    const rows = [
      { phase: "sweep", ...sweep },
      { phase: "vacuum", ...vacuum },
    ].map((p) => ({
      phase: p.phase,
      "ms per 1k runs": per1k(p.wallMs),
      "Postgres CPU ms per 1k": per1k(p.postgresCpuMs),
      "platform CPU ms per 1k": per1k(p.ownCpuMs),
      "WAL MB per 1k": per1k(p.writes.walMB),
    }));
    console.table(rows);
    const file = `bench/results/sweep-${RUN_STAMP}.json`;
    fs.writeFileSync(file, JSON.stringify({ settings: SETTINGS, inserted, rows }, null, 2));
    const total = rows.reduce((sum, r) => sum + r["Postgres CPU ms per 1k"] + r["platform CPU ms per 1k"], 0);
    console.log(
      `sweeping ${inserted.toLocaleString("en")} old runs, ${SETTINGS.batchRuns} a transaction: ${round(total, 1)} ms CPU per 1,000 runs (sweep and vacuum, Postgres and the platform's process)`,
    );
  } finally {
    await platform.close();
    await database.close();
    await postgres.stop();
  }
}

await main();
