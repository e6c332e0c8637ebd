// Every minute: frees the stock of orders that stopped mid-flight before paying (their reservation
// expired), and fails them.
import { logger, schedules } from "@trigger.dev/sdk";
import { releaseExpiredReservations } from "../src/inventory/release-expired";
import { dependencies } from "./job-dependencies";

export const releaseExpired = schedules.task({
  id: "release-expired-reservations",
  cron: "* * * * *",
  run: async (payload) => {
    const released = await releaseExpiredReservations(dependencies().db, payload.timestamp);
    if (released.length > 0) logger.info("released expired reservations", { orders: released });
    return { released };
  },
});
