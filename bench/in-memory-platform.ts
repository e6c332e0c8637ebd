// The baseline for the platform benchmark: the least a server can do and still let the real CLI run no-op
// tasks and order-shaped workflows — runs in a Map, no Postgres, no validation, no retries. It serves what such a
// workflow needs: triggerAndWait (a child's completion resumes its parent through a RUN waitpoint, told to the CLI
// with socket.io's `run:notify`, as the platform does) and per-queue concurrency limits (a waiting parent holds its
// slot, as in dev). What our durable platform costs is its figure against this one, measured in the same run.
import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { Server as SocketServer } from "socket.io";
// What the platform hands the CLI and when it repeats a resume, taken from it so the two cannot drift apart (a
// resumed run is told again a moment later: the CLI may not have subscribed yet). The task processes are told to
// batch their telemetry as the platform tells them: else this server's would send three times the requests, and
// spend more CPU on them than the platform's, which would lower the ceiling the platform is measured against.
import { TELEMETRY_BATCHING } from "../platform/lib/engine/attempts";
import { MACHINE } from "../platform/lib/engine/dequeue";
import { RESUME_REPEATS_MS } from "../platform/lib/engine/run-notifier";

type Snapshot = { id: string; status: string; completedWaitpoints: Record<string, unknown>[] };
type BaselineRun = {
  id: string;
  task: string;
  queue: string;
  payload: string;
  queuedAt: number;
  startedAt?: number;
  completedAt?: number;
  attempt: number;
  snapshot: Snapshot;
  /** The run that waits for this one (triggerAndWait). */
  parentId?: string;
};
type TriggerBody = {
  payload?: unknown;
  options?: { parentRunId?: string; resumeParentOnCompletion?: boolean; queue?: { name?: string } };
};
type WorkerMetadata = {
  tasks?: { id: string; queue?: { name?: string; concurrencyLimit?: number | null } }[];
  queues?: { name: string; concurrencyLimit?: number | null }[];
};
type Completion = { ok: boolean; output?: string; outputType?: string; error?: unknown };

export async function startInMemoryPlatform(options: { maxConcurrentRuns: number; holdMs: number }) {
  const runs = new Map<string, BaselineRun>();
  const queue: BaselineRun[] = [];
  let running = 0;
  /** Runs holding a slot of each queue (a waiting parent keeps its own), and each queue's limit. */
  const inQueue = new Map<string, number>();
  const queueLimits = new Map<string, number>();
  const taskQueues = new Map<string, string>();
  let sequence = 0;
  let worker = { id: "worker_baseline_0", version: "1" };
  let wakeDequeue: (() => void) | undefined;
  let notify: (runId: string) => void = () => {};
  /** Moves a run to a new snapshot (every state change is a new snapshot id). */
  const moveTo = (run: BaselineRun, status: string, completedWaitpoints: Record<string, unknown>[] = []) => {
    run.snapshot = { id: `snapshot_${run.id}_${++sequence}`, status, completedWaitpoints };
    return snapshotMessage(run);
  };
  const snapshotMessage = (run: BaselineRun) => ({
    id: run.snapshot.id,
    friendlyId: run.snapshot.id,
    executionStatus: run.snapshot.status,
    description: run.snapshot.status,
    createdAt: new Date(),
  });
  const runMessage = (run: BaselineRun, status: string) => ({ id: run.id, friendlyId: run.id, status, attemptNumber: run.attempt });

  function enqueue(task: string, payload: string, parentId?: string, queueName?: string): string {
    const id = `run_baseline${++sequence}`;
    const run: BaselineRun = {
      id,
      task,
      queue: queueName ?? taskQueues.get(task) ?? `task/${task}`,
      payload,
      queuedAt: Date.now(),
      attempt: 0,
      snapshot: { id: `snapshot_${id}_0`, status: "QUEUED", completedWaitpoints: [] },
      ...(parentId ? { parentId } : {}),
    };
    runs.set(run.id, run);
    queue.push(run);
    if (parentId) {
      const parent = runs.get(parentId)!;
      moveTo(parent, "EXECUTING_WITH_WAITPOINTS");
      notify(parent.id);
    }
    wakeDequeue?.();
    return run.id;
  }

  /** Queued runs whose queue has room, oldest first, while the environment has room. */
  function takeRuns() {
    const out = [];
    for (let i = 0; i < queue.length && running < options.maxConcurrentRuns;) {
      const run = queue[i]!;
      const held = inQueue.get(run.queue) ?? 0;
      if (held >= (queueLimits.get(run.queue) ?? Infinity)) {
        i++;
        continue;
      }
      queue.splice(i, 1);
      running++;
      inQueue.set(run.queue, held + 1);
      out.push({
        version: "1",
        snapshot: moveTo(run, "PENDING_EXECUTING"),
        dequeuedAt: new Date(),
        completedWaitpoints: [],
        backgroundWorker: { id: worker.id, friendlyId: worker.id, version: worker.version },
        deployment: {},
        run: {
          id: run.id,
          friendlyId: run.id,
          isTest: false,
          isReplay: false,
          machine: MACHINE,
          attemptNumber: 1,
          masterQueue: "dev",
          traceContext: {},
        },
        environment: { id: "env_baseline", type: "DEVELOPMENT" },
        organization: { id: "org_baseline" },
        project: { id: "project_baseline" },
      });
    }
    return out;
  }

  const app = new Hono()
    .get("/api/v2/whoami", (c) => c.json({ userId: "user_baseline", email: "baseline@localhost.local", dashboardUrl: origin }))
    .get("/api/v1/platform-notifications", (c) => c.json({ notification: null }))
    .get("/api/v1/projects/:ref/dev", (c) =>
      c.json({ apiKey: "tr_dev_baseline", name: "baseline", apiUrl: origin, projectId: "project_baseline" }),
    )
    .get("/api/v1/projects/:ref/envvars", (c) => c.json({ variables: {} }))
    .post("/api/v1/projects/:ref/background-workers", async (c) => {
      const { metadata } = (await c.req.json()) as { metadata?: WorkerMetadata };
      for (const q of metadata?.queues ?? []) if (q.concurrencyLimit != null) queueLimits.set(q.name, q.concurrencyLimit);
      for (const task of metadata?.tasks ?? []) {
        const name = task.queue?.name ?? `task/${task.id}`;
        taskQueues.set(task.id, name);
        if (task.queue?.concurrencyLimit != null) queueLimits.set(name, task.queue.concurrencyLimit);
      }
      worker = { id: `worker_baseline_${++sequence}`, version: String(sequence) };
      return c.json({ id: worker.id, version: worker.version, contentHash: worker.id });
    })
    .get("/engine/v1/dev/config", (c) =>
      c.json({
        environmentId: "env_baseline",
        dequeueIntervalWithRun: 0,
        dequeueIntervalWithoutRun: 50,
        maxConcurrentRuns: options.maxConcurrentRuns,
        engineUrl: origin,
      }),
    )
    .get("/engine/v1/dev/presence", (c) => streamSSE(c, (stream) => new Promise<void>((resolve) => stream.onAbort(resolve))))
    .post("/engine/v1/dev/dequeue", async (c) => {
      let messages = takeRuns();
      if (messages.length === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, options.holdMs);
          wakeDequeue = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wakeDequeue = undefined;
        messages = takeRuns();
      }
      return c.json({ dequeuedMessages: messages });
    })
    .post("/engine/v1/dev/runs/:run/snapshots/:snapshot/attempts/start", (c) => {
      const run = runs.get(c.req.param("run"))!;
      run.attempt = 1;
      run.startedAt = Date.now();
      return c.json({
        run: runMessage(run, "EXECUTING"),
        snapshot: moveTo(run, "EXECUTING"),
        execution: {
          attempt: { number: 1, startedAt: new Date() },
          run: {
            id: run.id,
            payload: run.payload,
            payloadType: "application/json",
            tags: [],
            isTest: false,
            createdAt: new Date(run.queuedAt),
            startedAt: new Date(),
            durationMs: 0,
            costInCents: 0,
            baseCostInCents: 0,
            version: worker.version,
            traceContext: {},
          },
          task: { id: run.task, filePath: "", exportName: run.task },
          queue: { id: run.queue, name: run.queue },
          environment: { id: "env_baseline", slug: "dev", type: "DEVELOPMENT" },
          organization: { id: "org_baseline", slug: "baseline", name: "Baseline" },
          project: { id: "project_baseline", ref: "proj_baseline", slug: "baseline", name: "Baseline" },
          machine: MACHINE,
        },
        envVars: {
          TRIGGER_OTEL_EXPORTER_OTLP_ENDPOINT: `${origin}/otel`,
          ...TELEMETRY_BATCHING,
          TRIGGER_API_URL: origin,
          TRIGGER_STREAM_URL: origin,
          TRIGGER_RUN_ID: run.id,
          TRIGGER_MACHINE_PRESET: MACHINE.name,
        },
      });
    })
    .post("/engine/v1/dev/runs/:run/snapshots/:snapshot/attempts/complete", async (c) => {
      const run = runs.get(c.req.param("run"))!;
      const { completion } = (await c.req.json()) as { completion: Completion };
      run.completedAt = Date.now();
      running--;
      inQueue.set(run.queue, (inQueue.get(run.queue) ?? 1) - 1);
      const parent = run.parentId ? runs.get(run.parentId) : undefined;
      if (parent) {
        // The RUN waitpoint, completed: the parent resumes on a new EXECUTING snapshot that carries it.
        moveTo(parent, "EXECUTING", [
          {
            id: `waitpoint_${run.id}`,
            friendlyId: `waitpoint_${run.id}`,
            type: "RUN",
            completedAt: new Date(),
            completedByTaskRun: { id: run.id, friendlyId: run.id },
            ...(completion.ok
              ? { output: completion.output, outputType: completion.outputType ?? "application/json" }
              : { output: JSON.stringify(completion.error ?? null), outputType: "application/json" }),
            outputIsError: !completion.ok,
          },
        ]);
        notify(parent.id);
        for (const ms of RESUME_REPEATS_MS) setTimeout(() => notify(parent.id), ms).unref();
      }
      wakeDequeue?.();
      return c.json({
        result: { attemptStatus: "RUN_FINISHED", run: runMessage(run, "COMPLETED_SUCCESSFULLY"), snapshot: moveTo(run, "FINISHED") },
      });
    })
    .post("/engine/v1/dev/runs/:run/snapshots/:snapshot/heartbeat", (c) => c.json({ ok: true }))
    .get("/engine/v1/dev/runs/:run/snapshots/latest", (c) => {
      const run = runs.get(c.req.param("run"))!;
      const status = run.completedAt ? "COMPLETED_SUCCESSFULLY" : "EXECUTING";
      return c.json({
        execution: {
          version: "1",
          snapshot: snapshotMessage(run),
          run: runMessage(run, status),
          completedWaitpoints: run.snapshot.completedWaitpoints,
        },
      });
    })
    .post("/engine/v1/dev/runs/:run/logs/debug", (c) => c.json({ ok: true }))
    .post("/engine/v1/dev/disconnect", (c) => c.json({ cancelled: 0 }))
    .post("/api/v1/tasks/:task/trigger", async (c) => {
      const body = (await c.req.json()) as TriggerBody;
      const parentId = body.options?.resumeParentOnCompletion ? body.options.parentRunId : undefined;
      const id = enqueue(c.req.param("task"), JSON.stringify(body.payload ?? null), parentId, body.options?.queue?.name);
      return c.json({ id, isCached: false });
    })
    .post("/otel/v1/*", (c) => c.json({}));

  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(s));
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The CLI subscribes to the runs it holds; a change to one is told to it at once (else it polls every 5 s).
  const io = new SocketServer(server as HttpServer, { transports: ["websocket"] });
  const devWorkers = io.of("/dev-worker");
  devWorkers.on("connection", (socket) => {
    socket.on("run:subscribe", ({ runFriendlyIds }: { runFriendlyIds: string[] }) => {
      for (const id of runFriendlyIds ?? []) void socket.join(id);
    });
    socket.on("run:unsubscribe", ({ runFriendlyIds }: { runFriendlyIds: string[] }) => {
      for (const id of runFriendlyIds ?? []) void socket.leave(id);
    });
  });
  notify = (runId) => void devWorkers.to(runId).emit("run:notify", { version: "1", run: { friendlyId: runId } });
  return {
    url: origin,
    enqueue,
    run: (id: string) => runs.get(id),
    /** Drops what is queued (the trigger load's runs are not for the CLI). */
    cancelQueued: () => void queue.splice(0),
    async waitAllFinished(ids: string[], timeoutMs: number) {
      const deadline = Date.now() + timeoutMs;
      while (!ids.every((id) => runs.get(id)?.completedAt)) {
        if (Date.now() > deadline) throw new Error(`baseline: not all of ${ids.length} runs finished in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => new Promise<void>((resolve) => void io.close(() => resolve())),
  };
}
