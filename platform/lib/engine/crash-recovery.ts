// Runs whose process died. While attempts are left a run starts over (what Trigger.dev does for a lost
// heartbeat), otherwise it is CRASHED. Its children and waits stay as they are: a retried parent
// re-triggers them with the same idempotency keys and gets the same runs back.
//
// A run whose CLI is known to be gone (its watchdog said so) is requeued at once. A run whose heartbeat
// merely stopped may still have a live process in a live CLI, which would ignore the run if it were handed
// out again: so first it is asked to stop (a PENDING_CANCEL snapshot); its CLI answers by completing the
// attempt, which requeues it; if no answer comes within another timeout, the CLI is taken to be gone.
import { and, eq, inArray, isNotNull, isNull, lte, or, sql } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../db/client";
import { attempts, runWaitpoints, runs, type Run } from "../db/schema";
import { leaseFromNow, type EngineContext } from "./engine-context";
import { requeue } from "./requeue";
import { finishCancel, finishRun, isCancelPending } from "./finish-run";
import { noEffects, type Effects } from "./run-notifier";
import { holdsSlot, SLOT_HOLDING_STATUSES } from "./run-statuses";
import { DUE_BATCH, earliest, type DueWork } from "./timers";
import { latestSnapshot, lockRun, writeSnapshot } from "./snapshots";
import { workerById } from "./workers";

export type Stall = { cliGone: boolean; code: string; message: string };

export async function recoverStalledRun(ctx: EngineContext, runId: string, stall: Stall): Promise<void> {
  const effects = noEffects();
  await ctx.db.transaction(async (tx) => {
    const run = await lockRun(tx, runId);
    if (run && isCancelPending(run)) return void (await finishCancel(ctx, tx, effects, run, false)); // its CLI never stopped it
    if (!run || !holdsSlot(run.status)) return;
    const latest = await latestSnapshot(tx, run.id);
    if (run.status !== "DEQUEUED" && !stall.cliGone && latest.executionStatus !== "PENDING_CANCEL") {
      await writeSnapshot(tx, run, "PENDING_CANCEL", `Stopping the attempt: ${stall.message}`);
      await tx
        .update(runs)
        .set({ leaseUntil: leaseFromNow(ctx) })
        .where(eq(runs.id, run.id));
      effects.notifyRuns.add(run.friendlyId);
      effects.timers.push(new Date(Date.now() + ctx.options.heartbeatTimeoutMs));
      return;
    }
    await retryOrCrash(ctx, tx, effects, run, stall);
  });
  ctx.notifier.publish(effects);
}

/** Ends the dead attempt: the run goes back to the queue while attempts are left, else CRASHED. */
export async function retryOrCrash(
  ctx: EngineContext,
  tx: DatabaseOrTransaction,
  effects: Effects,
  run: Run,
  stall: Omit<Stall, "cliGone">,
): Promise<"RETRY_QUEUED" | "RUN_FINISHED"> {
  const worker = run.workerId ? await workerById(ctx, run.workerId) : undefined;
  const maxAttempts = run.maxAttempts ?? worker?.tasks.get(run.taskIdentifier)?.retry?.maxAttempts ?? ctx.options.defaultMaxAttempts;
  const error = { type: "INTERNAL_ERROR", code: stall.code, message: stall.message };
  if (run.status !== "DEQUEUED") {
    await tx
      .update(attempts)
      .set({ status: "FAILED", error, completedAt: sql`now()` })
      .where(and(eq(attempts.runId, run.id), eq(attempts.number, run.attemptNumber)));
  }
  // Never started (DEQUEUED) costs no attempt; otherwise the next attempt starts from the top.
  if (run.status === "DEQUEUED" || run.attemptNumber < maxAttempts) {
    // What the dead attempt waited for is not handed to the next one.
    await tx
      .update(runWaitpoints)
      .set({ deliveredAt: sql`now()` })
      .where(and(eq(runWaitpoints.runId, run.id), sql`${runWaitpoints.deliveredAt} IS NULL`));
    await requeue(tx, run, new Date(), `Requeued: ${stall.message}`);
    effects.wakeEnvironments.add(run.environmentId);
    effects.notifyRuns.add(run.friendlyId);
    return "RETRY_QUEUED";
  }
  await finishRun(ctx, tx, effects, run, { status: "CRASHED", error });
  return "RUN_FINISHED";
}

/** At start-up: the platform being down is no run's fault, so every lease starts afresh. */
export async function renewLeasesAfterStart(ctx: EngineContext): Promise<void> {
  await ctx.db
    .update(runs)
    .set({ leaseUntil: leaseFromNow(ctx) })
    .where(sql`${runs.leaseUntil} IS NOT NULL`);
}

/** Runs holding a slot whose heartbeat lease ran out. */
export function stalledRunsDueWork(ctx: EngineContext): DueWork {
  const { db } = ctx;
  return {
    name: "stalled runs",
    nextDue: () => earliest(db, runs, runs.leaseUntil, isNotNull(runs.leaseUntil)),
    run: async () => {
      const stalled = await db
        .select({ id: runs.id })
        .from(runs)
        .where(
          and(
            isNotNull(runs.leaseUntil),
            lte(runs.leaseUntil, sql`now()`),
            or(inArray(runs.status, [...SLOT_HOLDING_STATUSES]), and(eq(runs.status, "CANCELED"), isNull(runs.completedAt))),
          ),
        )
        .limit(DUE_BATCH);
      for (const { id } of stalled)
        await recoverStalledRun(ctx, id, {
          cliGone: false,
          code: "TASK_RUN_HEARTBEAT_TIMEOUT",
          message: "The run stopped sending heartbeats (its CLI or task process died)",
        });
    },
  };
}
