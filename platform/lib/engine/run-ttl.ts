// A run's ttl: a run not started within it ends EXPIRED (checked when it comes due, and again at dequeue).
import { and, isNotNull, lte, sql } from "drizzle-orm";
import { runs, type Run } from "../db/schema";
import type { DatabaseOrTransaction } from "../db/client";
import type { EngineContext } from "./engine-context";
import { finishRun } from "./finish-run";
import { noEffects, type Effects } from "./run-notifier";
import { lockRun } from "./snapshots";
import { DUE_BATCH, earliest, type DueWork } from "./timers";

export const isExpired = (run: Pick<Run, "expireAt">, now = new Date()) => run.expireAt !== null && run.expireAt <= now;

export async function expireRun(ctx: EngineContext, tx: DatabaseOrTransaction, effects: Effects, run: Run) {
  return finishRun(ctx, tx, effects, run, {
    status: "EXPIRED",
    error: { type: "STRING_ERROR", raw: `Run expired: not started within its ttl (${run.ttl})` },
  });
}

export function expiredRunsDueWork(ctx: EngineContext): DueWork {
  const { db } = ctx;
  return {
    name: "expired runs",
    nextDue: () => earliest(db, runs, runs.expireAt, and(isNotNull(runs.availableAt), isNotNull(runs.expireAt))),
    run: async () => {
      const due = await db
        .select()
        .from(runs)
        .where(and(isNotNull(runs.availableAt), lte(runs.expireAt, sql`now()`)))
        .limit(DUE_BATCH);
      for (const run of due) {
        const effects = noEffects();
        await db.transaction(async (tx) => {
          const locked = await lockRun(tx, run.id);
          if (locked && locked.availableAt) await expireRun(ctx, tx, effects, locked);
        });
        ctx.notifier.publish(effects);
      }
    },
  };
}
