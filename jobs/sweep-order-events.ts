// Every hour: the timelines (order events) of orders in a final status, once their newest event is older than
// ORDER_EVENT_RETENTION, are deleted in small batches (src/orders/sweep-order-events.ts decides and deletes).
// What it leaves for lack of time, the next hour's run takes.
import { logger, queue, schedules } from "@trigger.dev/sdk";
import { sweepOrderEvents } from "../src/orders/sweep-order-events";
import { dependencies } from "./job-dependencies";

export const sweepOrderEventsTask = schedules.task({
  id: "sweep-order-events",
  cron: "23 * * * *",
  queue: queue({ name: "order-events-sweeper", concurrencyLimit: 1 }),
  run: async () => {
    const { db, config } = dependencies();
    const swept = await sweepOrderEvents(db, { olderThanMs: config.orders.eventRetention.ms });
    if (swept.events > 0) logger.info("old order timelines deleted", { ...swept, retention: config.orders.eventRetention.text });
    return swept;
  },
});
