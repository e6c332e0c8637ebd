// `npm run bench:retention`: what deleting old runs costs the orders flowing meanwhile. `npm start`'s stack runs
// in its own process (bench/stack-process.ts) with RUN_RETENTION_INTERVAL=2s, so its retention sweep looks every
// two seconds. BENCH_RETENTION_RUNS old finished runs are inserted with SQL (bench/old-runs.ts), just young enough
// to be kept for BENCH_SWEEP_LEAD_SECONDS more. Then orders flow at one steady rate through both measured windows:
// the one that ends as the old runs become deletable (the baseline, over the same tables) and the one that starts
// as the sweep begins deleting them. The flow never stops between them: the CLI kills a task process idle for
// 30 s, so a pause would make the second window pay for cold starts the first did not (that, not the sweep, was
// what an earlier version of this bench measured). Latency is event accepted → confirmation caught, as in
// `npm run bench`. Last line:
// `deleting N old runs while R orders/s flow: p95 X ms (without: Y ms, ratio: Z; goal < 1.10)`.
import fs from "node:fs";
import os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "drizzle-orm";
import { seedCatalog } from "../db/seed";
import { ORDER_PROJECT_REF } from "../src/config";
import { checkInvariants } from "../src/orders/check-invariants";
import { startBenchPostgres } from "./bench-database";
import { insertOldRuns, oldRunsLeft } from "./old-runs";
import { benchOrder, fireAtRate, fireBurst, latencies, OrderWatcher, type Accepted } from "./order-load";
import { startStackProcess } from "./stack-process";
import { describeActivity, watchPostgresActivity } from "./postgres-activity";
import { cpuBetween, sampleProcesses } from "./process-cpu";
import { numberSetting, progress, RUN_STAMP } from "./bench-settings";
import { printTable, round, summary } from "./stats";

const SETTINGS = {
  oldRuns: numberSetting("BENCH_RETENTION_RUNS", 100_000),
  /** The stack's capacity here is 2.2–2.6 orders/s (npm run bench): above it latency measures a growing queue. */
  rate: numberSetting("BENCH_RETENTION_RATE", 1),
  /** Each measured window's length. */
  seconds: numberSetting("BENCH_RETENTION_SECONDS", 60),
  warmUpOrders: numberSetting("BENCH_WARM_UP_ORDERS", 30),
  /** How long the sweep is watched after the measured window. */
  sweepWatchSeconds: numberSetting("BENCH_SWEEP_WATCH_SECONDS", 60),
  /** After the insert begins, how long until the old runs may be deletable: the flow's settling and the first
   *  window happen within it. */
  leadSeconds: numberSetting("BENCH_SWEEP_LEAD_SECONDS", 120),
};
/** Between a window and the moment the old runs become deletable: the sweep looks every 2 s. */
const MARGIN_MS = 3_000;
/** The flow runs at least this long before the first window opens. */
const SETTLE_MS = 15_000;
/** The stack keeps runs RETENTION_DAYS; the old runs cross that line once the first window is over. */
const RETENTION_DAYS = 30;
const GOAL_RATIO = 1.1;
const sleepUntil = (at: number) => sleep(Math.max(0, at - Date.now()));
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
  /** What the machine and Postgres did from `from` to `to` (epoch ms): what changed between the windows explains
   *  their latencies. */
  const observe = async (label: string, from: number, to: number) => {
    await sleepUntil(from);
    progress(`${label}: the window opens (${SETTINGS.seconds} s)…`);
    const activityWatch = watchPostgresActivity(database.db);
    const processesBefore = sampleProcesses();
    await sleepUntil(to);
    return { cpu: cpuBetween(processesBefore, sampleProcesses(), to - from), activity: activityWatch.stop() };
  };
  const windowLatency = (accepted: Accepted[], from: number, to: number) =>
    summary(
      latencies(
        accepted.filter((a) => a.acceptedAt >= from && a.acceptedAt < to),
        watcher,
      ),
    );

  try {
    progress(`warm-up: ${SETTINGS.warmUpOrders} orders at once (the CLI starts its task processes)…`);
    await fulfil(await fireBurst(stack.app, SETTINGS.warmUpOrders, SETTINGS.warmUpOrders, () => benchOrder("warm", PLENTY)), "warm-up");

    const [env] = await database.db.execute<{ id: string }>(
      sql`SELECT id FROM trigger_platform.environments WHERE project_ref = ${ORDER_PROJECT_REF} AND slug = 'dev'`,
    );
    if (!env) throw new Error(`the stack has no environment for ${ORDER_PROJECT_REF}`);
    // The old runs go in just young enough to be kept, and become deletable SETTINGS.leadSeconds after the insert
    // began. Vacuumed and analysed at once, so neither window meets autovacuum catching up on the insert (that is
    // the insert's cost, not the sweep's).
    progress(`inserting ${SETTINGS.oldRuns.toLocaleString("en")} old runs with SQL, deletable in ${SETTINGS.leadSeconds} s…`);
    const insertStarted = performance.now();
    const deletableAt = Date.now() + SETTINGS.leadSeconds * 1000;
    const inserted = await insertOldRuns(database.db, env.id, SETTINGS.oldRuns, RETENTION_DAYS * 86_400 - SETTINGS.leadSeconds);
    const insertSeconds = round((performance.now() - insertStarted) / 1000);
    for (const table of ["runs", "snapshots", "attempts", "waitpoints", "run_waitpoints", "run_events"])
      await database.db.execute(sql.raw(`VACUUM (ANALYZE) trigger_platform.${table}`));
    progress(`  ${inserted.toLocaleString("en")} inserted in ${insertSeconds} s, vacuumed and analysed`);

    const windowMs = SETTINGS.seconds * 1000;
    const before = { from: deletableAt - MARGIN_MS - windowMs, to: deletableAt - MARGIN_MS };
    const during = { from: deletableAt + MARGIN_MS, to: deletableAt + MARGIN_MS + windowMs };
    if (before.from - Date.now() < SETTLE_MS)
      throw new Error(
        `BENCH_SWEEP_LEAD_SECONDS=${SETTINGS.leadSeconds} leaves the flow under ${SETTLE_MS / 1000} s to settle before the first ` +
          `window (the insert took ${insertSeconds} s): raise it`,
      );

    // The sweep's progress, watched from outside: when the first old run went, and when the last did.
    const sweep = { startedAt: 0, endedAt: 0 };
    const watchSweep = setInterval(() => {
      void oldRunsLeft(database.db, env.id).then((left) => {
        if (left < inserted && sweep.startedAt === 0) sweep.startedAt = Date.now();
        if (left === 0 && sweep.endedAt === 0) sweep.endedAt = Date.now();
      });
    }, 500);
    const flowSeconds = (during.to - Date.now()) / 1000;
    progress(
      `orders flow at ${SETTINGS.rate}/s for ${round(flowSeconds)} s; the old runs become deletable in ${round((deletableAt - Date.now()) / 1000)} s…`,
    );
    const flowing = fireAtRate(stack.app, SETTINGS.rate, flowSeconds, () => benchOrder("flow", PLENTY));
    const without = await observe("without", before.from, before.to);
    const withSweep = await observe("with-sweep", during.from, during.to);
    const accepted = await flowing;
    await fulfil(accepted, "the flow");
    if (sweep.startedAt !== 0 && sweep.startedAt < before.to)
      progress(`  (the sweep began before the first window ended: raise BENCH_SWEEP_LEAD_SECONDS)`);
    // The sweep works a small share of the time (retention.ts), so 100,000 runs take it many minutes: it is
    // watched for a while after the window and its pace reported; that it deletes everything is the engine tests'.
    for (const until = Date.now() + SETTINGS.sweepWatchSeconds * 1000; sweep.endedAt === 0 && Date.now() < until;) await sleep(250);
    clearInterval(watchSweep);
    const watchedUntil = Date.now();
    const left = await oldRunsLeft(database.db, env.id);
    const [young] = await database.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM trigger_platform.runs WHERE environment_id = ${env.id} AND id LIKE 'young%'`,
    );
    const sweepSeconds = round(((sweep.endedAt || watchedUntil) - (sweep.startedAt || deletableAt)) / 1000);
    const deleted = inserted - left;
    const overlapSeconds = round(
      Math.max(0, Math.min(sweep.endedAt || during.to, during.to) - Math.max(sweep.startedAt || deletableAt, during.from)) / 1000,
    );
    const latencyMs = {
      without: windowLatency(accepted, before.from, before.to),
      withSweep: windowLatency(accepted, during.from, during.to),
    };

    // An order is marked completed just after its confirmation is caught: the checks wait for it to settle.
    let violations = await checkInvariants(database.db, { quiescent: true });
    for (const settleBy = Date.now() + 60_000; violations.length > 0 && Date.now() < settleBy;) {
      await sleep(500);
      violations = await checkInvariants(database.db, { quiescent: true });
    }
    await watcher.stop();
    await stack.stop();
    await database.close();
    await postgres.stop();

    const ratio = round(latencyMs.withSweep.p95 / latencyMs.without.p95, 3);
    const results = {
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version },
      at: new Date().toISOString(),
      settings: SETTINGS,
      oldRuns: { inserted, insertSeconds, left, youngKept: young?.n ?? 0 },
      sweep: { seconds: sweepSeconds, deleted, runsPerSecond: round(deleted / sweepSeconds), overlapWithWindowSeconds: overlapSeconds },
      latencyMs,
      cpu: { without: without.cpu, withSweep: withSweep.cpu },
      postgresActivity: { without: without.activity, withSweep: withSweep.activity },
      p95Ratio: ratio,
      invariantViolations: violations,
    };
    const file = `bench/results/retention-${RUN_STAMP}.json`;
    fs.writeFileSync(file, JSON.stringify(results, null, 2));

    console.log(`\nRetention benchmark — ${results.machine.cpus} cores, node ${process.version}`);
    const l = (s: ReturnType<typeof summary>) => `p50 ${s.p50} ms, p95 ${s.p95} ms, p99 ${s.p99} ms (n=${s.n})`;
    printTable([
      [`${SETTINGS.rate} orders/s, nothing to delete`, l(latencyMs.without)],
      [`${SETTINGS.rate} orders/s, the sweep deleting`, l(latencyMs.withSweep)],
      [
        "the sweep",
        `${deleted.toLocaleString("en")} of ${inserted.toLocaleString("en")} runs (and their snapshots, attempts, waitpoints, log lines) ` +
          `in ${sweepSeconds} s, ${results.sweep.runsPerSecond} runs/s; ${overlapSeconds} s of it within the ${SETTINGS.seconds} s window` +
          (left > 0
            ? `; the other ${left.toLocaleString("en")} at this pace in ~${round(left / Math.max(results.sweep.runsPerSecond, 0.001))} s`
            : ""),
      ],
      ["kept", `${young?.n ?? 0} newest runs of their tags`],
      ...(
        [
          ["without", without],
          ["with the sweep", withSweep],
        ] as const
      ).flatMap(([name, w]): [string, string][] => [
        [`CPU, ${name}`, w.cpu.map((c) => `${c.role} ${c.cpuPercentOfOneCore}%`).join(", ")],
        [`Postgres, ${name}`, describeActivity(w.activity)],
      ]),
      ["invariants", violations.length === 0 ? "all hold" : `${violations.length} violated: ${violations.slice(0, 3).join("; ")}`],
    ]);
    console.log(`\nwritten: ${file}`);
    if (deleted === 0 || violations.length > 0) process.exitCode = 1;
    console.log(
      `deleting ${inserted.toLocaleString("en")} old runs while ${SETTINGS.rate} orders/s flow: p95 ${latencyMs.withSweep.p95} ms ` +
        `(without: ${latencyMs.without.p95} ms, ratio: ${ratio}; goal < ${GOAL_RATIO})`,
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
