// `npm run bench:retention`: what deleting old runs costs the orders flowing meanwhile. `npm start`'s stack runs
// in its own process (bench/stack-process.ts) with RUN_RETENTION_INTERVAL=2s, so its retention sweep looks every
// two seconds. BENCH_RETENTION_RUNS old finished runs are inserted with SQL (bench/old-runs.ts), just young enough
// to be kept for BENCH_SWEEP_LEAD_SECONDS more. Then orders flow at one steady rate, never pausing, through three
// windows: **before** (ending as the old runs become deletable: the same tables, nothing to delete), **with the
// sweep** (from then until the sweep has deleted every old run, plus a tail in which autovacuum catches up on what
// it deleted) and **after** (the tables small again). The sweep's whole work falls inside the flow. The flow never
// stops: the CLI kills a task process idle for 30 s, so a pause would make the next window pay for cold starts.
// Latency is event accepted → confirmation caught, as in `npm run bench`. Last line:
// `deleting N old runs while R orders/s flow: p95 X ms (without: Y ms, ratio: Z; goal < 1.10)`, where "without" is
// the before and after windows together.
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
import { describeWrites, postgresWriteCounters, writesBetween } from "./postgres-writes";
import { statementStatsAvailable, statementsBetween, statementTotals } from "./postgres-statements";
import { cpuBetween, sampleProcesses } from "./process-cpu";
import { numberSetting, progress, RUN_STAMP } from "./bench-settings";
import { printTable, round, summary } from "./stats";

const SETTINGS = {
  oldRuns: numberSetting("BENCH_RETENTION_RUNS", 100_000),
  /** The issue asked for 5 orders/s, but the stack's capacity on two cores is 2.4–2.8 orders/s (npm run bench):
   *  above it latency measures a queue that grows as long as the flow lasts, and any work taken from the stack
   *  shows up many times over. 1.5/s keeps it about 60% busy. */
  rate: numberSetting("BENCH_RETENTION_RATE", 1.5),
  /** The length of the windows without the sweep (one before it, one after). */
  seconds: numberSetting("BENCH_RETENTION_SECONDS", 120),
  warmUpOrders: numberSetting("BENCH_WARM_UP_ORDERS", 30),
  /** The longest the sweep is given to delete every old run; past it the bench reports what is left and fails. */
  sweepMaxSeconds: numberSetting("BENCH_SWEEP_MAX_SECONDS", 1_200),
  /** After the insert begins, how long until the old runs may be deletable: the flow's settling and the first
   *  window happen within it. */
  leadSeconds: numberSetting("BENCH_SWEEP_LEAD_SECONDS", 180),
};
/** Between a window and the next change (the old runs deletable, the tail's end): the sweep looks every 2 s. */
const MARGIN_MS = 3_000;
/** The sweep's window goes on this long after the last old run went: autovacuum, which looks every minute
 *  (autovacuum_naptime), cleans up after the deletes, and that is the sweep's cost too. */
const TAIL_MS = 60_000;
/** The flow runs at least this long before the first window opens. */
const SETTLE_MS = 15_000;
/** The stack keeps runs RETENTION_DAYS; the old runs cross that line once the first window is over. */
const RETENTION_DAYS = 30;
const GOAL_RATIO = 1.1;
const sleepUntil = (at: number) => sleep(Math.max(0, at - Date.now()));
const PLENTY = "BENCH-PLENTY";
type Window = { from: number; to: number };
const SLICE_MS = 30_000;
/** How often the bench counts the old runs left (a count of them is itself work for Postgres). */
const SWEEP_WATCH_MS = 2_000;

function p95Slices(accepted: Accepted[], watcher: OrderWatcher) {
  const start = accepted[0]?.acceptedAt ?? 0;
  const slices = new Map<number, Accepted[]>();
  for (const a of accepted) {
    const slice = Math.floor((a.acceptedAt - start) / SLICE_MS);
    const orders = slices.get(slice);
    if (orders) orders.push(a);
    else slices.set(slice, [a]);
  }
  return [...slices].map(([slice, orders]) => ({
    from: new Date(start + slice * SLICE_MS).toISOString().slice(11, 19),
    p95Ms: summary(latencies(orders, watcher)).p95,
  }));
}

async function main() {
  fs.mkdirSync("bench/results", { recursive: true });
  progress("starting Postgres and the stack (npm start's, in its own process)…");
  const postgres = await startBenchPostgres({ statementStats: true });
  const database = await postgres.database("bench_retention");
  await seedCatalog(database.db, [{ sku: PLENTY, name: "Bench item (plenty)", priceCents: 1500, currency: "usd", onHand: 100_000_000 }]);
  const stack = await startStackProcess({
    databaseUrl: database.url,
    logFile: `bench/results/retention-${RUN_STAMP}-stack.log`,
    // BENCH_RUN_RETENTION (e.g. 90d) keeps the old runs: the control, with the tables as large and no sweep.
    env: {
      RUN_RETENTION: process.env.BENCH_RUN_RETENTION ?? `${RETENTION_DAYS}d`,
      RUN_RETENTION_INTERVAL: "2s",
      // The CLI replaces every task process at once after 500 runs each (trigger.config.ts): ~15 s of cold starts
      // that land in whichever window reaches 4,000 runs, sweep or not. Not within this bench's flow.
      TRIGGER_MAX_EXECUTIONS_PER_PROCESS: "100000",
    },
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
  const withStatements = await statementStatsAvailable(database.db);
  /** What the machine and Postgres did from `from` until `until()` settles: what changed between the windows
   *  explains their latencies. */
  const observe = async (label: string, from: number, until: () => Promise<unknown>) => {
    await sleepUntil(from);
    progress(`${label}: the window opens…`);
    const activityWatch = watchPostgresActivity(database.db);
    const processesBefore = sampleProcesses();
    const writesBefore = await postgresWriteCounters(database.db);
    const statementsBefore = withStatements ? await statementTotals(database.db) : undefined;
    await until();
    const window: Window = { from, to: Date.now() };
    const statementsAfter = withStatements ? await statementTotals(database.db) : undefined;
    return {
      window,
      cpu: cpuBetween(processesBefore, sampleProcesses(), window.to - from),
      activity: activityWatch.stop(),
      writes: writesBetween(writesBefore, await postgresWriteCounters(database.db)),
      statements:
        statementsBefore && statementsAfter ? statementsBetween(statementsBefore, statementsAfter, (window.to - from) / 1000) : [],
    };
  };

  try {
    progress(`warm-up: ${SETTINGS.warmUpOrders} orders at once (the CLI starts its task processes)…`);
    await fulfil(await fireBurst(stack.app, SETTINGS.warmUpOrders, SETTINGS.warmUpOrders, () => benchOrder("warm", PLENTY)), "warm-up");

    const [env] = await database.db.execute<{ id: string }>(
      sql`SELECT id FROM trigger_platform.environments WHERE project_ref = ${ORDER_PROJECT_REF} AND slug = 'dev'`,
    );
    if (!env) throw new Error(`the stack has no environment for ${ORDER_PROJECT_REF}`);
    // The old runs go in just young enough to be kept, and become deletable SETTINGS.leadSeconds after the insert
    // began. Vacuumed and analysed at once, so no window meets autovacuum catching up on the insert (that is the
    // insert's cost, not the sweep's).
    progress(`inserting ${SETTINGS.oldRuns.toLocaleString("en")} old runs with SQL, deletable in ${SETTINGS.leadSeconds} s…`);
    const insertStarted = performance.now();
    const deletableAt = Date.now() + SETTINGS.leadSeconds * 1000;
    const inserted = await insertOldRuns(database.db, env.id, SETTINGS.oldRuns, RETENTION_DAYS * 86_400 - SETTINGS.leadSeconds);
    const insertSeconds = round((performance.now() - insertStarted) / 1000);
    for (const table of ["runs", "snapshots", "attempts", "waitpoints", "run_waitpoints", "run_events"])
      await database.db.execute(sql.raw(`VACUUM (ANALYZE) trigger_platform.${table}`));
    progress(`  ${inserted.toLocaleString("en")} inserted in ${insertSeconds} s, vacuumed and analysed`);

    const windowMs = SETTINGS.seconds * 1000;
    const beforeFrom = deletableAt - MARGIN_MS - windowMs;
    if (beforeFrom - Date.now() < SETTLE_MS)
      throw new Error(
        `BENCH_SWEEP_LEAD_SECONDS=${SETTINGS.leadSeconds} leaves the flow under ${SETTLE_MS / 1000} s to settle before the first ` +
          `window (the insert took ${insertSeconds} s): raise it`,
      );

    // The sweep's progress, watched from outside: when the first old run went, and when the last did (or the time
    // it was given ran out).
    const sweep = { startedAt: 0, endedAt: 0, left: inserted };
    const sweepGivenUpAt = deletableAt + SETTINGS.sweepMaxSeconds * 1000;
    const sweepOver = (async () => {
      while (sweep.left > 0 && Date.now() < sweepGivenUpAt) {
        sweep.left = await oldRunsLeft(database.db);
        if (sweep.left < inserted && sweep.startedAt === 0) sweep.startedAt = Date.now();
        if (sweep.left === 0) sweep.endedAt = Date.now();
        else await sleep(SWEEP_WATCH_MS);
      }
    })();
    const lastDeleteLogged = { at: 0 };
    const logSweep = setInterval(() => {
      if (sweep.startedAt === 0 || sweep.endedAt !== 0 || Date.now() - lastDeleteLogged.at < 30_000) return;
      lastDeleteLogged.at = Date.now();
      progress(`  the sweep: ${(inserted - sweep.left).toLocaleString("en")} of ${inserted.toLocaleString("en")} old runs deleted`);
    }, 1_000);

    progress(
      `orders flow at ${SETTINGS.rate}/s until the sweep is done (at most ${SETTINGS.sweepMaxSeconds} s after the old runs become ` +
        `deletable, in ${round((deletableAt - Date.now()) / 1000)} s)…`,
    );
    const stopFlow = new AbortController();
    const flowSeconds = (sweepGivenUpAt + TAIL_MS + 2 * MARGIN_MS + windowMs - Date.now()) / 1000;
    const flowing = fireAtRate(stack.app, SETTINGS.rate, flowSeconds, () => benchOrder("flow", PLENTY), stopFlow.signal);
    const before = await observe("before", beforeFrom, () => sleepUntil(deletableAt - MARGIN_MS));
    const during = await observe("with the sweep", deletableAt + MARGIN_MS, async () => {
      await sweepOver;
      progress(`  the sweep is done; ${TAIL_MS / 1000} s more for autovacuum to follow it…`);
      await sleep(TAIL_MS);
    });
    const after = await observe("after", during.window.to + MARGIN_MS, () => sleep(windowMs));
    stopFlow.abort();
    clearInterval(logSweep);
    const accepted = await flowing;
    await fulfil(accepted, "the flow");
    if (sweep.startedAt !== 0 && sweep.startedAt < before.window.to)
      progress(`  (the sweep began before the first window ended: raise BENCH_SWEEP_LEAD_SECONDS)`);

    const [young] = await database.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM trigger_platform.runs WHERE environment_id = ${env.id} AND id LIKE 'young%'`,
    );
    const deleted = inserted - sweep.left;
    const sweepSeconds = round(((sweep.endedAt || during.window.to) - (sweep.startedAt || deletableAt)) / 1000);
    const acceptedIn = (window: Window) => accepted.filter((a) => a.acceptedAt >= window.from && a.acceptedAt < window.to);
    const latencyMs = {
      before: summary(latencies(acceptedIn(before.window), watcher)),
      withSweep: summary(latencies(acceptedIn(during.window), watcher)),
      after: summary(latencies(acceptedIn(after.window), watcher)),
      without: summary(latencies([...acceptedIn(before.window), ...acceptedIn(after.window)], watcher)),
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
    const windows = { before, withSweep: during, after };
    const results = {
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version },
      at: new Date().toISOString(),
      settings: SETTINGS,
      oldRuns: { inserted, insertSeconds, left: sweep.left, youngKept: young?.n ?? 0 },
      sweep: { seconds: sweepSeconds, deleted, runsPerSecond: round(deleted / sweepSeconds) },
      windowSeconds: Object.fromEntries(Object.entries(windows).map(([name, w]) => [name, round((w.window.to - w.window.from) / 1000)])),
      latencyMs,
      cpu: Object.fromEntries(Object.entries(windows).map(([name, w]) => [name, w.cpu])),
      postgresActivity: Object.fromEntries(Object.entries(windows).map(([name, w]) => [name, w.activity])),
      postgresWrites: Object.fromEntries(Object.entries(windows).map(([name, w]) => [name, w.writes])),
      // The statements that took Postgres's time in each window (ms of it per second of the window).
      postgresStatements: Object.fromEntries(Object.entries(windows).map(([name, w]) => [name, w.statements])),
      // The flow's p95 in 30 s slices, to set against the windows' checkpoints and autovacuums.
      p95Every30s: p95Slices(accepted, watcher),
      p95Ratio: ratio,
      invariantViolations: violations,
    };
    const file = `bench/results/retention-${RUN_STAMP}.json`;
    fs.writeFileSync(file, JSON.stringify(results, null, 2));

    console.log(`\nRetention benchmark — ${results.machine.cpus} cores, node ${process.version}`);
    const l = (s: ReturnType<typeof summary>) => `p50 ${s.p50} ms, p95 ${s.p95} ms, p99 ${s.p99} ms (n=${s.n})`;
    const seconds = (name: keyof typeof windows) => `${results.windowSeconds[name]} s`;
    printTable([
      [`before: ${SETTINGS.rate} orders/s, nothing to delete (${seconds("before")})`, l(latencyMs.before)],
      [`with the sweep deleting (${seconds("withSweep")})`, l(latencyMs.withSweep)],
      [`after: the old runs gone (${seconds("after")})`, l(latencyMs.after)],
      ["without: before and after", l(latencyMs.without)],
      [
        "the sweep",
        `${deleted.toLocaleString("en")} of ${inserted.toLocaleString("en")} runs (and their snapshots, attempts, waitpoints, log lines) ` +
          `in ${sweepSeconds} s, ${results.sweep.runsPerSecond} runs/s` +
          (sweep.left > 0 ? `; ${sweep.left.toLocaleString("en")} still there after ${SETTINGS.sweepMaxSeconds} s` : ""),
      ],
      ["kept", `${young?.n ?? 0} newest runs of their tags`],
      ...(
        [
          ["before", before],
          ["with the sweep", during],
          ["after", after],
        ] as const
      ).flatMap(([name, w]): [string, string][] => [
        [`CPU, ${name}`, w.cpu.map((c) => `${c.role} ${c.cpuPercentOfOneCore}%`).join(", ")],
        [`Postgres, ${name}`, describeActivity(w.activity)],
        [`Postgres writes, ${name}`, describeWrites(w.writes)],
        ...w.statements
          .slice(0, 4)
          .map((st, i): [string, string] => [
            i === 0 ? `Postgres's time, ${name}` : "",
            `${st.msPerSecond} ms/s (${st.callsPerSecond}/s × ${st.meanMs} ms): ${st.query.slice(0, 90)}`,
          ]),
      ]),
      ["invariants", violations.length === 0 ? "all hold" : `${violations.length} violated: ${violations.slice(0, 3).join("; ")}`],
    ]);
    console.log(`\nwritten: ${file}`);
    // Every old run must go within the flow, except in the control (BENCH_RUN_RETENTION), which keeps them all.
    const control = process.env.BENCH_RUN_RETENTION !== undefined;
    if (violations.length > 0 || (sweep.left > 0 && !control)) process.exitCode = 1;
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
