// The run engine on a test database, without HTTP and without a CLI: what the dev CLI would do (register a
// worker, dequeue, start and complete attempts) is done by these helpers, so each engine test takes
// milliseconds. Modelled on Trigger.dev's engine/tests (setupTestEnvironment + engine calls).
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import { eq } from "drizzle-orm";
import { runs, snapshots } from "../../lib/db/schema";
import { RunEngine } from "../../lib/engine";
import type { Completion } from "../../lib/engine/attempts";
import type { TriggerBody } from "../../lib/engine/trigger-run";
import { ensureProjectEnvironment, type ProjectEnvironment } from "../../lib/environments";
import { internalId } from "../../lib/ids";
import type { PlatformOptions } from "../../lib/platform-options";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

export type TaskSpec = { id: string; queue?: { name: string; concurrencyLimit?: number }; retry?: { maxAttempts: number }; ttl?: string };

export const ENGINE_OPTIONS: PlatformOptions = {
  secretKey: "tr_dev_engine",
  defaultProjectRef: "proj_enginetests",
  dequeue: { holdMs: 0, intervalWithRunMs: 0, intervalWithoutRunMs: 20, maxConcurrentRuns: 10 },
  heartbeatTimeoutMs: 30_000,
  defaultMaxAttempts: 3,
  taskEnvironment: {},
};

export type EngineHarness = Awaited<ReturnType<typeof startEngine>>;

let projects = 0;

/** An engine over `database` with a project of its own (tests share a database, never a project). */
export async function startEngine(database: TestDatabase, tasks: TaskSpec[], options: Partial<PlatformOptions> = {}) {
  const project = ++projects;
  const opts = { ...ENGINE_OPTIONS, defaultProjectRef: `proj_engine${project}`, secretKey: `tr_dev_engine${project}`, ...options };
  const engine = new RunEngine({ db: database.db, options: opts, origin: "http://engine.test" });
  const env: ProjectEnvironment = await ensureProjectEnvironment(database.db, opts.defaultProjectRef, opts);
  const register = (contentHash: string) =>
    engine.registerWorker(env, {
      contentHash,
      tasks: tasks.map((t) => ({
        id: t.id,
        filePath: `src/${t.id}.ts`,
        exportName: t.id,
        ...(t.queue ? { queue: t.queue } : {}),
        ...(t.retry ? { retry: t.retry } : {}),
        ...(t.ttl ? { ttl: t.ttl } : {}),
      })),
      queues: tasks.flatMap((t) => (t.queue ? [t.queue] : [])),
    });
  let worker = await register("build-1");

  const h = {
    engine,
    env,
    db: database.db,
    get worker() {
      return worker;
    },
    /** A new build of the same tasks (what a file save does under `trigger.dev dev`). */
    async rebuild(contentHash: string) {
      worker = await register(contentHash);
      return worker;
    },
    trigger: (task: string, body: Partial<TriggerBody> = {}) =>
      engine.trigger(env, task, { payload: body.payload ?? "{}", options: { payloadType: "application/json", ...body.options } }),
    dequeue: () => engine.dequeue(env, worker.id),
    /** Dequeues and starts an attempt on the one run expected; returns its friendly id. */
    async startNext(expectedRunId?: string) {
      const [message, ...rest] = await h.dequeue();
      expect(rest).toEqual([]);
      expect(message, "a run to dequeue").toBeDefined();
      if (expectedRunId) expect(message!.run.friendlyId).toBe(expectedRunId);
      await engine.startAttempt(env, message!.run.id, message!.snapshot.friendlyId);
      return message!.run.friendlyId;
    },
    complete: (runFriendlyId: string, completion: Completion) => engine.completeAttempt(env, internalId(runFriendlyId), completion),
    succeed: (runFriendlyId: string, output: unknown = null) =>
      h.complete(runFriendlyId, { ok: true, id: runFriendlyId, output: JSON.stringify(output), outputType: "application/json" }),
    fail: (runFriendlyId: string, retryInMs?: number) =>
      h.complete(runFriendlyId, {
        ok: false,
        id: runFriendlyId,
        error: { type: "BUILT_IN_ERROR", name: "Error", message: "boom", stackTrace: "" },
        ...(retryInMs === undefined ? {} : { retry: { timestamp: Date.now() + retryInMs, delay: retryInMs } }),
      }),
    async run(runFriendlyId: string) {
      const [row] = await database.db
        .select()
        .from(runs)
        .where(eq(runs.id, internalId(runFriendlyId)));
      return row!;
    },
    async snapshotsOf(runFriendlyId: string) {
      return database.db
        .select()
        .from(snapshots)
        .where(eq(snapshots.runId, internalId(runFriendlyId)))
        .orderBy(snapshots.seq);
    },
    async close() {
      await engine.stop();
    },
  };
  return h;
}

/** One database per test file; per test, a fresh engine and project (so a test starts from nothing). */
export function useEngine(tasks: TaskSpec[], options: Partial<PlatformOptions> = {}) {
  const state: { database?: TestDatabase; h?: EngineHarness } = {};
  beforeAll(async () => {
    state.database = await createTestDatabase();
  });
  afterAll(async () => state.database?.close());
  beforeEach(async () => {
    state.h = await startEngine(state.database!, tasks, options);
  });
  afterEach(async () => state.h?.close());
  return () => state.h!;
}

/** One database and one engine for the whole file, every statement it sends recorded in `statements` (a test
 *  empties it where it starts counting). */
export function useCountingEngine(tasks: TaskSpec[]) {
  const statements: string[] = [];
  const state: { database?: TestDatabase; h?: EngineHarness } = {};
  beforeAll(async () => {
    state.database = await createTestDatabase({ onStatement: (statement) => statements.push(statement) });
    state.h = await startEngine(state.database, tasks);
  });
  afterAll(async () => {
    await state.h?.close();
    await state.database?.close();
  });
  return { statements, engine: () => state.h! };
}
