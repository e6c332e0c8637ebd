// Delayed and retrying runs becoming available: when their moment passes, the CLI's held dequeue for their
// environment is woken, and a DELAYED run shows as queued (PENDING).
import { and, eq, gt, isNotNull, lte, sql } from "drizzle-orm";
import { runs } from "../db/schema";
import type { EngineContext } from "./engine-context";
import { earliest, type DueWork } from "./timers";

export function availableRunsDueWork(ctx: EngineContext): DueWork {
  const { db } = ctx;
  return {
    name: "delayed and retrying runs",
    nextDue: () => earliest(db, runs, runs.availableAt, sql`${runs.availableAt} > now()`),
    run: async (previousPass) => {
      // Runs that became available since the last pass: wake the CLI's held dequeue for their environment.
      const woken = await db
        .selectDistinct({ environmentId: runs.environmentId })
        .from(runs)
        .where(and(isNotNull(runs.availableAt), lte(runs.availableAt, sql`now()`), gt(runs.availableAt, previousPass)));
      for (const { environmentId } of woken) ctx.notifier.wake(environmentId);
      await db
        .update(runs)
        .set({ status: "PENDING", updatedAt: sql`now()` })
        .where(and(eq(runs.status, "DELAYED"), lte(runs.availableAt, sql`now()`)));
    },
  };
}
