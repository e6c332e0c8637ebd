// Schedules: declarative ones come from `schedules.task({ cron })` in the worker's metadata (synced on every
// build), imperative ones from schedules.create. A due schedule triggers its task once per tick: the run's
// idempotency key is the tick, and next_run_at advances in the same transaction, so neither two timers nor
// a restart fire a tick twice. A restart that spans ticks fires the latest missed one, once.
import { CronExpressionParser } from "cron-parser";
import { and, eq, isNotNull, lte, notInArray, sql } from "drizzle-orm";
import superjson from "superjson";
import type { DatabaseOrTransaction } from "../db/client";
import { runs, schedules, type Schedule } from "../db/schema";
import type { ProjectEnvironment } from "../environments";
import { newIds } from "../ids";
import type { PlatformContext } from "../platform-context";
import { noEffects } from "./run-notifier";
import { triggerRun } from "./trigger-run";
import type { DueWork } from "./timers";
import type { WorkerView } from "./workers";
import { PlatformError } from "../platform-error";


/** The next tick strictly after `after`, in the schedule's timezone; throws PlatformError for a bad cron. */
export function nextTick(cron: string, timezone: string, after: Date): Date {
  try {
    return CronExpressionParser.parse(cron, { currentDate: after, tz: timezone }).next().toDate();
  } catch (error) {
    throw new PlatformError(`cron: "${cron}" (${timezone}) is not a valid cron expression: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function upcomingTicks(schedule: Pick<Schedule, "cron" | "timezone">, from: Date, count = 5): Date[] {
  const it = CronExpressionParser.parse(schedule.cron, { currentDate: from, tz: schedule.timezone });
  return Array.from({ length: count }, () => it.next().toDate());
}

export function assertTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    throw new PlatformError(`timezone: "${timezone}" is not an IANA timezone like Europe/Paris or UTC`);
  }
}

const declarativeKey = (taskId: string) => `declarative:${taskId}`;

/** Makes the environment's declarative schedules match the worker's `schedules.task` crons. */
export async function syncDeclarativeSchedules(ctx: PlatformContext, env: ProjectEnvironment, worker: WorkerView): Promise<void> {
  const wanted = [...worker.tasks.values()].filter((t) => t.schedule?.cron);
  const now = new Date();
  await ctx.db.transaction(async (tx) => {
    for (const task of wanted) {
      const cron = task.schedule!.cron;
      const timezone = task.schedule!.timezone || "UTC";
      const key = declarativeKey(task.id);
      const [existing] = await tx.select().from(schedules).where(and(eq(schedules.environmentId, env.id), eq(schedules.deduplicationKey, key)));
      if (!existing) {
        const { id, friendlyId } = newIds("sched");
        await tx.insert(schedules).values({ id, friendlyId, environmentId: env.id, taskIdentifier: task.id, type: "DECLARATIVE", cron, timezone, deduplicationKey: key, nextRunAt: nextTick(cron, timezone, now) });
      } else if (existing.cron !== cron || existing.timezone !== timezone || !existing.active) {
        await tx.update(schedules).set({ cron, timezone, active: true, nextRunAt: nextTick(cron, timezone, now), updatedAt: sql`now()` }).where(eq(schedules.id, existing.id));
      }
    }
    // A declarative schedule whose task lost its cron (or is gone) stops.
    await tx
      .update(schedules)
      .set({ active: false, nextRunAt: null, updatedAt: sql`now()` })
      .where(
        and(
          eq(schedules.environmentId, env.id),
          eq(schedules.type, "DECLARATIVE"),
          wanted.length ? notInArray(schedules.deduplicationKey, wanted.map((t) => declarativeKey(t.id))) : sql`true`,
        ),
      );
  });
  const next = await ctx.db.select({ at: sql<Date | null>`min(${schedules.nextRunAt})` }).from(schedules).where(eq(schedules.environmentId, env.id));
  if (next[0]?.at) ctx.notifier.timerChanged(new Date(next[0].at));
}

/** Triggers one tick of a schedule (the due one, or "now" when fired by hand). */
export async function fireSchedule(ctx: PlatformContext, tx: DatabaseOrTransaction, effects: ReturnType<typeof noEffects>, schedule: Schedule, tick: Date, manual: boolean) {
  const payload = {
    scheduleId: schedule.friendlyId,
    type: schedule.type,
    timestamp: tick,
    ...(schedule.lastRunAt ? { lastTimestamp: schedule.lastRunAt } : {}),
    ...(schedule.externalId ? { externalId: schedule.externalId } : {}),
    timezone: schedule.timezone,
    upcoming: upcomingTicks(schedule, tick, 10),
  };
  const outcome = await triggerRun(ctx, tx, effects, schedule.environmentId, schedule.taskIdentifier, {
    payload: superjson.stringify(payload),
    options: {
      payloadType: "application/super+json",
      // One run per tick, whoever fires it; a manual fire gets its own key.
      idempotencyKey: manual ? `schedule:${schedule.id}:manual:${tick.toISOString()}` : `schedule:${schedule.id}:${tick.toISOString()}`,
      tags: [],
    },
  });
  await tx.update(runs).set({ scheduleId: schedule.id }).where(eq(runs.id, outcome.run.id));
  return outcome;
}

export function scheduleTimerWork(ctx: PlatformContext): DueWork {
  return {
    name: "schedules",
    nextDue: async () => {
      const [row] = await ctx.db.select({ at: sql<Date | null>`min(${schedules.nextRunAt})` }).from(schedules).where(and(eq(schedules.active, true), isNotNull(schedules.nextRunAt)));
      return row?.at ? new Date(row.at) : null;
    },
    run: async () => {
      const effects = noEffects();
      await ctx.db.transaction(async (tx) => {
        const due = await tx
          .select()
          .from(schedules)
          .where(and(eq(schedules.active, true), lte(schedules.nextRunAt, sql`now()`)))
          .limit(100)
          .for("update", { skipLocked: true });
        const now = new Date();
        for (const schedule of due) {
          // The latest tick that has passed (ticks missed while the platform was down collapse into it).
          let tick = schedule.nextRunAt!;
          for (let next = nextTick(schedule.cron, schedule.timezone, tick); next <= now; next = nextTick(schedule.cron, schedule.timezone, tick)) tick = next;
          await fireSchedule(ctx, tx, effects, schedule, tick, false);
          await tx
            .update(schedules)
            .set({ lastRunAt: tick, nextRunAt: nextTick(schedule.cron, schedule.timezone, tick), updatedAt: sql`now()` })
            .where(eq(schedules.id, schedule.id));
        }
      });
      ctx.notifier.publish(effects);
    },
  };
}
