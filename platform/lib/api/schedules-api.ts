// Imperative schedules (schedules.create/list/retrieve/update/del/activate/deactivate), declarative ones
// listed beside them, and POST /api/v1/schedules/:id/fire — ours, not Trigger.dev's — to fire a tick now.
import { CreateScheduleOptions, UpdateScheduleOptions } from "@trigger.dev/core/v3/schemas";
import { and, asc, count, eq } from "drizzle-orm";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { schedules, type Schedule } from "../db/schema";
import { cronGenerator } from "../engine/schedules";
import { internalId } from "../ids";
import { parseBody, type PlatformEnv, type PlatformHttpContext } from "./http-context";

export function scheduleView(schedule: Schedule) {
  return {
    id: schedule.friendlyId,
    type: schedule.type,
    task: schedule.taskIdentifier,
    active: schedule.active,
    deduplicationKey: schedule.deduplicationKey,
    externalId: schedule.externalId,
    generator: cronGenerator(schedule),
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

export const schedulesApi = new Hono<PlatformEnv>()
  .post("/api/v1/schedules", async (c) =>
    c.json(scheduleView(await c.var.platform.engine.createSchedule(c.var.env, await parseBody(c, CreateScheduleOptions)))),
  )
  .get("/api/v1/schedules", async (c) => {
    const perPage = Math.min(100, Number(c.req.query("perPage") ?? c.req.query("limit") ?? 10) || 10);
    const page = Math.max(1, Number(c.req.query("page") ?? 1) || 1);
    const { db } = c.var.platform;
    const where = eq(schedules.environmentId, c.var.env.id);
    const [rows, total] = await Promise.all([
      db
        .select()
        .from(schedules)
        .where(where)
        .orderBy(asc(schedules.createdAt))
        .limit(perPage)
        .offset((page - 1) * perPage),
      db.select({ n: count() }).from(schedules).where(where),
    ]);
    const n = total[0]?.n ?? 0;
    return c.json({
      data: rows.map(scheduleView),
      pagination: { currentPage: page, totalPages: Math.max(1, Math.ceil(n / perPage)), count: n },
    });
  })
  .get("/api/v1/schedules/:schedule", async (c) => c.json(scheduleView(await scheduleOr404(c))))
  .put("/api/v1/schedules/:schedule", async (c) => {
    const schedule = await scheduleOr404(c);
    return c.json(scheduleView(await c.var.platform.engine.updateSchedule(schedule, await parseBody(c, UpdateScheduleOptions))));
  })
  .delete("/api/v1/schedules/:schedule", async (c) => {
    const schedule = await scheduleOr404(c);
    await c.var.platform.engine.deleteSchedule(schedule);
    return c.json({ id: schedule.friendlyId });
  })
  .post("/api/v1/schedules/:schedule/activate", async (c) =>
    c.json(scheduleView(await c.var.platform.engine.setScheduleActive(await scheduleOr404(c), true))),
  )
  .post("/api/v1/schedules/:schedule/deactivate", async (c) =>
    c.json(scheduleView(await c.var.platform.engine.setScheduleActive(await scheduleOr404(c), false))),
  )
  .post("/api/v1/schedules/:schedule/fire", async (c) => {
    const outcome = await c.var.platform.engine.fireSchedule(await scheduleOr404(c));
    return c.json({ id: outcome.run.friendlyId });
  });

/** schedules.timezones(): every IANA zone the runtime knows, sorted, UTC first unless excluded. The SDK sends no
 *  key for it (nor does Trigger.dev ask one: the list is public). */
export const timezonesApi = new Hono<PlatformEnv>().get("/api/v1/timezones", (c) => {
  const zones = Intl.supportedValuesOf("timeZone").sort();
  return c.json({ timezones: c.req.query("excludeUtc") === "true" ? zones : ["UTC", ...zones] });
});
