// The local platform's own figures, with the real CLI running the no-op fixture project: triggers/s
// (single and batched), trigger→start and trigger→completed at idle, child end → parent resume, and
// no-op runs/s through the CLI. Used by `npm run bench:platform` (large counts, beside an in-memory
// baseline) and `npm run bench` (small counts, beside the order figures).
import path from "node:path";
import { batch, configure, runs, tasks } from "@trigger.dev/sdk";
import { eq, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { runs as runRows } from "local-trigger/schema";
import { internalId } from "local-trigger";
import type { PlatformOptions } from "local-trigger";
import { startPlatform } from "local-trigger";
import { copyProject, startDevCli, type DevCli } from "local-trigger/dev-cli";
import { startInMemoryPlatform } from "./in-memory-platform";
import { cpuBetween, sampleProcesses } from "./process-cpu";
import { round, summary } from "./stats";

export const FIXTURE = path.resolve(import.meta.dirname, "../platform/tests/fixture-project");
const KEY = "tr_dev_bench";
export const PLATFORM_BENCH_OPTIONS: PlatformOptions = {
  secretKey: KEY,
  accessToken: "tr_pat_bench",
  defaultProjectRef: "proj_platformfixture",
  dequeue: { holdMs: 1_000, intervalWithRunMs: 0, intervalWithoutRunMs: 50, maxConcurrentRuns: 25 },
  heartbeatTimeoutMs: 90_000,
  defaultMaxAttempts: 3,
  taskEnvironment: {},
};

export type PlatformCounts = {
  triggers: number;
  batch: number;
  idleSamples: number;
  resumeSamples: number;
  noopRuns: number;
  /** Order-shaped no-op workflows (the fixture's noop-workflow): one at a time, then this many at once. */
  workflowSamples: number;
  workflows: number;
};

/** How the workflow measurement reaches a platform: whose runs finished, and when. */
export type RunClock = {
  waitAllFinished: (ids: string[], timeoutMs: number) => Promise<void>;
  /** When a finished run completed (epoch ms, the platform's own clock: the same machine's). */
  completedAt: (id: string) => Promise<number>;
};
const WORKFLOW = "noop-workflow";
const WORKFLOW_STEPS = 3;

/** The order-shaped no-op workflow (a parent, three triggerAndWait steps one after the other, parents 4 at once),
 *  through the real CLI, with the SDK configured for the platform: `samples` one at a time (trigger → completed),
 *  then `count` triggered at once (workflows/s from the first trigger to the last completion, and the CPU each
 *  process took meanwhile, per workflow). */
export async function measureWorkflows(clock: RunClock, samples: number, count: number) {
  const warm = await Promise.all(Array.from({ length: 12 }, () => tasks.trigger(WORKFLOW, null)));
  await clock.waitAllFinished(
    warm.map((h) => h.id),
    120_000,
  );
  const oneAtATime: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = Date.now();
    const { id } = await tasks.trigger(WORKFLOW, null);
    await clock.waitAllFinished([id], 30_000);
    oneAtATime.push((await clock.completedAt(id)) - t0);
  }
  const cpuBefore = sampleProcesses();
  const started = Date.now();
  const handles = await Promise.all(Array.from({ length: count }, () => tasks.trigger(WORKFLOW, null)));
  await clock.waitAllFinished(
    handles.map((h) => h.id),
    300_000,
  );
  const ends = await Promise.all(handles.map((h) => clock.completedAt(h.id)));
  const wallMs = Math.max(...ends) - started;
  const cpu = cpuBetween(cpuBefore, sampleProcesses(), wallMs);
  return {
    latencyMs: summary(oneAtATime),
    workflowsPerSecond: round(count / (wallMs / 1000), 2),
    runsPerWorkflow: 1 + WORKFLOW_STEPS,
    count,
    /** CPU per workflow of each process role, in ms. */
    cpuMsPerWorkflow: Object.fromEntries(cpu.map((c) => [c.role, round((c.cpuPercentOfOneCore / 100) * (wallMs / count))])),
  };
}

async function waitAllFinished(db: Database, ids: string[], timeoutMs: number) {
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
export async function triggerLoad(count: number, callers: number): Promise<number> {
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

/** Starts the platform on the database in this process, measures, and stops it (and its CLI). */
export async function measurePlatform({ url, db }: { url: string; db: Database }, counts: PlatformCounts) {
  const platform = await startPlatform({ databaseUrl: url, port: 0, options: PLATFORM_BENCH_OPTIONS });
  configure({ baseURL: platform.url, accessToken: KEY });
  let cli: DevCli | undefined;
  try {
    // 1. Triggers/s with no CLI attached (the API and Postgres alone), 32 callers at once.
    const triggersPerSecond = await triggerLoad(counts.triggers, 32);
    // 2. One batchTrigger.
    const batchStarted = performance.now();
    await batch.trigger(Array.from({ length: counts.batch }, () => ({ id: "noop" as const, payload: null })));
    const batchItemsPerSecond = counts.batch / ((performance.now() - batchStarted) / 1000);
    // Those runs are not for the CLI: clear them so they do not count below.
    await db
      .update(runRows)
      .set({ availableAt: null, status: "CANCELED", completedAt: sql`now()` })
      .where(eq(runRows.taskIdentifier, "noop"));

    const cliStarted = performance.now();
    cli = startDevCli({ projectDir: copyProject(FIXTURE), apiUrl: platform.url, accessToken: platform.accessToken });
    await cli.ready;
    const cliReadyMs = Math.round(performance.now() - cliStarted);
    for (let i = 0; i < 30; i++) await runs.poll((await tasks.trigger("noop", null)).id, { pollIntervalMs: 20 });

    // 3. trigger → start and trigger → completed, one run at a time (idle).
    const toStart: number[] = [];
    const toDone: number[] = [];
    for (let i = 0; i < counts.idleSamples; i++) {
      const t0 = Date.now();
      const { id } = await tasks.trigger("noop", null);
      await waitAllFinished(db, [id], 10_000);
      const [row] = await db
        .select()
        .from(runRows)
        .where(eq(runRows.id, internalId(id)));
      toStart.push(row!.startedAt!.getTime() - t0);
      toDone.push(row!.completedAt!.getTime() - t0);
    }
    // 4. child end → parent resume.
    const resume: number[] = [];
    for (let i = 0; i < counts.resumeSamples; i++) {
      const parent = await tasks.trigger("resume-probe", null);
      await waitAllFinished(db, [parent.id], 20_000);
      const run = await runs.retrieve(parent.id);
      const out = run.output as { childId: string; resumedAt: number };
      const [child] = await db
        .select()
        .from(runRows)
        .where(eq(runRows.id, internalId(out.childId)));
      resume.push(out.resumedAt - child!.completedAt!.getTime());
    }

    // 5. The order-shaped no-op workflow, before the no-op runs below fill the CLI's pool with 25 task
    // processes: idle ones cost CPU too, and the workflow's share of task-process CPU is a target's figure.
    const workflows = await measureWorkflows(
      {
        waitAllFinished: (ids, timeoutMs) => waitAllFinished(db, ids, timeoutMs),
        completedAt: async (id) => {
          const [row] = await db
            .select({ completedAt: runRows.completedAt })
            .from(runRows)
            .where(eq(runRows.id, internalId(id)));
          return row!.completedAt!.getTime();
        },
      },
      counts.workflowSamples,
      counts.workflows,
    );

    // 6. No-op runs/s through the CLI at its concurrency, after a round that fills its pool of warm
    // task processes (spawning them is the CLI's cost, once, not a per-run cost).
    const concurrency = PLATFORM_BENCH_OPTIONS.dequeue.maxConcurrentRuns;
    const warmup = await batch.trigger(Array.from({ length: concurrency * 2 }, () => ({ id: "noop" as const, payload: null })));
    await waitAllFinished(db, (await batch.retrieve(warmup.batchId)).runs, 120_000);
    platform.timings.reset();
    const throughputStarted = performance.now();
    const cpuBefore = sampleProcesses();
    const ids: string[] = [];
    for (let i = 0; i < counts.noopRuns; i += 100) {
      const handle = await batch.trigger(
        Array.from({ length: Math.min(100, counts.noopRuns - i) }, () => ({ id: "noop" as const, payload: null })),
      );
      ids.push(...(await batch.retrieve(handle.batchId)).runs);
    }
    await waitAllFinished(db, ids, 120_000);
    const throughputMs = performance.now() - throughputStarted;
    const cpuDuringNoops = cpuBetween(cpuBefore, sampleProcesses(), throughputMs);
    const timingsDuringNoops = platform.timings.report();

    return {
      cliReadyMs,
      triggers: {
        triggersPerSecond: round(triggersPerSecond),
        callers: 32,
        count: counts.triggers,
        batchItemsPerSecond: round(batchItemsPerSecond),
        batchSize: counts.batch,
      },
      latencyMs: { triggerToStart: summary(toStart), triggerToCompleted: summary(toDone), childEndToParentResume: summary(resume) },
      cli: {
        noopRunsPerSecond: round(counts.noopRuns / (throughputMs / 1000)),
        concurrency,
        runs: counts.noopRuns,
        cpu: cpuDuringNoops,
      },
      workflows,
      platformTimingsDuringCliRuns: timingsDuringNoops,
    };
  } finally {
    await cli?.stop();
    await platform.close();
  }
}

/** Issue 16's targets for the platform's share: ours against the in-memory server, measured in the same run. */
export const PLATFORM_TARGETS = {
  workflowsPerSecond: { atLeast: 0.95 },
  workflowP50: { atMost: 1.1 },
  noopRunsPerSecond: { atLeast: 0.9 },
} as const;

export type PlatformFigures = Awaited<ReturnType<typeof measurePlatform>>;
export type InMemoryFigures = Awaited<ReturnType<typeof measureInMemoryPlatform>>;

/** Ours over the in-memory server's, for each of PLATFORM_TARGETS. */
export const platformRatios = (ours: PlatformFigures, baseline: InMemoryFigures) => ({
  workflowsPerSecond: ours.workflows.workflowsPerSecond / baseline.workflows.workflowsPerSecond,
  workflowP50: ours.workflows.latencyMs.p50 / baseline.workflows.latencyMs.p50,
  noopRunsPerSecond: ours.cli.noopRunsPerSecond / baseline.noopRunsPerSecond,
});

/** The same CLI and fixture project against bench/in-memory-platform.ts, a server that does only what the CLI
 *  needs: the least a platform can cost, so the ceiling our figures are read against. */
export async function measureInMemoryPlatform(counts: Pick<PlatformCounts, "triggers" | "noopRuns" | "workflowSamples" | "workflows">) {
  const { maxConcurrentRuns, holdMs } = PLATFORM_BENCH_OPTIONS.dequeue;
  const baseline = await startInMemoryPlatform({ maxConcurrentRuns, holdMs });
  configure({ baseURL: baseline.url, accessToken: "tr_dev_baseline" });
  const projectDir = copyProject(FIXTURE);
  const triggersPerSecond = round(await triggerLoad(counts.triggers, 32));
  baseline.cancelQueued();
  const cli = startDevCli({ projectDir, apiUrl: baseline.url, accessToken: "tr_pat_baseline" });
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
    // The workflow first, as for ours: before the no-op runs fill the CLI's pool.
    const workflows = await measureWorkflows(
      { waitAllFinished: baseline.waitAllFinished, completedAt: async (id) => baseline.run(id)!.completedAt! },
      counts.workflowSamples,
      counts.workflows,
    );
    await baseline.waitAllFinished(
      Array.from({ length: maxConcurrentRuns * 2 }, () => baseline.enqueue("noop", "null")),
      120_000,
    );
    const started = performance.now();
    const cpuBefore = sampleProcesses();
    await baseline.waitAllFinished(
      Array.from({ length: counts.noopRuns }, () => baseline.enqueue("noop", "null")),
      300_000,
    );
    const wallMs = performance.now() - started;
    const cpu = cpuBetween(cpuBefore, sampleProcesses(), wallMs);
    return {
      triggersPerSecond,
      triggerToCompleted: summary(toDone),
      noopRunsPerSecond: round(counts.noopRuns / (wallMs / 1000)),
      cpu,
      workflows,
    };
  } finally {
    await cli.stop();
    await baseline.close();
  }
}
