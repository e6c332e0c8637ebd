// A declarative schedule (every minute) and a task for imperative schedules.
import { schedules } from "@trigger.dev/sdk";

export const everyMinute = schedules.task({
  id: "every-minute",
  cron: "* * * * *",
  run: async (payload) => ({ scheduleId: payload.scheduleId, timestamp: payload.timestamp.toISOString(), type: payload.type }),
});

export const onSchedule = schedules.task({
  id: "on-schedule",
  run: async (payload) => ({
    externalId: payload.externalId ?? null,
    timestamp: payload.timestamp.toISOString(),
    timezone: payload.timezone,
  }),
});
