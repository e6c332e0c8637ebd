// The order workflow, started by order.created: reserve → charge → commit the stock → confirm by mail →
// remind later. Each step is a child run keyed by the order and the step, so a retried parent never
// repeats a finished step. This task decides; the steps act (src/ domain functions).
import { idempotencyKeys, logger, metadata, queue, schemaTask } from "@trigger.dev/sdk";
import { eq } from "drizzle-orm";
import { orders } from "../db/schema";
import { EVENTS } from "../src/events/catalogue";
import { OrderCreated } from "../src/events/order-created";
import { commitStock } from "../src/inventory/commit-stock";
import { acceptOrder } from "../src/orders/accept-order";
import { transitionOrder } from "../src/orders/order-status";
import { chargePayment } from "./charge-payment";
import { dependencies, orderTag, stepKey } from "./job-dependencies";
import { orderReminder } from "./order-reminder";
import { reserveInventory } from "./reserve-inventory";
import { sendNotification } from "./send-notification";

export const PROCESS_ORDER = EVENTS["order.created"].task;

const key = (orderId: string, step: string) => idempotencyKeys.create(stepKey(orderId, step), { scope: "global" });

function progress(step: string, percent: number) {
  metadata.set("step", step).set("percent", percent);
}

/**
 * In dev a waiting parent keeps its task process, and the CLI runs 25 at once: were all 25 slots held by
 * orders waiting for their steps, no step could run. At most 12 orders run at once; the rest queue.
 */
const ordersQueue = queue({ name: "orders", concurrencyLimit: 12 });

export const processOrder = schemaTask({
  id: PROCESS_ORDER,
  schema: OrderCreated,
  queue: ordersQueue,
  retry: { maxAttempts: 5, minTimeoutInMs: 1_000, maxTimeoutInMs: 30_000, factor: 2 },
  run: async (event) => {
    const { db, config } = dependencies();
    const id = event.id;
    const tags = [orderTag(id)];
    const isCancelled = async () => (await db.select({ status: orders.status }).from(orders).where(eq(orders.id, id)))[0]?.status === "cancelled";

    progress("accepting", 5);
    const { order } = await acceptOrder(db, event);
    logger.info("order accepted", { orderId: id, totalCents: order.totalCents });
    if (order.status === "cancelled") return { orderId: id, status: "cancelled" };

    progress("reserving", 20);
    const reserved = await reserveInventory.triggerAndWait({ orderId: id }, { idempotencyKey: await key(id, "reserve"), tags }).unwrap();
    if (reserved.outcome === "out_of_stock") {
      await transitionOrder(db, id, "failed", { reason: "out_of_stock", shortages: reserved.shortages });
      await sendNotification.triggerAndWait({ orderId: id, kind: "out_of_stock" }, { idempotencyKey: await key(id, "mail-out_of_stock"), tags });
      progress("failed: out of stock", 100);
      return { orderId: id, status: "failed", reason: "out_of_stock" };
    }

    progress("charging", 45);
    const charged = await chargePayment.triggerAndWait({ orderId: id }, { idempotencyKey: await key(id, "charge"), tags });
    if (!charged.ok) {
      if (await isCancelled()) return { orderId: id, status: "cancelled" };
      // charge-payment has released the stock and marked the order payment_failed already.
      await sendNotification.triggerAndWait({ orderId: id, kind: "payment_failed" }, { idempotencyKey: await key(id, "mail-payment_failed"), tags });
      progress("failed: payment declined", 100);
      return { orderId: id, status: "payment_failed" };
    }
    if (await isCancelled()) return { orderId: id, status: "cancelled" }; // cancel-order refunds

    progress("committing stock", 70);
    await commitStock(db, id);

    progress("confirming", 85);
    const mailed = await sendNotification.triggerAndWait({ orderId: id, kind: "confirmation" }, { idempotencyKey: await key(id, "mail-confirmation"), tags });
    if (!mailed.ok) throw new Error(`the confirmation of order ${id} could not be sent: ${String(mailed.error)}`); // retried
    await transitionOrder(db, id, "completed");

    await orderReminder.trigger({ orderId: id }, { idempotencyKey: await key(id, "reminder"), delay: config.orders.reminderDelay.text, tags });
    progress("completed", 100);
    logger.info("order completed", { orderId: id });
    return { orderId: id, status: "completed" };
  },
});
