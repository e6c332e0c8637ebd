// Schedules: declarative ones come from `schedules.task({ cron })` in the worker's metadata (synced on every
// build), imperative ones from schedules.create. A due schedule triggers its task once per tick: the run's
// idempotency key is the tick, and next_run_at advances in the same transaction, so neither two timers nor
// a restart fire a tick twice. A restart that spans ticks fires the latest missed one, once.
import type { CreateScheduleOptions, UpdateScheduleOptions } from "@trigger.dev/core/v3/schemas";
import { CronExpressionParser } from "cron-parser";
import { and, eq, isNotNull, lte, notInArray, sql } from "drizzle-orm";
import superjson from "superjson";
import type { z } from "zod";
import type { DatabaseOrTransaction } from "../db/client";
import { runs, schedules, type Schedule } from "../db/schema";
import type { ProjectEnvironment } from "../environments";
import { newIds } from "../ids";
import type { EngineContext } from "./engine-context";
import { noEffects } from "./run-notifier";
import { triggerRun } from "./trigger-run";
import { earliest, type DueWork } from "./timers";
import { currentWorker, type WorkerView } from "./workers";
import { PlatformError } from "../platform-error";

/** A schedule's generator, as the API shows it (schedules.* and a scheduled run's `schedule`). */
export const cronGenerator = (schedule: Pick<Schedule, "cron">) => ({
  type: "CRON" as const,
  expression: schedule.cron,
  description: `cron ${schedule.cron}`,
});

/** The next tick strictly after `after`, in the schedule's timezone; throws PlatformError for a bad cron. */
export function nextTick(cron: string, timezone: string, after: Date): Date {
  try {
    return CronExpressionParser.parse(cron, { currentDate: after, tz: timezone }).next().toDate();
  } catch (error) {
    throw new PlatformError(
      `cron: "${cron}" (${timezone}) is not a valid cron expression: ${error instanceof Error ? error.message : String(error)}`,
    );
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
export async function syncDeclarativeSchedules(ctx: EngineContext, env: ProjectEnvironment, worker: WorkerView): Promise<void> {
  const wanted = [...worker.tasks.values()].filter((t) => t.schedule?.cron);
  const now = new Date();
  await ctx.db.transaction(async (tx) => {
    for (const task of wanted) {
      const cron = task.schedule!.cron;
      const timezone = task.schedule!.timezone || "UTC";
      const key = declarativeKey(task.id);
      const [existing] = await tx
        .select()
        .from(schedules)
        .where(and(eq(schedules.environmentId, env.id), eq(schedules.deduplicationKey, key)));
      if (!existing) {
        const { id, friendlyId } = newIds("sched");
        await tx.insert(schedules).values({
          id,
          friendlyId,
          environmentId: env.id,
          taskIdentifier: task.id,
          type: "DECLARATIVE",
          cron,
          timezone,
          deduplicationKey: key,
          nextRunAt: nextTick(cron, timezone, now),
        });
      } else if (existing.cron !== cron || existing.timezone !== timezone || !existing.active) {
        await tx
          .update(schedules)
          .set({ cron, timezone, active: true, nextRunAt: nextTick(cron, timezone, now), updatedAt: sql`now()` })
          .where(eq(schedules.id, existing.id));
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
          wanted.length
            ? notInArray(
                schedules.deduplicationKey,
                wanted.map((t) => declarativeKey(t.id)),
              )
            : sql`true`,
        ),
      );
  });
  const next = await earliest(ctx.db, schedules, schedules.nextRunAt, eq(schedules.environmentId, env.id));
  if (next) ctx.notifier.timerChanged(next);
}

/** Triggers one tick of a schedule (the due one, or "now" when fired by hand). */
export async function fireSchedule(
  ctx: EngineContext,
  tx: DatabaseOrTransaction,
  effects: ReturnType<typeof noEffects>,
  schedule: Schedule,
  tick: Date,
  manual: boolean,
) {
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

export function schedulesDueWork(ctx: EngineContext): DueWork {
  return {
    name: "schedules",
    nextDue: () => earliest(ctx.db, schedules, schedules.nextRunAt, and(eq(schedules.active, true), isNotNull(schedules.nextRunAt))),
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
          for (
            let next = nextTick(schedule.cron, schedule.timezone, tick);
            next <= now;
            next = nextTick(schedule.cron, schedule.timezone, tick)
          )
            tick = next;
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

/** The task must be a schedules.task of the current worker (when one is registered). */
async function assertScheduledTask(ctx: EngineContext, environmentId: string, task: string) {
  const worker = await currentWorker(ctx, environmentId);
  const definition = worker?.tasks.get(task);
  if (worker && !definition) throw new PlatformError(`task: no task "${task}" in the current worker`, 404);
  if (definition && definition.triggerSource !== "schedule")
    throw new PlatformError(`task: "${task}" is not a schedules.task, so it cannot be scheduled`);
}

type ScheduleChange = { task: string; cron: string; timezone: string; externalId: string | null };

/** A checked change of an imperative schedule's task, cron, timezone or external id; the timers re-arm. */
async function changeSchedule(ctx: EngineContext, schedule: Schedule, change: ScheduleChange): Promise<Schedule> {
  if (schedule.type === "DECLARATIVE")
    throw new PlatformError("A declarative schedule changes with the cron of its schedules.task, not through the API");
  const next = await checkedNextTick(ctx, schedule.environmentId, change);
  const [saved] = await ctx.db
    .update(schedules)
    .set({
      taskIdentifier: change.task,
      cron: change.cron,
      timezone: change.timezone,
      externalId: change.externalId,
      nextRunAt: schedule.active ? next : null,
      updatedAt: new Date(),
    })
    .where(eq(schedules.id, schedule.id))
    .returning();
  ctx.notifier.timerChanged(next);
  return saved!;
}

/** The schedule's first tick, once its timezone, cron and task are known to be good. */
async function checkedNextTick(ctx: EngineContext, environmentId: string, change: ScheduleChange): Promise<Date> {
  assertTimezone(change.timezone);
  await assertScheduledTask(ctx, environmentId, change.task);
  return nextTick(change.cron, change.timezone, new Date());
}

/** schedules.create: a new imperative schedule, or the one with the same deduplication key changed. */
export async function createSchedule(
  ctx: EngineContext,
  env: ProjectEnvironment,
  body: z.output<typeof CreateScheduleOptions>,
): Promise<Schedule> {
  const change = { task: body.task, cron: body.cron, timezone: body.timezone ?? "UTC", externalId: body.externalId ?? null };
  const [existing] = await ctx.db
    .select()
    .from(schedules)
    .where(and(eq(schedules.environmentId, env.id), eq(schedules.deduplicationKey, body.deduplicationKey)));
  if (existing) return changeSchedule(ctx, existing, change);
  const next = await checkedNextTick(ctx, env.id, change);
  const [saved] = await ctx.db
    .insert(schedules)
    .values({
      ...newIds("sched"),
      environmentId: env.id,
      taskIdentifier: change.task,
      type: "IMPERATIVE",
      cron: change.cron,
      timezone: change.timezone,
      externalId: change.externalId,
      deduplicationKey: body.deduplicationKey,
      nextRunAt: next,
    })
    .returning();
  ctx.notifier.timerChanged(next);
  return saved!;
}

export async function updateSchedule(
  ctx: EngineContext,
  schedule: Schedule,
  body: z.output<typeof UpdateScheduleOptions>,
): Promise<Schedule> {
  return changeSchedule(ctx, schedule, {
    task: body.task,
    cron: body.cron,
    timezone: body.timezone ?? schedule.timezone,
    externalId: body.externalId ?? null,
  });
}

export async function deleteSchedule(ctx: EngineContext, schedule: Schedule): Promise<void> {
  if (schedule.type === "DECLARATIVE")
    throw new PlatformError("A declarative schedule is removed by removing the cron from its schedules.task");
  await ctx.db.delete(schedules).where(eq(schedules.id, schedule.id));
}

/** Activating starts from the next tick after now (ticks missed while inactive are not fired). */
export async function setScheduleActive(ctx: EngineContext, schedule: Schedule, active: boolean): Promise<Schedule> {
  const next = active ? nextTick(schedule.cron, schedule.timezone, new Date()) : null;
  const [saved] = await ctx.db
    .update(schedules)
    .set({ active, nextRunAt: next, updatedAt: new Date() })
    .where(eq(schedules.id, schedule.id))
    .returning();
  if (next) ctx.notifier.timerChanged(next);
  return saved!;
}

/** Fires a tick now, by hand (the dashboard's "Run now"). */
export async function fireScheduleNow(ctx: EngineContext, schedule: Schedule) {
  const effects = noEffects();
  const outcome = await ctx.db.transaction((tx) => fireSchedule(ctx, tx, effects, schedule, new Date(), true));
  ctx.notifier.publish(effects);
  return outcome;
}
