// The queues of an environment, as Trigger.dev's queues API shows them (its QueueListPresenter and
// QueueRetrievePresenter): the current worker's — its custom queues, and each task's own "task/<id>" unless
// the task names another — and any queue runs were triggered into. What the API sets on a queue (paused, a
// concurrency limit override) is kept per environment and queue in queue_settings; the dequeue obeys it
// through queueGates.
import { createHash } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { queueSettings, type QueueSettings } from "../db/schema";
import type { ProjectEnvironment } from "../environments";
import { PlatformError } from "../platform-error";
import type { EngineContext } from "./engine-context";
import { noEffects } from "./run-notifier";
import { SLOT_HOLDING_STATUSES } from "./run-statuses";
import { currentWorker, defaultQueueName, type WorkerView } from "./workers";

export type QueueType = "task" | "custom";

/** How a caller names a queue: by its id, by the task whose own queue it is, or by a custom queue's name. */
export type QueueRef = { id: string } | { task: string } | { custom: string };

export type QueueState = {
  id: string;
  /** The name runs carry: "task/<id>" for a task's own queue. */
  name: string;
  type: QueueType;
  /** The limit its code declares (at most the environment's), or null: none. */
  baseLimit: number | null;
  override: { limit: number; at: Date } | null;
  paused: boolean;
  /** Runs holding one of its slots (dequeued, executing, or waiting inside their attempt). */
  running: number;
  /** Runs waiting in it to be dequeued (a retry's backoff included; a delay not yet passed is not). */
  queued: number;
};

const TASK_QUEUE_PREFIX = "task/";

/** What a concurrency limit override must be (besides not above the environment's limit). */
export const CONCURRENCY_LIMIT_RULE = "must be a whole number of runs, 0 or more";

/** The limit the dequeue applies: the override while there is one, else the code's. */
export const effectiveLimit = (queue: Pick<QueueState, "baseLimit" | "override">) => queue.override?.limit ?? queue.baseLimit;

/** The name the API shows: a task's own queue is shown by its task id, as on Trigger.dev. */
export const displayName = (name: string) => name.replace(/^task\//, "");

/** A queue's id, derived from its environment and name: queues are not rows here, yet their ids stay put. */
export const queueId = (environmentId: string, name: string) =>
  `queue_${createHash("sha256").update(`${environmentId}\u0000${name}`).digest("hex").slice(0, 25)}`;

function describe(ref: QueueRef): string {
  if ("id" in ref) return `no queue with id "${ref.id}"`;
  if ("task" in ref) return `no queue of task "${displayName(ref.task)}" (its own queue, ${TASK_QUEUE_PREFIX}${displayName(ref.task)})`;
  return `no custom queue named "${ref.custom}"`;
}

// ---- What the code declares -------------------------------------------------------------------------

type DeclaredQueue = { type: QueueType; limit: number | null };
type Declared = {
  queues: Map<string, DeclaredQueue>;
  /** Queues whose code limit is 0: nothing of theirs ever starts. */ closed: string[];
};

const declaredOf = new WeakMap<WorkerView, Declared>();

/** The worker's queues, as Trigger.dev makes them when a worker registers (createBackgroundWorker). */
function declaredQueues(worker: WorkerView | undefined): Declared {
  if (!worker) return { queues: new Map(), closed: [] };
  const cached = declaredOf.get(worker);
  if (cached) return cached;
  const queues = new Map<string, DeclaredQueue>();
  const limitOf = (limit: number | null | undefined) => (typeof limit === "number" ? limit : null);
  for (const queue of worker.queues.values()) queues.set(queue.name, { type: "custom", limit: limitOf(queue.concurrencyLimit) });
  for (const [taskId, task] of worker.tasks) {
    const name = defaultQueueName(task, taskId);
    // A task's inline queue without a name ({ concurrencyLimit }) is its own "task/<id>", with that limit.
    if (!queues.has(name)) queues.set(name, { type: task.queue?.name ? "custom" : "task", limit: limitOf(task.queue?.concurrencyLimit) });
  }
  const declared = { queues, closed: [...queues].filter(([, queue]) => queue.limit === 0).map(([name]) => name) };
  declaredOf.set(worker, declared);
  return declared;
}

// ---- What the API set (queue_settings), cached per environment: the dequeue reads it on every poll --------

type Setting = { paused: boolean; override: { limit: number; at: Date } | null };
const settingsCache = new WeakMap<Database, Map<string, Promise<Map<string, Setting>>>>();

const settingOf = (row: QueueSettings): Setting => ({
  paused: row.paused,
  override: row.concurrencyLimitOverride === null ? null : { limit: row.concurrencyLimitOverride, at: row.overriddenAt ?? row.updatedAt },
});

function settingsOf(ctx: EngineContext, environmentId: string): Promise<Map<string, Setting>> {
  let byEnvironment = settingsCache.get(ctx.db);
  if (!byEnvironment) settingsCache.set(ctx.db, (byEnvironment = new Map()));
  let loading = byEnvironment.get(environmentId);
  if (!loading) {
    // The promise is what is cached: a write forgets it after committing, so every read begun later sees the write.
    loading = ctx.db
      .select()
      .from(queueSettings)
      .where(eq(queueSettings.environmentId, environmentId))
      .then((rows) => new Map(rows.map((row) => [row.queue, settingOf(row)])));
    byEnvironment.set(environmentId, loading);
    // A failed read is tried again next time (unless a newer read has taken its place meanwhile).
    loading.catch(() => byEnvironment.get(environmentId) === loading && byEnvironment.delete(environmentId));
  }
  return loading;
}

async function saveSetting(
  ctx: EngineContext,
  env: ProjectEnvironment,
  queue: string,
  change: { paused: boolean } | { concurrencyLimitOverride: number | null; overriddenAt: Date | null },
): Promise<Setting> {
  const [row] = await ctx.db
    .insert(queueSettings)
    .values({ environmentId: env.id, queue, ...change })
    .onConflictDoUpdate({ target: [queueSettings.environmentId, queueSettings.queue], set: { ...change, updatedAt: sql`now()` } })
    .returning();
  settingsCache.get(ctx.db)?.delete(env.id);
  // A resumed queue, or a raised limit, has runs to hand out now: wake the CLI's held dequeue.
  ctx.notifier.publish({ ...noEffects(), wakeEnvironments: new Set([env.id]) });
  return settingOf(row!);
}

// ---- For the dequeue ---------------------------------------------------------------------------------

export type QueueGates = {
  /** The queue's limit now: its override, else its code's; undefined: none. */
  limitOf(queue: string): number | undefined;
  /** Queues nothing may be dequeued from now: paused, or at a limit of 0. */
  closed: string[];
};

export async function queueGates(ctx: EngineContext, environmentId: string, worker: WorkerView): Promise<QueueGates> {
  const settings = await settingsOf(ctx, environmentId);
  const declared = declaredQueues(worker);
  const limitOf = (queue: string) => settings.get(queue)?.override?.limit ?? declared.queues.get(queue)?.limit ?? undefined;
  if (settings.size === 0) return { limitOf, closed: declared.closed };
  const closed = new Set(declared.closed.filter((queue) => !settings.get(queue)?.override));
  for (const [queue, setting] of settings) if (setting.paused || setting.override?.limit === 0) closed.add(queue);
  return { limitOf, closed: [...closed] };
}

// ---- Reading queues ------------------------------------------------------------------------------------

type RunCounts = { running: number; queued: number };
const OCCUPYING = [...SLOT_HOLDING_STATUSES];
const countColumns = sql`count(*) FILTER (WHERE status IN ${OCCUPYING})::int AS running,
  count(*) FILTER (WHERE available_at IS NOT NULL AND NOT (status = 'DELAYED' AND available_at > now()))::int AS queued`;

/** Every queue runs of the environment were triggered into, with its counts (one pass over its runs). */
async function countsByQueue(ctx: EngineContext, environmentId: string): Promise<Map<string, RunCounts>> {
  const rows = await ctx.db.execute<RunCounts & { queue: string }>(
    sql`SELECT queue, ${countColumns} FROM trigger_platform.runs WHERE environment_id = ${environmentId} GROUP BY queue`,
  );
  return new Map(rows.map((row) => [row.queue, { running: row.running, queued: row.queued }]));
}

/** One queue's counts, from the live runs only (the queued and slot-holding runs are indexed). */
async function countsOf(ctx: EngineContext, environmentId: string, queue: string): Promise<RunCounts> {
  const [row] = await ctx.db.execute<RunCounts>(
    sql`SELECT ${countColumns} FROM trigger_platform.runs
         WHERE environment_id = ${environmentId} AND queue = ${queue} AND (available_at IS NOT NULL OR status IN ${OCCUPYING})`,
  );
  return row ?? { running: 0, queued: 0 };
}

async function hasRuns(ctx: EngineContext, environmentId: string, queue: string): Promise<boolean> {
  const rows = await ctx.db.execute(
    sql`SELECT 1 FROM trigger_platform.runs WHERE environment_id = ${environmentId} AND queue = ${queue} LIMIT 1`,
  );
  return rows.length > 0;
}

function stateOf(
  ctx: EngineContext,
  env: ProjectEnvironment,
  name: string,
  declared: DeclaredQueue | undefined,
  setting: Setting | undefined,
  counts: RunCounts,
): QueueState {
  const code = declared?.limit ?? null;
  return {
    id: queueId(env.id, name),
    name,
    type: declared?.type ?? (name.startsWith(TASK_QUEUE_PREFIX) ? "task" : "custom"),
    // As Trigger.dev does when a worker registers: a declared limit is held to the environment's.
    baseLimit: code === null ? null : Math.max(0, Math.min(code, ctx.options.dequeue.maxConcurrentRuns)),
    override: setting?.override ?? null,
    paused: setting?.paused ?? false,
    running: counts.running,
    queued: counts.queued,
  };
}

/** A page of the environment's queues, ordered by the name shown (as Trigger.dev orders them), and how many there are. */
export async function listQueues(
  ctx: EngineContext,
  env: ProjectEnvironment,
  page: { page: number; perPage: number },
): Promise<{ queues: QueueState[]; count: number }> {
  const [worker, settings, counts] = await Promise.all([currentWorker(ctx, env.id), settingsOf(ctx, env.id), countsByQueue(ctx, env.id)]);
  const declared = declaredQueues(worker).queues;
  const names = [...new Set([...declared.keys(), ...settings.keys(), ...counts.keys()])].sort((a, b) => {
    const [x, y] = [displayName(a), displayName(b)];
    return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
  });
  const start = (page.page - 1) * page.perPage;
  return {
    count: names.length,
    queues: names
      .slice(start, start + page.perPage)
      .map((name) => stateOf(ctx, env, name, declared.get(name), settings.get(name), counts.get(name) ?? { running: 0, queued: 0 })),
  };
}

/** The queue `ref` names, or undefined when the environment has no such queue. */
async function findQueue(ctx: EngineContext, env: ProjectEnvironment, ref: QueueRef): Promise<QueueState | undefined> {
  const [worker, settings] = await Promise.all([currentWorker(ctx, env.id), settingsOf(ctx, env.id)]);
  const declared = declaredQueues(worker).queues;
  let name: string | undefined;
  if ("id" in ref) {
    const matches = (candidate: string) => queueId(env.id, candidate) === ref.id;
    name = [...declared.keys(), ...settings.keys()].find(matches);
    // Ids are derived, not stored: a queue known only from its runs is found by deriving theirs.
    if (!name && ref.id.startsWith("queue_")) name = [...(await countsByQueue(ctx, env.id)).keys()].find(matches);
  } else {
    const asked = "task" in ref ? `${TASK_QUEUE_PREFIX}${displayName(ref.task)}` : ref.custom;
    if (declared.has(asked) || settings.has(asked) || (await hasRuns(ctx, env.id, asked))) name = asked;
  }
  if (!name) return undefined;
  return stateOf(ctx, env, name, declared.get(name), settings.get(name), await countsOf(ctx, env.id, name));
}

/** The queue `ref` names, or a 404 that says which queue is missing. */
export async function retrieveQueue(ctx: EngineContext, env: ProjectEnvironment, ref: QueueRef): Promise<QueueState> {
  const queue = await findQueue(ctx, env, ref);
  if (!queue) throw new PlatformError(`Queue not found: ${describe(ref)} in this environment`, 404);
  return queue;
}

// ---- Changing queues --------------------------------------------------------------------------------

/** queues.pause / queues.resume: a paused queue keeps its runs queued, and hands none out until resumed;
 *  runs already started go on. */
export async function setQueuePaused(ctx: EngineContext, env: ProjectEnvironment, ref: QueueRef, paused: boolean): Promise<QueueState> {
  const queue = await retrieveQueue(ctx, env, ref);
  const setting = await saveSetting(ctx, env, queue.name, { paused });
  return { ...queue, ...setting };
}

/** queues.overrideConcurrencyLimit: the limit replaces the code's until reset. As on Trigger.dev, it may not
 *  exceed the environment's limit (refused, not capped); 0 lets nothing of the queue start. */
export async function overrideQueueLimit(ctx: EngineContext, env: ProjectEnvironment, ref: QueueRef, limit: number): Promise<QueueState> {
  const maximum = ctx.options.dequeue.maxConcurrentRuns;
  if (!Number.isInteger(limit) || limit < 0) throw new PlatformError(`concurrencyLimit: ${CONCURRENCY_LIMIT_RULE} (got ${limit})`, 400);
  if (limit > maximum)
    throw new PlatformError(
      `concurrencyLimit: ${limit} exceeds the environment's limit of ${maximum} concurrent runs; a queue's limit may not be higher`,
      400,
    );
  const queue = await retrieveQueue(ctx, env, ref);
  const setting = await saveSetting(ctx, env, queue.name, { concurrencyLimitOverride: limit, overriddenAt: new Date() });
  return { ...queue, ...setting };
}

/** queues.resetConcurrencyLimit: back to the limit the code declares. A queue without an override is refused, as on Trigger.dev. */
export async function resetQueueLimit(ctx: EngineContext, env: ProjectEnvironment, ref: QueueRef): Promise<QueueState> {
  const queue = await retrieveQueue(ctx, env, ref);
  if (!queue.override) throw new PlatformError(`Queue ${displayName(queue.name)} has no concurrency limit override to reset`, 400);
  const setting = await saveSetting(ctx, env, queue.name, { concurrencyLimitOverride: null, overriddenAt: null });
  return { ...queue, ...setting };
}
