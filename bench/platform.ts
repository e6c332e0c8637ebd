// `npm run bench:platform`: the local platform alone, with the real CLI running a no-op project.
// Triggers/s (single and batched), trigger→start and trigger→completed latency at idle, child end →
// parent resume latency, and no-op runs/s through the CLI. Figures to the terminal and bench/results/.
import fs from "node:fs";
import path from "node:path";
import { batch, configure, runs, tasks } from "@trigger.dev/sdk";
import { eq, sql } from "drizzle-orm";
import { runs as runRows } from "../db/schema";
import { internalId } from "../src/platform/ids";
import { startPlatform } from "../src/platform/platform-server";
import type { PlatformOptions } from "../src/platform/platform-context";
import { copyProject, startDevCli } from "../src/stack/dev-cli";
import { startBenchDatabase } from "./bench-database";
import { startInMemoryPlatform } from "./in-memory-platform";
import { cpuBetween, sampleProcesses } from "./process-cpu";
import { median, printTable, round, summary } from "./stats";

const FIXTURE = path.resolve("tests/e2e/fixture-project");
const KEY = "tr_dev_bench";
const options: PlatformOptions = {
  secretKey: KEY,
  defaultProjectRef: "proj_platformfixture",
  dequeue: { holdMs: 1_000, intervalWithRunMs: 0, intervalWithoutRunMs: 50, maxConcurrentRuns: 25 },
  heartbeatTimeoutMs: 90_000,
  defaultMaxAttempts: 3,
  taskEnvironment: {},
};

async function waitAllFinished(db: Awaited<ReturnType<typeof startBenchDatabase>>["db"], ids: string[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  // One text parameter for the ids, and a poll every 100 ms: the bench must not be what loads the platform.
  const internal = ids.map(internalId).join(",");
  for (;;) {
    const [row] = await db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM trigger_platform.runs WHERE id = ANY(string_to_array(${internal}, ',')) AND completed_at IS NOT NULL`,
    );
    if ((row?.n ?? 0) >= ids.length) return;
    if (Date.now() > deadline) throw new Error(`only ${row?.n} of ${ids.length} runs finished in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** tasks.trigger from `callers` concurrent callers (the SDK configured by the caller): triggers/s. */
async function triggerLoad(count: number, callers: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next < count) {
        next++;
        await tasks.trigger("noop", null, { tags: ["bench-trigger"] });
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

async function measureBaseline(runCount: number, triggerCount: number) {
  const baseline = await startInMemoryPlatform({ maxConcurrentRuns: options.dequeue.maxConcurrentRuns, holdMs: options.dequeue.holdMs });
  configure({ baseURL: baseline.url, accessToken: "tr_dev_baseline" });
  const projectDir = copyProject(FIXTURE);
  const triggersPerSecond = round(await triggerLoad(triggerCount, 32));
  baseline.cancelQueued();
  const cli = startDevCli({ projectDir, apiUrl: baseline.url });
  try {
    await cli.ready;
    for (let i = 0; i < 30; i++) await baseline.waitAllFinished([(await tasks.trigger("noop", null)).id], 20_000);
    const toDone: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = Date.now();
      const { id } = await tasks.trigger("noop", null);
      await baseline.waitAllFinished([id], 20_000);
      toDone.push(baseline.run(id)!.completedAt! - t0);
    }
    await baseline.waitAllFinished(Array.from({ length: options.dequeue.maxConcurrentRuns * 2 }, () => baseline.enqueue("noop", "null")), 120_000);
    const started = performance.now();
    const cpuBefore = sampleProcesses();
    await baseline.waitAllFinished(Array.from({ length: runCount }, () => baseline.enqueue("noop", "null")), 300_000);
    const wallMs = performance.now() - started;
    return { triggersPerSecond, triggerToCompleted: summary(toDone), noopRunsPerSecond: round(runCount / (wallMs / 1000)), cpu: cpuBetween(cpuBefore, sampleProcesses(), wallMs) };
  } finally {
    await cli.stop();
    await baseline.close();
  }
}

async function main() {
  const runCount = Number(process.env.BENCH_RUNS ?? 1_000);
  const triggerCount = Number(process.env.BENCH_TRIGGERS ?? 2_000);
  const baseline = await measureBaseline(runCount, triggerCount);
  const database = await startBenchDatabase("bench_platform");
  const platform = await startPlatform({ db: database.db, port: 0, options });
  configure({ baseURL: platform.url, accessToken: KEY });
  const results: Record<string, unknown> = { machine: `${process.platform} ${process.arch}, node ${process.version}`, at: new Date().toISOString(), baseline };

  // 1. Triggers/s with no CLI attached (the API and Postgres alone), 32 callers at once.
  const triggersPerSecond = await triggerLoad(triggerCount, 32);
  // 2. batchTrigger of 1,000.
  const batchStarted = performance.now();
  await batch.trigger(Array.from({ length: 1_000 }, () => ({ id: "noop" as const, payload: null })));
  const batchItemsPerSecond = 1_000 / ((performance.now() - batchStarted) / 1000);
  // Those runs are not for the CLI: clear them so they do not count below.
  await database.db.update(runRows).set({ availableAt: null, status: "CANCELED", completedAt: sql`now()` }).where(eq(runRows.taskIdentifier, "noop"));
  results.triggers = { triggersPerSecond: round(triggersPerSecond), batchOf1000ItemsPerSecond: round(batchItemsPerSecond) };

  // The CLI, warmed up.
  const projectDir = copyProject(FIXTURE);
  const cliStarted = performance.now();
  const cli = startDevCli({ projectDir, apiUrl: platform.url });
  await cli.ready;
  results.cliReadyMs = Math.round(performance.now() - cliStarted);
  for (let i = 0; i < 30; i++) await runs.poll((await tasks.trigger("noop", null)).id, { pollIntervalMs: 20 });

  // 3. trigger → start and trigger → completed, one run at a time (idle).
  const toStart: number[] = [];
  const toDone: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t0 = Date.now();
    const { id } = await tasks.trigger("noop", null);
    await waitAllFinished(database.db, [id], 10_000);
    const [row] = await database.db.select().from(runRows).where(eq(runRows.id, internalId(id)));
    toStart.push(row!.startedAt!.getTime() - t0);
    toDone.push(row!.completedAt!.getTime() - t0);
  }
  // 4. child end → parent resume.
  const resume: number[] = [];
  for (let i = 0; i < 30; i++) {
    const parent = await tasks.trigger("resume-probe", null);
    await waitAllFinished(database.db, [parent.id], 20_000);
    const run = await runs.retrieve(parent.id);
    const out = run.output as { childId: string; resumedAt: number };
    const [child] = await database.db.select().from(runRows).where(eq(runRows.id, internalId(out.childId)));
    resume.push(out.resumedAt - child!.completedAt!.getTime());
  }
  results.latencyMs = { triggerToStart: summary(toStart), triggerToCompleted: summary(toDone), childEndToParentResume: summary(resume) };

  // 5. No-op runs/s through the CLI at its concurrency, after a round that fills its pool of warm
  // task processes (spawning them is the CLI's cost, once, not a per-run cost).
  const warmup = await batch.trigger(Array.from({ length: options.dequeue.maxConcurrentRuns * 2 }, () => ({ id: "noop" as const, payload: null })));
  await waitAllFinished(database.db, (await batch.retrieve(warmup.batchId)).runs, 120_000);
  platform.timings.reset();
  const throughputStarted = performance.now();
  const cpuBefore = sampleProcesses();
  const ids: string[] = [];
  for (let i = 0; i < runCount; i += 100) {
    const handle = await batch.trigger(Array.from({ length: Math.min(100, runCount - i) }, () => ({ id: "noop" as const, payload: null })));
    ids.push(...(await batch.retrieve(handle.batchId)).runs);
  }
  await waitAllFinished(database.db, ids, 120_000);
  const throughputMs = performance.now() - throughputStarted;
  const runsPerSecond = runCount / (throughputMs / 1000);
  const cpu = cpuBetween(cpuBefore, sampleProcesses(), throughputMs);
  results.cli = { noopRunsPerSecond: round(runsPerSecond), concurrency: options.dequeue.maxConcurrentRuns, runs: runCount, cpu };
  results.platformTimingsDuringCliRuns = platform.timings.report();

  await cli.stop();
  await platform.close();
  await database.stop();

  console.log("\nLocal Trigger.dev platform benchmark");
  printTable([
    ["tasks.trigger (32 callers)", `${round(triggersPerSecond)} triggers/s (in-memory baseline: ${baseline.triggersPerSecond})`],
    ["batchTrigger of 1,000", `${round(batchItemsPerSecond)} items/s`],
    ["CLI ready", `${results.cliReadyMs as number} ms`],
    ["trigger → start (idle)", `p50 ${median(toStart)} ms, p99 ${summary(toStart).p99} ms`],
    ["trigger → completed (idle)", `p50 ${median(toDone)} ms, p99 ${summary(toDone).p99} ms (in-memory baseline: p50 ${baseline.triggerToCompleted.p50} ms)`],
    ["child end → parent resume", `p50 ${median(resume)} ms, p99 ${summary(resume).p99} ms`],
    [`no-op runs through the CLI (${options.dequeue.maxConcurrentRuns} at once)`, `${round(runsPerSecond)} runs/s (in-memory baseline: ${baseline.noopRunsPerSecond}, ratio ${round(runsPerSecond / baseline.noopRunsPerSecond, 2)})`],
  ]);
  console.log("\nCPU while the CLI ran no-op runs (% of one core; the machine has 2):");
  printTable(cpu.map((p) => [p.role, `${p.cpuPercentOfOneCore}% (in-memory baseline run: ${baseline.cpu.find((b) => b.role === p.role)?.cpuPercentOfOneCore ?? "–"}%)`]));
  fs.mkdirSync("bench/results", { recursive: true });
  const file = `bench/results/platform-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
  fs.writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(`\nwritten to ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
