// Imperative schedules (schedules.create/list/retrieve/update/del/activate/deactivate), declarative ones
// listed beside them, and POST /api/v1/schedules/:id/fire — ours, not Trigger.dev's — to fire a tick now.
import { CreateScheduleOptions, UpdateScheduleOptions } from "@trigger.dev/core/v3/schemas";
import { and, asc, count, eq } from "drizzle-orm";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { schedules, type Schedule } from "../db/schema";
import { noEffects } from "../engine/run-notifier";
import { assertTimezone, fireSchedule, nextTick } from "../engine/schedules";
import { PlatformError } from "../platform-error";
import { currentWorker } from "../engine/workers";
import { internalId, newIds } from "../ids";
import { parseBody, type PlatformEnv, type PlatformHttpContext } from "./http-context";

export function scheduleView(schedule: Schedule) {
  return {
    id: schedule.friendlyId,
    type: schedule.type,
    task: schedule.taskIdentifier,
    active: schedule.active,
    deduplicationKey: schedule.deduplicationKey,
    externalId: schedule.externalId,
    generator: { type: "CRON" as const, expression: schedule.cron, description: `cron ${schedule.cron}` },
    timezone: schedule.timezone,
    nextRun: schedule.active ? schedule.nextRunAt : null,
    environments: [{ id: schedule.environmentId, type: "DEVELOPMENT", userName: null }],
  };
}

async function scheduleOr404(c: PlatformHttpContext): Promise<Schedule> {
  const [schedule] = await c.var.platform.db
    .select()
    .from(schedules)
    .where(and(eq(schedules.id, internalId(c.req.param("schedule") ?? "")), eq(schedules.environmentId, c.var.env.id)));
  if (!schedule) throw new HTTPException(404, { message: `No schedule ${c.req.param("schedule")}` });
  return schedule;
}

async function assertScheduledTask(c: PlatformHttpContext, task: string) {
  const worker = await currentWorker(c.var.platform, c.var.env.id);
  const definition = worker?.tasks.get(task);
  if (worker && !definition) throw new PlatformError(`task: no task "${task}" in the current worker`, 404);
  if (definition && definition.triggerSource !== "schedule") throw new PlatformError(`task: "${task}" is not a schedules.task, so it cannot be scheduled`);
}

export const schedulesApi = new Hono<PlatformEnv>()
  .post("/api/v1/schedules", async (c) => {
    const body = await parseBody(c, CreateScheduleOptions);
    const timezone = body.timezone ?? "UTC";
    assertTimezone(timezone);
    await assertScheduledTask(c, body.task);
    const next = nextTick(body.cron, timezone, new Date());
    const { db } = c.var.platform;
    const [existing] = await db.select().from(schedules).where(and(eq(schedules.environmentId, c.var.env.id), eq(schedules.deduplicationKey, body.deduplicationKey)));
    const [saved] = existing
      ? await db
          .update(schedules)
          .set({ taskIdentifier: body.task, cron: body.cron, timezone, externalId: body.externalId ?? null, nextRunAt: existing.active ? next : null, updatedAt: new Date() })
          .where(eq(schedules.id, existing.id))
          .returning()
      : await db
          .insert(schedules)
          .values({ ...newIds("sched"), environmentId: c.var.env.id, taskIdentifier: body.task, type: "IMPERATIVE", cron: body.cron, timezone, externalId: body.externalId ?? null, deduplicationKey: body.deduplicationKey, nextRunAt: next })
          .returning();
    c.var.platform.notifier.timerChanged(next);
    return c.json(scheduleView(saved!));
  })
  .get("/api/v1/schedules", async (c) => {
    const perPage = Math.min(100, Number(c.req.query("perPage") ?? c.req.query("limit") ?? 10) || 10);
    const page = Math.max(1, Number(c.req.query("page") ?? 1) || 1);
    const { db } = c.var.platform;
    const where = eq(schedules.environmentId, c.var.env.id);
    const [rows, total] = await Promise.all([
      db.select().from(schedules).where(where).orderBy(asc(schedules.createdAt)).limit(perPage).offset((page - 1) * perPage),
      db.select({ n: count() }).from(schedules).where(where),
    ]);
    const n = total[0]?.n ?? 0;
    return c.json({ data: rows.map(scheduleView), pagination: { currentPage: page, totalPages: Math.max(1, Math.ceil(n / perPage)), count: n } });
  })
  .get("/api/v1/schedules/:schedule", async (c) => c.json(scheduleView(await scheduleOr404(c))))
  .put("/api/v1/schedules/:schedule", async (c) => {
    const schedule = await scheduleOr404(c);
    if (schedule.type === "DECLARATIVE") throw new PlatformError("A declarative schedule changes with the cron of its schedules.task, not through the API");
    const body = await parseBody(c, UpdateScheduleOptions);
    const timezone = body.timezone ?? schedule.timezone;
    assertTimezone(timezone);
    await assertScheduledTask(c, body.task);
    const next = nextTick(body.cron, timezone, new Date());
    const [saved] = await c.var.platform.db
      .update(schedules)
      .set({ taskIdentifier: body.task, cron: body.cron, timezone, externalId: body.externalId ?? null, nextRunAt: schedule.active ? next : null, updatedAt: new Date() })
      .where(eq(schedules.id, schedule.id))
      .returning();
    c.var.platform.notifier.timerChanged(next);
    return c.json(scheduleView(saved!));
  })
  .delete("/api/v1/schedules/:schedule", async (c) => {
    const schedule = await scheduleOr404(c);
    if (schedule.type === "DECLARATIVE") throw new PlatformError("A declarative schedule is removed by removing the cron from its schedules.task");
    await c.var.platform.db.delete(schedules).where(eq(schedules.id, schedule.id));
    return c.json({ id: schedule.friendlyId });
  })
  .post("/api/v1/schedules/:schedule/activate", async (c) => {
    const schedule = await scheduleOr404(c);
    const next = nextTick(schedule.cron, schedule.timezone, new Date());
    const [saved] = await c.var.platform.db.update(schedules).set({ active: true, nextRunAt: next, updatedAt: new Date() }).where(eq(schedules.id, schedule.id)).returning();
    c.var.platform.notifier.timerChanged(next);
    return c.json(scheduleView(saved!));
  })
  .post("/api/v1/schedules/:schedule/deactivate", async (c) => {
    const schedule = await scheduleOr404(c);
    const [saved] = await c.var.platform.db.update(schedules).set({ active: false, nextRunAt: null, updatedAt: new Date() }).where(eq(schedules.id, schedule.id)).returning();
    return c.json(scheduleView(saved!));
  })
  .post("/api/v1/schedules/:schedule/fire", async (c) => {
    const schedule = await scheduleOr404(c);
    const effects = noEffects();
    const outcome = await c.var.platform.db.transaction((tx) => fireSchedule(c.var.platform, tx, effects, schedule, new Date(), true));
    c.var.platform.notifier.publish(effects);
    return c.json({ id: outcome.run.friendlyId });
  });
