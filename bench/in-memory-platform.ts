// The baseline for the platform benchmark: the least a server can do and still let the real CLI run no-op
// tasks — runs in a Map, no Postgres, no validation, no waits, no retries. What our durable platform costs
// is its figure against this one, measured in the same run on the same machine.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";

type BaselineRun = {
  id: string;
  task: string;
  payload: string;
  queuedAt: number;
  startedAt?: number;
  completedAt?: number;
  attempt: number;
};

const MACHINE = { name: "small-1x", cpu: 0.5, memory: 0.5, centsPerMs: 0 };

export async function startInMemoryPlatform(options: { maxConcurrentRuns: number; holdMs: number }) {
  const runs = new Map<string, BaselineRun>();
  const queue: BaselineRun[] = [];
  let running = 0;
  let sequence = 0;
  let worker = { id: "worker_baseline_0", version: "1" };
  let wakeDequeue: (() => void) | undefined;
  const snapshot = (run: BaselineRun, executionStatus: string) => ({
    id: `snapshot_${run.id}_${++sequence}`,
    friendlyId: `snapshot_${run.id}_${sequence}`,
    executionStatus,
    description: executionStatus,
    createdAt: new Date(),
  });
  const runMessage = (run: BaselineRun, status: string) => ({ id: run.id, friendlyId: run.id, status, attemptNumber: run.attempt });

  function enqueue(task: string, payload: string): string {
    const run: BaselineRun = { id: `run_baseline${++sequence}`, task, payload, queuedAt: Date.now(), attempt: 0 };
    runs.set(run.id, run);
    queue.push(run);
    wakeDequeue?.();
    return run.id;
  }

  function takeRuns() {
    const out = [];
    while (queue.length > 0 && running < options.maxConcurrentRuns) {
      const run = queue.shift()!;
      running++;
      out.push({
        version: "1",
        snapshot: snapshot(run, "PENDING_EXECUTING"),
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
    .post("/api/v1/projects/:ref/background-workers", (c) => {
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
        snapshot: snapshot(run, "EXECUTING"),
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
          queue: { id: `task/${run.task}`, name: `task/${run.task}` },
          environment: { id: "env_baseline", slug: "dev", type: "DEVELOPMENT" },
          organization: { id: "org_baseline", slug: "baseline", name: "Baseline" },
          project: { id: "project_baseline", ref: "proj_baseline", slug: "baseline", name: "Baseline" },
          machine: MACHINE,
        },
        envVars: {
          TRIGGER_OTEL_EXPORTER_OTLP_ENDPOINT: `${origin}/otel`,
          TRIGGER_API_URL: origin,
          TRIGGER_STREAM_URL: origin,
          TRIGGER_RUN_ID: run.id,
          TRIGGER_MACHINE_PRESET: MACHINE.name,
        },
      });
    })
    .post("/engine/v1/dev/runs/:run/snapshots/:snapshot/attempts/complete", (c) => {
      const run = runs.get(c.req.param("run"))!;
      run.completedAt = Date.now();
      running--;
      wakeDequeue?.();
      return c.json({
        result: { attemptStatus: "RUN_FINISHED", run: runMessage(run, "COMPLETED_SUCCESSFULLY"), snapshot: snapshot(run, "FINISHED") },
      });
    })
    .post("/engine/v1/dev/runs/:run/snapshots/:snapshot/heartbeat", (c) => c.json({ ok: true }))
    .get("/engine/v1/dev/runs/:run/snapshots/latest", (c) => {
      const run = runs.get(c.req.param("run"))!;
      const status = run.completedAt ? "FINISHED" : "EXECUTING";
      return c.json({
        execution: { version: "1", snapshot: snapshot(run, status), run: runMessage(run, status), completedWaitpoints: [] },
      });
    })
    .post("/engine/v1/dev/runs/:run/logs/debug", (c) => c.json({ ok: true }))
    .post("/engine/v1/dev/disconnect", (c) => c.json({ cancelled: 0 }))
    .post("/api/v1/tasks/:task/trigger", async (c) => {
      const body = (await c.req.json()) as { payload?: unknown };
      return c.json({ id: enqueue(c.req.param("task"), JSON.stringify(body.payload ?? null)) });
    })
    .post("/otel/v1/*", (c) => c.json({}));

  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(s));
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
