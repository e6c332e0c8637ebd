// `npm run bench:retention`: what deleting old runs costs the orders flowing meanwhile. `npm start`'s stack runs
// in its own process (bench/stack-process.ts) with RUN_RETENTION_INTERVAL=2s, so its retention sweep looks every
// two seconds. BENCH_RETENTION_RUNS old finished runs are inserted with SQL (bench/old-runs.ts) just young enough
// to be kept; orders are POSTed at a fixed rate for the same time twice, in the same run: first while the old runs
// are still kept (the baseline, over the same tables), then once they are deletable, while the sweep deletes them.
// Latency is event accepted →
// confirmation caught, as in `npm run bench`. Last line:
// `deleting N old runs while R orders/s flow: p95 X ms (without: Y ms, ratio: Z; goal < 1.10)`.
import fs from "node:fs";
import os from "node:os";
import { sql } from "drizzle-orm";
import { seedCatalog } from "../db/seed";
import { ORDER_PROJECT_REF } from "../src/config";
import { checkInvariants } from "../src/orders/check-invariants";
import { startBenchPostgres } from "./bench-database";
import { insertOldRuns, oldRunsLeft } from "./old-runs";
import { benchOrder, fireAtRate, fireBurst, latencies, OrderWatcher, type Accepted } from "./order-load";
import { startStackProcess } from "./stack-process";
import { numberSetting, progress, RUN_STAMP } from "./bench-settings";
import { printTable, round, summary } from "./stats";

const SETTINGS = {
  oldRuns: numberSetting("BENCH_RETENTION_RUNS", 100_000),
  rate: numberSetting("BENCH_OFFERED_RATE", 5),
  seconds: numberSetting("BENCH_RETENTION_SECONDS", 20),
  warmUpOrders: numberSetting("BENCH_WARM_UP_ORDERS", 30),
  /** How long the sweep is watched after the measured window. */
  sweepWatchSeconds: numberSetting("BENCH_SWEEP_WATCH_SECONDS", 90),
  /** After the insert, how long until the old runs may be deleted: longer than the first window takes. */
  leadSeconds: numberSetting("BENCH_SWEEP_LEAD_SECONDS", 150),
};
/** The stack keeps runs RETENTION_DAYS; the old runs cross that line once the first window is over. */
const RETENTION_DAYS = 30;
const GOAL_RATIO = 1.1;
const PLENTY = "BENCH-PLENTY";

async function main() {
  fs.mkdirSync("bench/results", { recursive: true });
  progress("starting Postgres and the stack (npm start's, in its own process)…");
  const postgres = await startBenchPostgres();
  const database = await postgres.database("bench_retention");
  await seedCatalog(database.db, [{ sku: PLENTY, name: "Bench item (plenty)", priceCents: 1500, currency: "usd", onHand: 100_000_000 }]);
  const stack = await startStackProcess({
    databaseUrl: database.url,
    logFile: `bench/results/retention-${RUN_STAMP}-stack.log`,
    // BENCH_RUN_RETENTION (e.g. 90d) keeps the old runs: the control, with the tables as large and no sweep.
    env: { RUN_RETENTION: process.env.BENCH_RUN_RETENTION ?? `${RETENTION_DAYS}d`, RUN_RETENTION_INTERVAL: "2s" },
  });
  progress(`stack ready in ${stack.readyMs} ms`);
  const watcher = new OrderWatcher(database.db);
  watcher.start();
  const fulfil = (accepted: Accepted[], label: string) =>
    watcher.waitFor(
      accepted.map((a) => a.id),
      "confirmed",
      300_000,
      (done) => {
        if (done === accepted.length) progress(`  ${label}: ${done}/${accepted.length} confirmed`);
      },
    );
  const atRate = async (label: string) => {
    progress(`${label}: ${SETTINGS.rate} orders/s for ${SETTINGS.seconds} s…`);
    const accepted = await fireAtRate(stack.app, SETTINGS.rate, SETTINGS.seconds, () => benchOrder(label, PLENTY));
    const firedAt = Date.now();
    await fulfil(accepted, label);
    return { accepted, firedAt, latencyMs: summary(latencies(accepted, watcher)) };
  };

  try {
    progress(`warm-up: ${SETTINGS.warmUpOrders} orders at once (the CLI starts its task processes)…`);
    await fulfil(await fireBurst(stack.app, SETTINGS.warmUpOrders, SETTINGS.warmUpOrders, () => benchOrder("warm", PLENTY)), "warm-up");

    const [env] = await database.db.execute<{ id: string }>(
      sql`SELECT id FROM trigger_platform.environments WHERE project_ref = ${ORDER_PROJECT_REF} AND slug = 'dev'`,
    );
    if (!env) throw new Error(`the stack has no environment for ${ORDER_PROJECT_REF}`);
    // Both windows run over the same tables: the old runs go in first, just young enough to be kept, and become
    // deletable SETTINGS.leadSeconds later, after the first window. Vacuumed and analysed at once, so neither
    // window meets autovacuum catching up on the insert (that is the insert's cost, not the sweep's).
    progress(`inserting ${SETTINGS.oldRuns.toLocaleString("en")} old runs with SQL, deletable in ${SETTINGS.leadSeconds} s…`);
    const insertStarted = performance.now();
    const deletableAt = Date.now() + SETTINGS.leadSeconds * 1000;
    const inserted = await insertOldRuns(database.db, env.id, SETTINGS.oldRuns, RETENTION_DAYS * 86_400 - SETTINGS.leadSeconds);
    const insertSeconds = round((performance.now() - insertStarted) / 1000);
    for (const table of ["runs", "snapshots", "attempts", "waitpoints", "run_waitpoints", "run_events"])
      await database.db.execute(sql.raw(`VACUUM (ANALYZE) trigger_platform.${table}`));
    progress(`  ${inserted.toLocaleString("en")} inserted in ${insertSeconds} s, vacuumed and analysed`);

    const without = await atRate("without");
    const early = inserted - (await oldRunsLeft(database.db, env.id));
    if (early > 0)
      progress(`  (the sweep began before the first window ended: ${early} old runs already gone; raise BENCH_SWEEP_LEAD_SECONDS)`);
    progress(`waiting until the old runs are deletable…`);
    while (Date.now() < deletableAt + 3_000) await new Promise((r) => setTimeout(r, 250));

    // The sweep's progress, watched from outside: when the first old run went, and when the last did.
    const sweep = { startedAt: 0, endedAt: 0 };
    const sweepStarted = Date.now();
    const watchSweep = setInterval(() => {
      void oldRunsLeft(database.db, env.id).then((left) => {
        if (left < inserted && sweep.startedAt === 0) sweep.startedAt = Date.now();
        if (left === 0 && sweep.endedAt === 0) sweep.endedAt = Date.now();
      });
    }, 500);
    const withSweep = await atRate("with-sweep");
    const windowEnd = withSweep.firedAt;
    // The sweep works a tenth of the time (retention.ts), so 100,000 runs take it many minutes: it is watched
    // for a while after the window and its pace reported; that it deletes everything is the engine tests' job.
    for (const until = Date.now() + SETTINGS.sweepWatchSeconds * 1000; sweep.endedAt === 0 && Date.now() < until;)
      await new Promise((r) => setTimeout(r, 250));
    clearInterval(watchSweep);
    const watchedUntil = Date.now();
    const left = await oldRunsLeft(database.db, env.id);
    const [young] = await database.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM trigger_platform.runs WHERE environment_id = ${env.id} AND id LIKE 'young%'`,
    );
    const sweepSeconds = round(((sweep.endedAt || watchedUntil) - (sweep.startedAt || sweepStarted)) / 1000);
    const deleted = inserted - left;
    const overlapSeconds = round((Math.min(sweep.endedAt || windowEnd, windowEnd) - (sweep.startedAt || sweepStarted)) / 1000);

    // An order is marked completed just after its confirmation is caught: the checks wait for it to settle.
    let violations = await checkInvariants(database.db, { quiescent: true });
    for (const settleBy = Date.now() + 60_000; violations.length > 0 && Date.now() < settleBy;) {
      await new Promise((r) => setTimeout(r, 500));
      violations = await checkInvariants(database.db, { quiescent: true });
    }
    await watcher.stop();
    await stack.stop();
    await database.close();
    await postgres.stop();

    const ratio = round(withSweep.latencyMs.p95 / without.latencyMs.p95, 3);
    const results = {
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version },
      at: new Date().toISOString(),
      settings: SETTINGS,
      oldRuns: { inserted, insertSeconds, left, youngKept: young?.n ?? 0 },
      sweep: { seconds: sweepSeconds, deleted, runsPerSecond: round(deleted / sweepSeconds), overlapWithWindowSeconds: overlapSeconds },
      latencyMs: { without: without.latencyMs, withSweep: withSweep.latencyMs },
      p95Ratio: ratio,
      invariantViolations: violations,
    };
    const file = `bench/results/retention-${RUN_STAMP}.json`;
    fs.writeFileSync(file, JSON.stringify(results, null, 2));

    console.log(`\nRetention benchmark — ${results.machine.cpus} cores, node ${process.version}`);
    const l = (s: ReturnType<typeof summary>) => `p50 ${s.p50} ms, p95 ${s.p95} ms, p99 ${s.p99} ms (n=${s.n})`;
    printTable([
      [`${SETTINGS.rate} orders/s, nothing to delete`, l(without.latencyMs)],
      [`${SETTINGS.rate} orders/s, the sweep deleting`, l(withSweep.latencyMs)],
      [
        "the sweep",
        `${deleted.toLocaleString("en")} of ${inserted.toLocaleString("en")} runs (and their snapshots, attempts, waitpoints, log lines) ` +
          `in ${sweepSeconds} s, ${results.sweep.runsPerSecond} runs/s; ${overlapSeconds} s of it within the ${SETTINGS.seconds} s window` +
          (left > 0
            ? `; the other ${left.toLocaleString("en")} at this pace in ~${round(left / Math.max(results.sweep.runsPerSecond, 0.001))} s`
            : ""),
      ],
      ["kept", `${young?.n ?? 0} newest runs of their tags`],
      ["invariants", violations.length === 0 ? "all hold" : `${violations.length} violated: ${violations.slice(0, 3).join("; ")}`],
    ]);
    console.log(`\nwritten: ${file}`);
    if (deleted === 0 || violations.length > 0) process.exitCode = 1;
    console.log(
      `deleting ${inserted.toLocaleString("en")} old runs while ${SETTINGS.rate} orders/s flow: p95 ${withSweep.latencyMs.p95} ms ` +
        `(without: ${without.latencyMs.p95} ms, ratio: ${ratio}; goal < ${GOAL_RATIO})`,
    );
  } catch (error) {
    await watcher.stop();
    await stack.stop().catch(() => {});
    await database.close().catch(() => {});
    await postgres.stop().catch(() => {});
    throw error;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
