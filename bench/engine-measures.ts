// The run engine alone, without HTTP or a CLI: what the platform's engine and its Postgres spend per
// order-shaped no-op workflow (a parent, three children one after the other, each blocking it), driven the way
// the CLI drives it: trigger, dequeue, start, complete, and the poll of the resumed parent, 12 workflows at once.
// It is the floor of the platform's share: what a durable engine costs with no request to answer. Used by
// `npm run bench:engine` and `npm run bench` (beside issue 16's targets: bench/target-budgets.ts).
import { sql } from "drizzle-orm";
import { createDatabaseHandle } from "../platform/lib/db/client";
import { migratePlatform } from "../platform/lib/db/migrate";
import { RunEngine } from "../platform/lib/engine";
import { ensureProjectEnvironment } from "../platform/lib/environments";
import { internalId } from "../platform/lib/ids";
import type { PlatformOptions } from "../platform/lib/platform-options";
import { cpuBetween, sampleProcesses } from "./process-cpu";
import { round } from "./stats";

const OPTIONS: PlatformOptions = {
  secretKey: "tr_dev_engine_bench",
  defaultProjectRef: "proj_enginebench",
  dequeue: { holdMs: 0, intervalWithRunMs: 0, intervalWithoutRunMs: 20, maxConcurrentRuns: 100 },
  heartbeatTimeoutMs: 30_000,
  defaultMaxAttempts: 3,
  taskEnvironment: {},
};
export const ENGINE_WORKFLOWS_AT_ONCE = 12;
const STEPS = ["reserve", "charge", "mail"];

export type EngineAloneRound = { workflows: number; workflowsPerSecond: number; engineCpuMs: number; postgresCpuMs: number };

/** The engine on a fresh database (`url`, migrated here): `warmUp` workflows, then each round of `workflows`
 *  measured (CPU per workflow: this process's, which runs nothing else meanwhile, and Postgres's). */
export async function measureEngineAlone(
  url: string,
  { warmUp, workflows, rounds }: { warmUp: number; workflows: number; rounds: number },
) {
  await migratePlatform(url);
  const handle = createDatabaseHandle(url);
  const engine = new RunEngine({ db: handle.db, options: OPTIONS, origin: "http://engine.bench" });
  const env = await ensureProjectEnvironment(handle.db, OPTIONS.defaultProjectRef, OPTIONS);
  const worker = await engine.registerWorker(env, {
    contentHash: "bench",
    tasks: [
      { id: "workflow", filePath: "workflow.ts", exportName: "workflow" },
      { id: "step", filePath: "step.ts", exportName: "step" },
    ],
    queues: [],
  });

  // One dequeuer hands each run to the workflow waiting for it (the CLI's dequeue returns whatever is ready).
  const waiting = new Map<string, (message: { runId: string; snapshotId: string }) => void>();
  const early = new Map<string, { runId: string; snapshotId: string }>();
  let dequeuing = false;
  const pump = async () => {
    if (dequeuing) return;
    dequeuing = true;
    try {
      while (waiting.size > 0) {
        const messages = await engine.dequeue(env, worker.id);
        for (const m of messages) {
          const message = { runId: m.run.id, snapshotId: m.snapshot.friendlyId };
          const resolve = waiting.get(m.run.friendlyId);
          waiting.delete(m.run.friendlyId);
          if (resolve) resolve(message);
          else early.set(m.run.friendlyId, message);
        }
        if (messages.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      }
    } finally {
      dequeuing = false;
    }
  };
  const start = async (friendlyId: string) => {
    const message =
      early.get(friendlyId) ??
      (await new Promise<{ runId: string; snapshotId: string }>((resolve) => {
        waiting.set(friendlyId, resolve);
        void pump();
      }));
    early.delete(friendlyId);
    await engine.startAttempt(env, message.runId, message.snapshotId);
  };
  const succeed = (id: string) =>
    engine.completeAttempt(env, internalId(id), { ok: true, id, output: "{}", outputType: "application/json" });
  let made = 0;
  const workflow = async () => {
    const order = ++made;
    const parent = (await engine.trigger(env, "workflow", { payload: "{}", options: { payloadType: "application/json" } })).run.friendlyId;
    await start(parent);
    for (const step of STEPS) {
      const child = await engine.trigger(env, "step", {
        payload: "{}",
        options: {
          payloadType: "application/json",
          parentRunId: parent,
          resumeParentOnCompletion: true,
          idempotencyKey: `order-${order}-${step}`,
        },
      });
      await start(child.run.friendlyId);
      await succeed(child.run.friendlyId);
      await engine.latestSnapshot(env, internalId(parent));
    }
    await succeed(parent);
  };
  const load = async (count: number) => {
    let left = count;
    await Promise.all(
      Array.from({ length: ENGINE_WORKFLOWS_AT_ONCE }, async () => {
        while (left-- > 0) await workflow();
      }),
    );
  };

  const measured: EngineAloneRound[] = [];
  try {
    await load(warmUp);
    // The statistics a running platform has by now (planner-statistics.ts): without them Postgres walks the
    // environment's runs for a lookup by id and environment, and the floor would be measured too high.
    await handle.db.execute(sql`ANALYZE`);
    for (let round_ = 1; round_ <= rounds; round_++) {
      const before = sampleProcesses();
      const cpu = process.cpuUsage();
      const started = performance.now();
      await load(workflows);
      const wallMs = performance.now() - started;
      const used = process.cpuUsage(cpu);
      const postgres = cpuBetween(before, sampleProcesses(), wallMs).find((c) => c.role === "postgres");
      measured.push({
        workflows,
        workflowsPerSecond: round(workflows / (wallMs / 1000), 1),
        engineCpuMs: round((used.user + used.system) / 1000 / workflows, 1),
        postgresCpuMs: round(((postgres?.cpuPercentOfOneCore ?? 0) / 100) * (wallMs / workflows), 1),
      });
    }
  } finally {
    await engine.stop();
    await handle.close();
  }
  return measured;
}
