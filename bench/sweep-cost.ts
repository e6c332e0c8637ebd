// `npm run bench:sweep`: what the retention sweep costs per run it deletes, with nothing else running. It
// inserts BENCH_SWEEP_RUNS old order-shaped runs (bench/old-runs.ts), sweeps them flat out (no rests), then
// VACUUMs what the deletes left (autovacuum's share of the cost, done at once so it can be counted), and reports
// per 1,000 runs: Postgres CPU and the sweep's own process CPU (milliseconds), the WAL written, and the time. What
// `npm run bench:retention` sees as a slower flow is this cost, spread over the sweep's share of the time.
import fs from "node:fs";
import { sql } from "drizzle-orm";
import { createDatabaseHandle } from "../platform/lib/db/client";
import { migratePlatform } from "../platform/lib/db/migrate";
import { ensureProjectEnvironment } from "../platform/lib/environments";
import { RunEngine } from "../platform/lib/engine";
import { DEFAULT_SWEEP_TUNING, sweepOldRuns } from "../platform/lib/engine/retention";
import type { PlatformOptions } from "../platform/lib/platform-options";
import { startBenchPostgres } from "./bench-database";
import { numberSetting, progress, RUN_STAMP } from "./bench-settings";
import { insertOldRuns } from "./old-runs";
import { postgresWriteCounters, writesBetween } from "./postgres-writes";
import { cpuBetween, sampleProcesses } from "./process-cpu";
import { round } from "./stats";

const SETTINGS = {
  runs: numberSetting("BENCH_SWEEP_RUNS", 40_000),
  batchRuns: numberSetting("BENCH_SWEEP_BATCH_RUNS", DEFAULT_SWEEP_TUNING.batchRuns),
};
const OPTIONS: PlatformOptions = {
  secretKey: "tr_dev_sweepbench",
  defaultProjectRef: "proj_sweepbench",
  dequeue: { holdMs: 0, intervalWithRunMs: 0, intervalWithoutRunMs: 1_000, maxConcurrentRuns: 10 },
  heartbeatTimeoutMs: 30_000,
  defaultMaxAttempts: 3,
  taskEnvironment: {},
};
const AGE_SECONDS = 10;

async function phase<T>(db: Parameters<typeof postgresWriteCounters>[0], work: () => Promise<T>) {
  const writesBefore = await postgresWriteCounters(db);
  const processesBefore = sampleProcesses();
  const ownBefore = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const wallMs = performance.now() - started;
  const own = process.cpuUsage(ownBefore);
  const cpu = cpuBetween(processesBefore, sampleProcesses(), wallMs);
  return {
    result,
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
  await migratePlatform(database.url);
  // The platform's own handle (typed with its tables), as the stack's platform has.
  const platformDb = createDatabaseHandle(database.url, { max: 5 });
  try {
    const engine = new RunEngine({ db: platformDb.db, options: OPTIONS, origin: "http://sweep.bench" });
    const env = await ensureProjectEnvironment(platformDb.db, OPTIONS.defaultProjectRef, OPTIONS);
    progress(`inserting ${SETTINGS.runs.toLocaleString("en")} old runs…`);
    const inserted = await insertOldRuns(database.db, env.id, SETTINGS.runs, AGE_SECONDS);
    await database.db.execute(sql`VACUUM ANALYZE`);
    await database.db.execute(sql`CHECKPOINT`);
    progress(`sweeping them in transactions of ${SETTINGS.batchRuns}…`);
    const tuning = { ...DEFAULT_SWEEP_TUNING, batchRuns: SETTINGS.batchRuns, pauseMs: 0, workShare: 1 };
    const sweep = await phase(database.db, () => sweepOldRuns(engine.context, { olderThanMs: 1_000, everyMs: 3_600_000 }, tuning));
    if (sweep.result.deleted.runs !== inserted)
      throw new Error(`the sweep deleted ${sweep.result.deleted.runs} of the ${inserted} old runs`);
    progress("vacuuming what it left…");
    const vacuum = await phase(database.db, () => database.db.execute(sql`VACUUM`));
    const per1k = (n: number) => round((n * 1_000) / inserted, 1);
    const rows = [
      { phase: "sweep", ...sweep, transactions: sweep.result.transactions.length },
      { phase: "vacuum", ...vacuum, transactions: 1 },
    ].map((p) => ({
      phase: p.phase,
      "ms per 1k runs": per1k(p.wallMs),
      "Postgres CPU ms per 1k": per1k(p.postgresCpuMs),
      "own CPU ms per 1k": per1k(p.ownCpuMs),
      "WAL MB per 1k": per1k(p.writes.walMB),
      transactions: p.transactions,
    }));
    console.table(rows);
    const file = `bench/results/sweep-${RUN_STAMP}.json`;
    fs.writeFileSync(file, JSON.stringify({ settings: SETTINGS, inserted, rows }, null, 2));
    const total = rows.reduce((sum, r) => sum + r["Postgres CPU ms per 1k"] + r["own CPU ms per 1k"], 0);
    console.log(
      `sweeping ${inserted.toLocaleString("en")} old runs, ${SETTINGS.batchRuns} a transaction: ${round(total, 1)} ms CPU per 1,000 runs (sweep and vacuum, Postgres and the sweep's process)`,
    );
  } finally {
    await platformDb.close();
    await database.close();
    await postgres.stop();
  }
}

await main();
