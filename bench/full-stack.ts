// `npm run bench`: orders per second and latency through the whole stack, beside the direct baseline, in
// one run. Phases (each one's peak memory per process is recorded):
//   1. direct baseline: the domain steps in this process (bench/direct-orders.ts) at concurrency 1, 8, 32;
//   2. full stack: `npm start`'s stack in its own process with the real CLI (bench/stack-process.ts);
//      orders POSTed at fixed offered rates (1/s, 5/s), then as fast as it goes (a backlog kept in flight);
//   3. contention: 200 orders for 50 units of one SKU, time to drain, the stock exactly sold out;
//   4. the invariant checker over the database;
//   5. the platform alone (bench/platform-measures.ts) with the no-op fixture project, its order-shaped
//      no-op workflow included, and the same against the in-memory server: the ceiling the CLI allows;
//   6. the run engine alone (bench/engine-measures.ts): the floor of a durable platform's share.
// Output: a table, issue 16's targets each beside its figure (✓/✗), bench/results/bench-<time>.json and .svg
// (latency distribution), and last the line `full-stack orders/s: X (direct: Y, ratio: Z; ceiling: C, ratio: R)`.
import fs from "node:fs";
import os from "node:os";
import { sql } from "drizzle-orm";
import { SCRATCH_HANDLE_NAME } from "../db/scratch-postgres";
import { seedCatalog } from "../db/seed";
import { checkInvariants } from "../src/orders/check-invariants";
import { startBenchPostgres } from "./bench-database";
import { measureDirect, type DirectResult } from "./direct-orders";
import { latencyChartSvg } from "./latency-chart";
import { stackMemoryNow, trackMemory } from "./memory-peaks";
import { benchOrder, fireAtRate, fireBurst, fireWithBacklog, latencies, OrderWatcher, type Accepted } from "./order-load";
import { backendsOf } from "./postgres-activity";
import { measureInMemoryPlatform, measurePlatform, PLATFORM_TARGETS, platformRatios } from "./platform-measures";
import { measureEngineAlone } from "./engine-measures";
import { targetBudgets } from "./target-budgets";
import { TASK_PROCESS_ROLE, cpuBetween, sampleProcesses } from "./process-cpu";
import { BENCH_ACCESS_TOKEN, startStackProcess } from "./stack-process";
import { numberSetting, progress, RUN_STAMP } from "./bench-settings";
import { printTable, ratioAgainst, round, summary } from "./stats";

const SETTINGS = {
  directSeconds: numberSetting("BENCH_DIRECT_SECONDS", 3),
  offeredRate: numberSetting("BENCH_OFFERED_RATE", 5),
  /** A rate under the stack's capacity here, for the latency of an order that does not queue. */
  lightRate: numberSetting("BENCH_LIGHT_RATE", 1),
  offeredSeconds: numberSetting("BENCH_OFFERED_SECONDS", 8),
  /** Long enough for a p50 of 20 orders: the light rate's latency is a target's figure. */
  lightSeconds: numberSetting("BENCH_LIGHT_SECONDS", 20),
  sustainSeconds: numberSetting("BENCH_SUSTAIN_SECONDS", 60),
  backlog: numberSetting("BENCH_BACKLOG", 24),
  contentionOrders: numberSetting("BENCH_CONTENTION_ORDERS", 200),
  contentionUnits: numberSetting("BENCH_CONTENTION_UNITS", 50),
};
/** Issue 16's targets for the whole (the platform's own are PLATFORM_TARGETS). */
const TARGETS = {
  /** (task-process CPU per order − per no-op workflow) ÷ the direct baseline's CPU per order. */
  domainCpu: { atMost: 1.5 },
  /** Sustained orders/s ÷ the in-memory server's order-shaped no-op workflows/s. */
  ofCeiling: { atLeast: 0.8 },
  /** p50 at the light rate ÷ (the ceiling's one-workflow p50 + the direct baseline's one-order p50). */
  lightLatency: { atMost: 1.15 },
  /** The warm stack at rest, MB in all (proportional set size: shared pages counted once). */
  idleWarmMb: { atMost: 1_500 },
};
const WARM_UP_ORDERS = 30;
const IDLE_SECONDS = 3;
/** Sent before the sustained window opens, so the window sees a full backlog, not the ramp. */
const RAMP_SECONDS = 3;
const PLENTY = "BENCH-PLENTY";
const SCARCE = "BENCH-SCARCE";

async function main() {
  const benchStarted = performance.now();
  fs.mkdirSync("bench/results", { recursive: true });
  const memory = trackMemory();
  memory.phase("booting");

  progress("starting Postgres and the stack (npm start's, in its own process)…");
  const postgres = await startBenchPostgres();
  const database = await postgres.database("bench_orders");
  await seedCatalog(database.db, [
    { sku: PLENTY, name: "Bench item (plenty)", priceCents: 1500, currency: "usd", onHand: 100_000_000 },
    { sku: SCARCE, name: "Bench item (scarce)", priceCents: 1500, currency: "usd", onHand: SETTINGS.contentionUnits },
  ]);
  const stack = await startStackProcess({ databaseUrl: database.url, logFile: `bench/results/bench-${RUN_STAMP}-stack.log` });
  progress(`stack ready in ${stack.readyMs} ms`);
  const watcher = new OrderWatcher(database.db);
  watcher.start();
  const fulfil = async (accepted: Accepted[], timeoutMs: number, label: string) => {
    let shown = -1;
    await watcher.waitFor(
      accepted.map((a) => a.id),
      "confirmed",
      timeoutMs,
      (done) => {
        if (done !== shown && (done === accepted.length || done % 25 === 0))
          progress(`  ${label}: ${(shown = done)}/${accepted.length} confirmed`);
      },
    );
  };

  try {
    memory.phase("idle");
    await new Promise((r) => setTimeout(r, 2_000));

    // 1. Direct baseline.
    memory.phase("direct baseline");
    const direct: DirectResult[] = [];
    for (const concurrency of [1, 8, 32]) {
      direct.push(
        await measureDirect(
          database.db,
          { stripe: stack.stripePort, smtp: stack.smtpPort, dataDir: stack.dataDir },
          concurrency,
          SETTINGS.directSeconds,
          () => benchOrder("direct", PLENTY),
        ),
      );
      progress(`direct baseline, concurrency ${concurrency}: ${direct.at(-1)!.ordersPerSecond} orders/s`);
    }
    const bestDirect = direct.reduce((a, b) => (b.ordersPerSecond > a.ordersPerSecond ? b : a));

    // 2a. Warm-up: the CLI starts task processes on first use (seconds each here); not part of a figure.
    memory.phase("warm-up");
    progress(`warm-up: ${WARM_UP_ORDERS} orders at once (the CLI starts its task processes)…`);
    const warmStarted = performance.now();
    const warm = await fireBurst(stack.app, WARM_UP_ORDERS, WARM_UP_ORDERS, () => benchOrder("warm", PLENTY));
    await fulfil(warm, 180_000, "warm-up");
    const warmUpMs = Math.round(performance.now() - warmStarted);

    // 2b. What the warm stack costs doing nothing (polls, timers, the task processes' metrics).
    memory.phase("idle, warm");
    const idleCpuBefore = sampleProcesses();
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    const idleCpu = cpuBetween(idleCpuBefore, sampleProcesses(), IDLE_SECONDS * 1000);
    const idleWarmMemory = stackMemoryNow(await backendsOf(database.db, SCRATCH_HANDLE_NAME));

    // 2c. Fixed offered rates: latency, light and at the target's rate.
    const atRate = async (rate: number, seconds: number, prefix: string) => {
      memory.phase(`${rate} orders/s offered`);
      progress(`${rate} orders/s offered for ${seconds} s…`);
      const cpuBefore = sampleProcesses();
      const started = performance.now();
      const accepted = await fireAtRate(stack.app, rate, seconds, () => benchOrder(prefix, PLENTY));
      await fulfil(accepted, 120_000, `${rate}/s`);
      const valuesMs = latencies(accepted, watcher);
      return {
        ratePerSecond: rate,
        orders: accepted.length,
        latencyMs: summary(valuesMs),
        valuesMs,
        cpu: cpuBetween(cpuBefore, sampleProcesses(), performance.now() - started),
      };
    };
    const light = await atRate(SETTINGS.lightRate, SETTINGS.lightSeconds, "light");
    const { valuesMs: offeredLatency, ...offered } = await atRate(SETTINGS.offeredRate, SETTINGS.offeredSeconds, "rate");
    const { valuesMs: lightLatency, ...lightFigures } = light;

    // 2d. As fast as it goes: a backlog in flight; orders/s counted over the window after the ramp.
    memory.phase("as fast as possible");
    progress(`as fast as possible (${SETTINGS.backlog} orders kept in flight) for ${RAMP_SECONDS} + ${SETTINGS.sustainSeconds} s…`);
    const sustainStarted = Date.now();
    let windowCpuBefore = sampleProcesses();
    let routesBefore = readRoutes(stack.platformUrl);
    const windowOpens = sustainStarted + RAMP_SECONDS * 1000;
    setTimeout(() => {
      windowCpuBefore = sampleProcesses();
      routesBefore = readRoutes(stack.platformUrl);
    }, RAMP_SECONDS * 1000);
    const flood = await fireWithBacklog(stack.app, watcher, SETTINGS.backlog, RAMP_SECONDS + SETTINGS.sustainSeconds, () =>
      benchOrder("flood", PLENTY),
    );
    const windowCloses = Date.now();
    const windowCpu = cpuBetween(windowCpuBefore, sampleProcesses(), windowCloses - windowOpens);
    const routesInWindow = routesBetween(await routesBefore, await readRoutes(stack.platformUrl));
    const inWindow = flood.filter((a) => {
      const at = watcher.confirmedAt(a.id);
      return at !== undefined && at >= windowOpens && at < windowCloses;
    }).length;
    const sustained = round(inWindow / ((windowCloses - windowOpens) / 1000), 2);
    const platformRequestsPerOrder = routesInWindow.map((r) => ({ ...r, perOrder: round(r.count / Math.max(1, inWindow), 2) }));
    progress(`sustained ${sustained} orders/s; letting the backlog drain…`);
    await fulfil(flood, 180_000, "drain");
    const floodLatency = latencies(flood, watcher);

    // 3. Contention: more orders than stock for one SKU, all at once.
    memory.phase("contention");
    progress(`contention: ${SETTINGS.contentionOrders} orders for ${SETTINGS.contentionUnits} units of ${SCARCE}…`);
    const contentionStarted = performance.now();
    const contended = await fireBurst(stack.app, SETTINGS.contentionOrders, 20, () => benchOrder("scarce", SCARCE));
    await watcher.waitFor(
      contended.map((a) => a.id),
      "terminal",
      300_000,
    );
    const drainMs = Math.round(performance.now() - contentionStarted);
    const outcomes = new Map<string, number>();
    for (const { id } of contended) {
      const status = watcher.statusOf(id)!;
      outcomes.set(status, (outcomes.get(status) ?? 0) + 1);
    }
    const [scarce] = await database.db.execute<{ on_hand: number; reserved: number }>(
      sql`SELECT on_hand, reserved FROM fulfillment.inventory WHERE sku = ${SCARCE}`,
    );
    const contention = {
      orders: SETTINGS.contentionOrders,
      units: SETTINGS.contentionUnits,
      drainMs,
      outcomes: Object.fromEntries(outcomes),
      stockLeft: scarce,
      soldExactly: (outcomes.get("completed") ?? 0) === SETTINGS.contentionUnits && scarce?.on_hand === 0 && scarce?.reserved === 0,
    };
    progress(`contention drained in ${drainMs} ms: ${JSON.stringify(contention.outcomes)}`);

    // 4. Invariants, with everything settled: an order is terminal before its last mail has gone (the workflow
    // marks it, then mails), so the stack keeps running until the checks hold or a minute has passed.
    memory.phase("stopping");
    let violations = await checkInvariants(database.db, { quiescent: true });
    for (const settleBy = Date.now() + 60_000; violations.length > 0 && Date.now() < settleBy;) {
      await new Promise((r) => setTimeout(r, 500));
      violations = await checkInvariants(database.db, { quiescent: true });
    }
    await watcher.stop();
    await stack.stop();
    violations = await checkInvariants(database.db, { quiescent: true });
    progress(violations.length === 0 ? "invariants: all hold" : `invariants: ${violations.length} VIOLATED`);

    // 5. The platform alone (its own database, the no-op fixture project).
    memory.phase("platform alone");
    progress("the platform alone (no-op fixture project)…");
    const platformDb = await postgres.database("bench_platform_alone");
    const platform = await measurePlatform(platformDb, {
      triggers: 200,
      batch: 200,
      idleSamples: 15,
      resumeSamples: 8,
      noopRuns: 150,
      workflowSamples: 10,
      workflows: 60,
    });
    await platformDb.close();
    progress("the in-memory server (the ceiling), same CLI and project…");
    const ceiling = await measureInMemoryPlatform({ triggers: 200, noopRuns: 150, workflowSamples: 10, workflows: 60 });

    // 6. The engine alone: the least the platform's share can be while it keeps every run in Postgres.
    memory.phase("engine alone");
    progress("the run engine alone (no HTTP, no CLI)…");
    const engineDb = await postgres.database("bench_engine_alone");
    const engineRounds = await measureEngineAlone(engineDb.url, { warmUp: 50, workflows: 150, rounds: 3 });
    await engineDb.close();
    memory.stop();
    await database.close();
    await postgres.stop();

    // Report.
    const budgets = targetBudgets({
      ours: platform.workflows,
      ceiling: ceiling.workflows,
      engineAlone: engineRounds,
      stack: { cpuMs: windowCpu.reduce((sum, c) => sum + c.cpuMs, 0), seconds: (windowCloses - windowOpens) / 1000, orders: inWindow },
      directCpuMsPerOrder: bestDirect.cpuMsPerOrder,
      ratios: { workflows: PLATFORM_TARGETS.workflowsPerSecond.atLeast, orders: TARGETS.ofCeiling.atLeast },
    });
    const results = {
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memoryGb: round(os.totalmem() / 2 ** 30),
        platform: `${process.platform} ${process.arch}`,
        node: process.version,
      },
      at: new Date().toISOString(),
      settings: SETTINGS,
      stackReadyMs: stack.readyMs,
      direct,
      fullStack: {
        warmUpMs,
        idleWarmCpu: idleCpu,
        light: lightFigures,
        offered,
        asFastAsPossible: {
          backlog: SETTINGS.backlog,
          windowSeconds: SETTINGS.sustainSeconds,
          confirmedInWindow: inWindow,
          ordersPerSecond: sustained,
          latencyMs: summary(floodLatency),
          cpu: windowCpu,
          platformRequestsPerOrder,
        },
      },
      contention,
      invariantViolations: violations,
      platform,
      ceiling,
      engineAlone: engineRounds,
      budgets,
      idleWarmMemory,
      memory: memory.report(),
      benchSeconds: Math.round((performance.now() - benchStarted) / 1000),
    };
    const jsonFile = `bench/results/bench-${RUN_STAMP}.json`;
    const svgFile = `bench/results/bench-${RUN_STAMP}.svg`;
    fs.writeFileSync(jsonFile, JSON.stringify(results, null, 2));
    fs.writeFileSync(
      svgFile,
      await latencyChartSvg(`Order latency through the whole stack (${os.cpus().length} cores)`, [
        { label: `${SETTINGS.lightRate} order/s offered`, valuesMs: lightLatency },
        { label: `${SETTINGS.offeredRate} orders/s offered`, valuesMs: offeredLatency },
        { label: `as fast as possible (${SETTINGS.backlog} in flight)`, valuesMs: floodLatency },
      ]),
    );

    const ratio = round(sustained / bestDirect.ordersPerSecond, 3);
    const l = results.fullStack.offered.latencyMs;
    const f = results.fullStack.asFastAsPossible.latencyMs;
    const p = platform;
    console.log(`\nOrder fulfilment benchmark — ${results.machine.cpus} cores, ${results.machine.memoryGb} GiB, node ${process.version}`);
    printTable([
      ["direct baseline (in-process steps)", direct.map((d) => `${d.ordersPerSecond}/s at ${d.concurrency}`).join(", ")],
      ["full stack, sustained", `${sustained} orders/s over ${SETTINGS.sustainSeconds} s (${SETTINGS.backlog} in flight; target ≥ 15)`],
      ["  latency at that load", `p50 ${f.p50} ms, p95 ${f.p95} ms, p99 ${f.p99} ms`],
      [
        `full stack, ${SETTINGS.offeredRate} orders/s offered`,
        `p50 ${l.p50} ms, p95 ${l.p95} ms, p99 ${l.p99} ms (n=${l.n}; target p50 ≤ 300, p99 ≤ 1000)`,
      ],
      [
        `full stack, ${SETTINGS.lightRate} order/s offered`,
        `p50 ${lightFigures.latencyMs.p50} ms, p95 ${lightFigures.latencyMs.p95} ms, p99 ${lightFigures.latencyMs.p99} ms (n=${lightFigures.latencyMs.n})`,
      ],
      [
        "contention",
        `${contention.orders} orders for ${contention.units} units: drained in ${round(drainMs / 1000)} s, ${JSON.stringify(contention.outcomes)}, sold exactly: ${contention.soldExactly ? "yes" : "NO"}`,
      ],
      ["invariants", violations.length === 0 ? "all hold" : `${violations.length} violated: ${violations.slice(0, 3).join("; ")}`],
      [
        "platform: tasks.trigger (32 callers)",
        `${p.triggers.triggersPerSecond}/s; batch of ${p.triggers.batchSize}: ${p.triggers.batchItemsPerSecond} items/s`,
      ],
      ["platform: trigger → start (idle)", `p50 ${p.latencyMs.triggerToStart.p50} ms, p99 ${p.latencyMs.triggerToStart.p99} ms`],
      [
        "platform: child end → parent resume",
        `p50 ${p.latencyMs.childEndToParentResume.p50} ms, p99 ${p.latencyMs.childEndToParentResume.p99} ms`,
      ],
      ["platform: no-op runs via the CLI", `${p.cli.noopRunsPerSecond} runs/s (${p.cli.concurrency} at once)`],
      [
        "platform: order-shaped no-op workflows",
        `${p.workflows.workflowsPerSecond}/s (${p.workflows.count} at once); one at a time p50 ${p.workflows.latencyMs.p50} ms`,
      ],
      ["stack ready / warm-up", `${stack.readyMs} ms / ${warmUpMs} ms (${WARM_UP_ORDERS} orders, task processes starting)`],
    ]);
    console.log("\nPer process: CPU (% of one core) idle when warm → sustained load, and peak RSS idle → warm idle → under load:");
    const rss = (phase: string, role: string) => {
      const m = results.memory[phase]?.find((x) => x.role === role);
      return m ? `${m.peakRssMb} MB (${m.processes})` : "–";
    };
    printTable(
      windowCpu.map((c) => [
        c.role,
        `CPU ${idleCpu.find((i) => i.role === c.role)?.cpuPercentOfOneCore ?? 0}% → ${c.cpuPercentOfOneCore}%; RSS ${rss("idle", c.role)} → ${rss("idle, warm", c.role)} → ${rss("as fast as possible", c.role)}`,
      ]),
    );
    console.log("\nRequests to the platform per order while sustained (route: requests, platform ms):");
    printTable(
      platformRequestsPerOrder
        .slice(0, 12)
        .map((r) => [r.route, `${r.perOrder} per order, ${round(r.totalMs / Math.max(1, inWindow), 1)} ms per order`]),
    );

    // Issue 16's targets, each from figures of this run.
    const platformRatio = platformRatios(platform, ceiling);
    const taskCpuPerOrder = round((windowCpu.find((c) => c.role === TASK_PROCESS_ROLE)?.cpuMs ?? 0) / Math.max(1, inWindow));
    const taskCpuPerWorkflow = platform.workflows.cpuMsPerWorkflow[TASK_PROCESS_ROLE] ?? 0;
    const domainCpu = round(taskCpuPerOrder - taskCpuPerWorkflow);
    const oneDirectOrder = direct.find((d) => d.concurrency === 1)!.latencyMs.p50;
    const latencyAllowance = ceiling.workflows.latencyMs.p50 + oneDirectOrder;
    const ofCeiling = sustained / ceiling.workflows.workflowsPerSecond;
    console.log("\nIssue 16's targets (this run's figures):");
    printTable([
      [
        "1. platform: workflows/s",
        `${platform.workflows.workflowsPerSecond} vs in-memory ${ceiling.workflows.workflowsPerSecond}: ${ratioAgainst(platformRatio.workflowsPerSecond, PLATFORM_TARGETS.workflowsPerSecond)}`,
      ],
      [
        "   platform: one workflow p50",
        `${platform.workflows.latencyMs.p50} ms vs ${ceiling.workflows.latencyMs.p50} ms: ${ratioAgainst(platformRatio.workflowP50, PLATFORM_TARGETS.workflowP50)}`,
      ],
      [
        "   platform: no-op runs/s",
        `${platform.cli.noopRunsPerSecond} vs ${ceiling.noopRunsPerSecond}: ${ratioAgainst(platformRatio.noopRunsPerSecond, PLATFORM_TARGETS.noopRunsPerSecond)}`,
      ],
      [
        "2. domain CPU in task processes",
        `${taskCpuPerOrder} ms per order − ${taskCpuPerWorkflow} ms per no-op workflow = ${domainCpu} ms vs direct ${bestDirect.cpuMsPerOrder} ms per order: ${ratioAgainst(domainCpu / bestDirect.cpuMsPerOrder, TARGETS.domainCpu)}`,
      ],
      [
        "3. full stack vs the ceiling",
        `${sustained} orders/s vs ${ceiling.workflows.workflowsPerSecond} no-op workflows/s in-memory: ${ratioAgainst(ofCeiling, TARGETS.ofCeiling)}`,
      ],
      [
        `   p50 at ${SETTINGS.lightRate} order/s`,
        `${lightFigures.latencyMs.p50} ms vs ceiling ${ceiling.workflows.latencyMs.p50} + direct ${oneDirectOrder} = ${round(latencyAllowance)} ms: ${ratioAgainst(lightFigures.latencyMs.p50 / latencyAllowance, TARGETS.lightLatency)}`,
      ],
      [
        "4. idle warm stack, MB",
        `${ratioAgainst(idleWarmMemory.totalMb, TARGETS.idleWarmMb)}: ${idleWarmMemory.roles.map((r) => `${r.role} ${r.pssMb} (${r.processes})`).join(", ")}`,
      ],
    ]);
    console.log("\nWhat targets 1 and 3 leave, in CPU (all processes) at the CPU per second this run kept busy:");
    printTable([
      [
        "1. a no-op workflow at 0.95 × ceiling",
        `${budgets.workflow.budgetMs} ms; ours took ${budgets.workflow.tookMs}; the floor ${budgets.workflow.floorMs} (the ceiling's workflow ${budgets.ceilingWorkflowMs} + the engine alone ${budgets.engineFloorMs}, its Postgres included)`,
      ],
      [
        "3. an order at 0.8 × ceiling",
        `${budgets.order.budgetMs} ms; the stack took ${budgets.order.tookMs}; the floor ${budgets.order.floorMs} (the same + the direct baseline's order ${bestDirect.cpuMsPerOrder})`,
      ],
    ]);
    console.log(`\nwritten: ${jsonFile}, ${svgFile} (${results.benchSeconds} s in all)`);
    if (violations.length > 0 || !contention.soldExactly) process.exitCode = 1;
    console.log(
      `full-stack orders/s: ${sustained} (direct: ${bestDirect.ordersPerSecond}, ratio: ${ratio}; ceiling: ${ceiling.workflows.workflowsPerSecond}, ratio: ${round(ofCeiling, 3)})`,
    );
  } catch (error) {
    memory.stop();
    await watcher.stop();
    await stack.stop().catch(() => {});
    await database.close().catch(() => {});
    await postgres.stop().catch(() => {});
    throw error;
  }
}

type RouteTiming = { route: string; count: number; totalMs: number };

/** The platform's own per-route tally (GET /_platform/timings). */
async function readRoutes(platformUrl: string): Promise<RouteTiming[]> {
  const response = await fetch(`${platformUrl}/_platform/timings`, { headers: { authorization: `Bearer ${BENCH_ACCESS_TOKEN}` } });
  return ((await response.json()) as { routes: RouteTiming[] }).routes;
}

/** Requests and time per route between two tallies, busiest first. */
function routesBetween(before: RouteTiming[], after: RouteTiming[]) {
  return after
    .map((a) => {
      const b = before.find((x) => x.route === a.route);
      return { route: a.route, count: a.count - (b?.count ?? 0), totalMs: a.totalMs - (b?.totalMs ?? 0) };
    })
    .filter((r) => r.count > 0)
    .sort((x, y) => y.totalMs - x.totalMs);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
