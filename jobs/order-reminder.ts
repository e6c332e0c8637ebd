// The reminder mail, a while after the order. It re-reads the order when it runs: a cancelled order gets
// nothing (cancel-order also cancels this delayed run; this covers a race with it).
import { logger, schemaTask } from "@trigger.dev/sdk";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { orders } from "../db/schema";
import { orderId } from "../src/events/order-created";
import { notify } from "../src/mail/notify";
import { dependencies } from "./job-dependencies";

export const ORDER_REMINDER = "order-reminder";

export const orderReminder = schemaTask({
  id: ORDER_REMINDER,
  schema: z.object({ orderId }),
  retry: { maxAttempts: 10, minTimeoutInMs: 1_000, maxTimeoutInMs: 60_000, factor: 2 },
  run: async ({ orderId }) => {
    const { db, mail } = dependencies();
    const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
    if (!order || order.status !== "completed") {
      logger.info("no reminder: the order is not completed", { orderId, status: order?.status });
      return { outcome: "skipped" as const, status: order?.status ?? "missing" };
    }
    const result = await notify(db, orderId, "reminder", mail);
    return { outcome: result.outcome };
  },
});
