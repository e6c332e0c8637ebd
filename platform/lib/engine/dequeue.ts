// Handing queued runs to the CLI. A run is queued while available_at is set and due; it goes to the CLI
// when its task is in the current worker, its environment has a free slot, and its queue is not paused
// and (with its concurrency key) is under its concurrencyLimit or the limit's override (queues.ts). Expired
// runs (ttl) are finished instead of handed out.
import type { DequeuedMessage } from "@trigger.dev/core/v3/schemas";
import { sql } from "drizzle-orm";
import type { z } from "zod";
import { runs, type Run } from "../db/schema";
import type { ProjectEnvironment } from "../environments";
import { DEQUEUED_LEASE_MS, leaseFromNow, type EngineContext } from "./engine-context";
import { queueGates } from "./queues";
import { noEffects } from "./run-notifier";
import { selectRows, textArray } from "./row-mapping";
import { SLOT_HOLDING_STATUSES } from "./run-statuses";
import { changeRunWithSnapshot } from "./snapshots";
import { expireRun, isExpired } from "./run-ttl";
import { workerById, type WorkerView } from "./workers";

export type Dequeued = z.input<typeof DequeuedMessage>;

/** Statuses that hold one of the environment's execution slots (in dev, a waiting run keeps its process).
 *  (Drizzle's `sql` writes an array parameter as a parenthesised list, for IN.) */
const OCCUPYING: readonly string[] = SLOT_HOLDING_STATUSES;

export const MACHINE = { name: "small-1x", cpu: 0.5, memory: 0.5, centsPerMs: 0 } as const;

export async function dequeueRuns(ctx: EngineContext, env: ProjectEnvironment, worker: WorkerView): Promise<Dequeued[]> {
  const effects = noEffects();
  const messages = await ctx.db.transaction(async (tx) => {
    // What holds a slot now, by queue and concurrency key: the environment's total, and the queues
    // (or keys) at their limit, whose queued runs are skipped by the candidate query below. Without that,
    // a long line of runs for a full queue (orders waiting behind a limit of 12) filled the candidate
    // window, and the child runs those orders wait for — queued later — were never reached.
    const running = await tx.execute<{ queue: string; concurrency_key: string | null; n: number }>(
      sql`SELECT queue, concurrency_key, count(*)::int AS n FROM trigger_platform.runs
           WHERE environment_id = ${env.id} AND status IN ${OCCUPYING}
           GROUP BY queue, concurrency_key`,
    );
    const busy = running.reduce((sum, r) => sum + r.n, 0);
    const room = ctx.options.dequeue.maxConcurrentRuns - busy;
    if (room <= 0) return [];
    const taskIds = [...worker.tasks.keys()];
    if (taskIds.length === 0) return [];

    const load = new Map<string, number>();
    for (const r of running) {
      load.set(slotOf(r.queue, null), (load.get(slotOf(r.queue, null)) ?? 0) + r.n);
      if (r.concurrency_key) load.set(slotOf(r.queue, r.concurrency_key), r.n);
    }
    // A queue's limit is its override (queues.overrideConcurrencyLimit) or its code's; a paused queue, or one
    // at a limit of 0, is skipped whole by the same clause as the full ones.
    const gates = await queueGates(ctx, env.id, worker);
    const full = [...load].filter(([slot, n]) => {
      const limit = gates.limitOf(slot.slice(0, slot.indexOf(SLOT_SEPARATOR)));
      return limit !== undefined && n >= limit;
    });
    const skipFull =
      full.length === 0 && gates.closed.length === 0
        ? sql``
        : sql`AND NOT (queue = ANY(${textArray(gates.closed)})
                OR (queue || chr(1) || coalesce(concurrency_key, chr(2))) = ANY(${textArray(full.map(([slot]) => slot))}))`;
    const candidates = await selectRows(
      tx,
      runs,
      sql`SELECT * FROM trigger_platform.runs
           WHERE environment_id = ${env.id} AND available_at IS NOT NULL AND available_at <= now() AND task_identifier IN ${taskIds}
           ${skipFull}
           ORDER BY available_at - priority_ms * interval '1 millisecond', created_at
           LIMIT ${Math.max(room * 4, 50)}
             FOR UPDATE SKIP LOCKED`,
    );
    if (candidates.length === 0) return [];

    const picked: Dequeued[] = [];
    for (const run of candidates) {
      if (picked.length >= room) break;
      if (isExpired(run)) {
        await expireRun(ctx, tx, effects, run);
        continue;
      }
      // A run locked to an older build goes to the CLI under that build's id: the CLI runs it if it still
      // has that build, and fails it (COULD_NOT_FIND_EXECUTOR, retried) if not — as on Trigger.dev.
      const runsOn =
        run.lockedToWorkerId && run.lockedToWorkerId !== worker.id ? ((await workerById(ctx, run.lockedToWorkerId)) ?? worker) : worker;
      const limit = gates.limitOf(run.queue);
      const slot = slotOf(run.queue, run.concurrencyKey);
      if (limit !== undefined && (load.get(slot) ?? 0) >= limit) continue;
      load.set(slot, (load.get(slot) ?? 0) + 1);
      if (run.concurrencyKey) load.set(slotOf(run.queue, null), (load.get(slotOf(run.queue, null)) ?? 0) + 1);
      picked.push(await handOut(ctx, tx, env, runsOn, run));
    }
    return picked;
  });
  // Most dequeue requests (the CLI's polls) change nothing: publishing those would wake every live
  // dashboard page about once a second for no change.
  if (messages.length > 0 || effects.notifyRuns.size > 0 || effects.wakeEnvironments.size > 0 || effects.timers.length > 0)
    ctx.notifier.publish(effects);
  return messages;
}

/** A queue's slot, or one concurrency key's slot in it, written as the candidate query writes it. */
const SLOT_SEPARATOR = "\u0001";
const slotOf = (queue: string, concurrencyKey: string | null) => `${queue}${SLOT_SEPARATOR}${concurrencyKey ?? "\u0002"}`;

async function handOut(
  ctx: EngineContext,
  tx: Parameters<Parameters<EngineContext["db"]["transaction"]>[0]>[0],
  env: ProjectEnvironment,
  worker: WorkerView,
  run: Run,
): Promise<Dequeued> {
  const { snapshot } = await changeRunWithSnapshot(
    tx,
    run.id,
    sql`status = 'DEQUEUED', available_at = NULL, worker_id = ${worker.id},
        lease_until = ${leaseFromNow(ctx, DEQUEUED_LEASE_MS)}, updated_at = now()`,
    "PENDING_EXECUTING",
    "Run was dequeued for execution",
  );
  return {
    version: "1",
    snapshot: {
      id: snapshot.id,
      friendlyId: snapshot.friendlyId,
      executionStatus: "PENDING_EXECUTING",
      description: snapshot.description,
      createdAt: snapshot.createdAt,
    },
    dequeuedAt: new Date(),
    completedWaitpoints: [],
    backgroundWorker: { id: worker.id, friendlyId: worker.id, version: worker.version },
    deployment: {},
    run: {
      id: run.id,
      friendlyId: run.friendlyId,
      isTest: run.isTest,
      isReplay: run.replayedFromId !== null,
      machine: MACHINE,
      attemptNumber: run.attemptNumber + 1,
      masterQueue: `dev:${env.id}`,
      traceContext: run.traceContext,
    },
    environment: { id: env.id, type: "DEVELOPMENT" },
    organization: { id: "org_local" },
    project: { id: env.projectId },
  };
}
