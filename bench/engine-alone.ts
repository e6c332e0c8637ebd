// `npm run bench:engine`: the run engine alone, without HTTP or a CLI: what the platform's engine and its Postgres
// spend per order-shaped no-op workflow (a parent, three children one after the other, each blocking it), driven
// the way the CLI drives it: trigger, dequeue, start, complete, and the poll of the resumed parent. 12 workflows at
// once, after 100 to warm up; three rounds, each printed. Beside `npm run bench`'s platform figures it says how much
// of the platform's CPU is the engine and how much the HTTP side of the CLI's requests.
import { createDatabaseHandle } from "../platform/lib/db/client";
import { migratePlatform } from "../platform/lib/db/migrate";
import { RunEngine } from "../platform/lib/engine";
import { ensureProjectEnvironment } from "../platform/lib/environments";
import { internalId } from "../platform/lib/ids";
import type { PlatformOptions } from "../platform/lib/platform-options";
import { startBenchPostgres } from "./bench-database";
import { numberSetting, progress, runBench } from "./bench-settings";
import { cpuBetween, sampleProcesses } from "./process-cpu";
import { printTable, round } from "./stats";

const OPTIONS: PlatformOptions = {
  secretKey: "tr_dev_engine_bench",
  defaultProjectRef: "proj_enginebench",
  dequeue: { holdMs: 0, intervalWithRunMs: 0, intervalWithoutRunMs: 20, maxConcurrentRuns: 100 },
  heartbeatTimeoutMs: 30_000,
  defaultMaxAttempts: 3,
  taskEnvironment: {},
};
const AT_ONCE = 12;
const STEPS = ["reserve", "charge", "mail"];

async function main() {
  const workflows = numberSetting("BENCH_ENGINE_WORKFLOWS", 300);
  const server = await startBenchPostgres();
  const database = await server.database("bench_engine");
  await migratePlatform(database.url);
  const handle = createDatabaseHandle(database.url);
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
      Array.from({ length: AT_ONCE }, async () => {
        while (left-- > 0) await workflow();
      }),
    );
  };

  const rows: [string, string][] = [];
  try {
    progress("warm-up: 100 workflows…");
    await load(100);
    for (let round_ = 1; round_ <= 3; round_++) {
      const before = sampleProcesses();
      const cpu = process.cpuUsage();
      const started = performance.now();
      await load(workflows);
      const wallMs = performance.now() - started;
      const used = process.cpuUsage(cpu);
      const postgres = cpuBetween(before, sampleProcesses(), wallMs).find((c) => c.role === "postgres");
      const engineMs = (used.user + used.system) / 1000 / workflows;
      const postgresMs = ((postgres?.cpuPercentOfOneCore ?? 0) / 100) * (wallMs / workflows);
      rows.push([
        `round ${round_}: ${workflows} workflows, ${AT_ONCE} at once`,
        `${round(workflows / (wallMs / 1000), 1)} workflows/s; CPU per workflow: the engine's process ${round(engineMs, 1)} ms, Postgres ${round(postgresMs, 1)} ms`,
      ]);
    }
  } finally {
    await engine.stop();
    await handle.close();
    await database.close();
    await server.stop();
  }
  console.log("\nThe run engine alone, order-shaped no-op workflows:");
  printTable(rows);
}

runBench(main);
