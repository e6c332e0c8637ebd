// Background workers: each build `trigger.dev dev` registers is a version of the project's tasks. The
// newest one of an environment is current; runs are dequeued for the tasks it has.
import { TaskManifest } from "@trigger.dev/core/v3/schemas";
import { and, desc, eq } from "drizzle-orm";
import type { z } from "zod";
import { workers, type Worker } from "../db/schema";
import { newIds } from "../ids";
import type { EngineContext } from "./engine-context";
import { PlatformError } from "../platform-error";

export type TaskDefinition = Pick<
  z.output<typeof TaskManifest>,
  "id" | "filePath" | "exportName" | "queue" | "retry" | "maxDuration" | "triggerSource" | "schedule" | "ttl"
>;
export type QueueDefinition = { name: string; concurrencyLimit?: number | null };
export type WorkerView = Worker & { tasks: Map<string, TaskDefinition>; queues: Map<string, QueueDefinition> };

// The current worker per environment, cached (null: none registered yet); registerWorker replaces it.
const current = new WeakMap<object, Map<string, WorkerView | null>>();

function cacheOf(ctx: EngineContext): Map<string, WorkerView | null> {
  let cache = current.get(ctx.db);
  if (!cache) current.set(ctx.db, (cache = new Map()));
  return cache;
}

function view(worker: Worker): WorkerView {
  const metadata = worker.metadata as { tasks?: TaskDefinition[]; queues?: QueueDefinition[] };
  return {
    ...worker,
    tasks: new Map((metadata.tasks ?? []).map((task) => [task.id, task])),
    queues: new Map((metadata.queues ?? []).map((queue) => [queue.name, queue])),
  };
}

/**
 * Registers a build. The same code (content hash) as the current worker is that worker, as on
 * Trigger.dev: a restarted CLI keeps running the runs locked to its version (every triggerAndWait child).
 */
export async function registerWorker(
  ctx: EngineContext,
  environmentId: string,
  metadata: Record<string, unknown> & { contentHash: string },
): Promise<WorkerView> {
  const existing = await currentWorker(ctx, environmentId);
  if (existing && existing.contentHash === metadata.contentHash) return existing;
  const { friendlyId } = newIds("worker");
  const today = new Date().toISOString().slice(0, 10).replace(/-/g, "");
  const previous = await ctx.db
    .select({ version: workers.version })
    .from(workers)
    .where(eq(workers.environmentId, environmentId))
    .orderBy(desc(workers.createdAt))
    .limit(1);
  const sequence = previous[0]?.version.startsWith(`${today}.`) ? Number(previous[0].version.split(".")[1]) + 1 : 1;
  const [row] = await ctx.db
    .insert(workers)
    .values({ id: friendlyId, environmentId, version: `${today}.${sequence}`, contentHash: metadata.contentHash, metadata })
    .returning();
  const worker = view(row!);
  cacheOf(ctx).set(environmentId, worker);
  return worker;
}

/** The environment's newest worker, or undefined before `trigger.dev dev` has registered one. */
export async function currentWorker(ctx: EngineContext, environmentId: string): Promise<WorkerView | undefined> {
  const cached = cacheOf(ctx).get(environmentId);
  if (cached !== undefined) return cached ?? undefined;
  const [row] = await ctx.db
    .select()
    .from(workers)
    .where(eq(workers.environmentId, environmentId))
    .orderBy(desc(workers.createdAt))
    .limit(1);
  if (!row) {
    cacheOf(ctx).set(environmentId, null);
    return undefined;
  }
  const worker = view(row);
  cacheOf(ctx).set(environmentId, worker);
  return worker;
}

// A worker never changes once registered: cached by id, per database.
const byId = new WeakMap<object, Map<string, WorkerView>>();

export async function workerById(ctx: EngineContext, id: string): Promise<WorkerView | undefined> {
  let cache = byId.get(ctx.db);
  if (!cache) byId.set(ctx.db, (cache = new Map()));
  const cached = cache.get(id);
  if (cached) return cached;
  const [row] = await ctx.db.select().from(workers).where(eq(workers.id, id));
  if (row) cache.set(id, view(row));
  return row ? cache.get(id) : undefined;
}

/** The environment's worker of that version (what a trigger's lockToVersion names), if registered. */
export async function workerByVersion(ctx: EngineContext, environmentId: string, version: string): Promise<WorkerView | undefined> {
  const now = await currentWorker(ctx, environmentId);
  if (now?.version === version) return now;
  const [row] = await ctx.db
    .select({ id: workers.id })
    .from(workers)
    .where(and(eq(workers.environmentId, environmentId), eq(workers.version, version)));
  return row ? workerById(ctx, row.id) : undefined;
}

/**
 * A trigger locked to a version (every trigger from inside a task) must name a task that version has, or a
 * queue it has (its custom queues and its tasks' own): Trigger.dev refuses anything else, rather than leave a
 * run no worker will ever take.
 */
export function checkLockedVersion(worker: WorkerView, taskId: string, queueName: string | undefined): void {
  if (queueName !== undefined) {
    const known = worker.queues.has(queueName) || [...worker.tasks.values()].some((task) => defaultQueueName(task, task.id) === queueName);
    if (!known)
      throw new PlatformError(`Specified queue '${queueName}' not found or not associated with locked version '${worker.version}'.`, 404);
  } else if (!worker.tasks.has(taskId)) {
    throw new PlatformError(`Task '${taskId}' not found on locked version '${worker.version}'.`, 404);
  }
}

/** The queue a task's runs go to when the trigger names none: its own, or "task/<id>". */
export function defaultQueueName(task: TaskDefinition | undefined, taskId: string): string {
  return task?.queue?.name ?? `task/${taskId}`;
}
