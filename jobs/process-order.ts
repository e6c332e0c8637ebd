// The order workflow, started by order.created: reserve → charge → commit the stock → confirm by mail →
// remind later. Each step is a child run keyed by the order and the step, so a retried or restarted
// workflow never repeats a finished step. This task decides; the steps act (src/ domain functions).
//
// It owns the saga: each step that took effect leaves its undo (reserve → release the stock, charge →
// refund, commit → return the stock), and an outcome that ends the order (not charged, cancelled
// meanwhile) undoes them newest first. What it does not decide: a payment whose outcome is unknown after
// all retries is neither failed nor undone; the order keeps its stock and the reconciler asks Stripe
// (jobs/reconcile-orders.ts). A mail outage delays the confirmation; it never fails the order.
import { idempotencyKeys, logger, metadata, queue, schemaTask } from "@trigger.dev/sdk";
import { eq } from "drizzle-orm";
import { orders } from "../db/schema";
import { EVENTS } from "../src/events/catalogue";
import { OrderCreated } from "../src/events/order-created";
import { commitStock } from "../src/inventory/commit-stock";
import { giveBackStock } from "../src/inventory/give-back-stock";
import { releaseStock } from "../src/inventory/reserve-stock";
import { acceptOrder } from "../src/orders/accept-order";
import { progressAt, type OrderProgress, type OrderStep } from "../src/orders/order-progress";
import { transitionOrderIfAllowed } from "../src/orders/order-status";
import { chargePayment } from "./charge-payment";
import { dependencies, orderTag, stepKey } from "./job-dependencies";
import { orderReminder } from "./order-reminder";
import { refundOrderTask } from "./refund-order";
import { reserveInventory } from "./reserve-inventory";
import { Saga } from "./saga";
import { sendNotification } from "./send-notification";

export const PROCESS_ORDER = EVENTS["order.created"].task;

const key = (orderId: string, step: string) => idempotencyKeys.create(stepKey(orderId, step), { scope: "global" });

/** The run's metadata says where the order is (the shopper's status page follows it live)… */
function progress(step: OrderStep) {
  const now = progressAt(step);
  metadata.set("step", now.step).set("percent", now.percent);
}
/** …and how it ended, when not confirmed (beside the step it stopped at). */
function end(ending: NonNullable<OrderProgress["ending"]>) {
  metadata.set("percent", 100).set("ending", ending);
}

/**
 * In dev a waiting parent keeps its task process, so each order in flight holds two processes (itself and its
 * step) of ~90 MB each. On a small machine the CPU, not this limit, bounds throughput: 4 at once fulfilled as
 * many orders per second as 12 did with a third of the processes, and 3 as many as 4 with two processes fewer
 * (bench/README.md). 2 did too, but it stays at 3: in production the steps wait on the real Stripe and SMTP, and
 * there this limit, not the CPU, bounds throughput. The rest queue.
 */
const ordersQueue = queue({ name: "orders", concurrencyLimit: 3 });

export const processOrder = schemaTask({
  id: PROCESS_ORDER,
  schema: OrderCreated,
  queue: ordersQueue,
  retry: { maxAttempts: 5, minTimeoutInMs: 1_000, maxTimeoutInMs: 30_000, factor: 2 },
  run: async (event) => {
    const { db, config } = dependencies();
    const id = event.id;
    const tags = [orderTag(id)];
    const saga = new Saga((message, detail) => logger.warn(message, { orderId: id, ...detail }));
    const statusNow = async () => (await db.select({ status: orders.status }).from(orders).where(eq(orders.id, id)))[0]?.status;
    const mail = async (kind: "out_of_stock" | "payment_failed" | "confirmation") =>
      sendNotification.triggerAndWait({ orderId: id, kind }, { idempotencyKey: await key(id, `mail-${kind}`), tags });
    /** Cancelled meanwhile: cancel-order gives back and refunds too; undoing here as well is harmless. */
    const endCancelled = async () => {
      await saga.compensate("the order was cancelled");
      end({ kind: "cancelled" });
      return { orderId: id, status: "cancelled" as const };
    };

    progress("accepting");
    const { order } = await acceptOrder(db, event);
    logger.info("order accepted", { orderId: id, totalCents: order.totalCents });
    if (order.status === "cancelled") return { orderId: id, status: "cancelled" as const };

    progress("reserving");
    const reserved = await reserveInventory.triggerAndWait({ orderId: id }, { idempotencyKey: await key(id, "reserve"), tags }).unwrap();
    if (reserved.outcome === "out_of_stock") {
      const { order: now } = await transitionOrderIfAllowed(db, id, "failed", { reason: "out_of_stock", shortages: reserved.shortages });
      if (now.status === "cancelled") return endCancelled();
      await mail("out_of_stock"); // once per order, however often this runs
      end({ kind: "out_of_stock" });
      return { orderId: id, status: "failed" as const, reason: "out_of_stock" };
    }
    if (reserved.outcome === "not_reservable") return { orderId: id, status: reserved.status };
    saga.done("reserve the stock", () => releaseStock(db, id, "the order did not go through"));

    progress("charging");
    const charged = await chargePayment.triggerAndWait({ orderId: id }, { idempotencyKey: await key(id, "charge"), tags });
    if (!charged.ok) {
      // Every retry ended without Stripe telling the outcome: not failed, not undone; the order keeps its
      // stock and the reconciler asks Stripe until it knows (and restarts this workflow while it may).
      logger.warn("the charge's outcome is unknown; the reconciler settles it", { orderId: id });
      end({ kind: "payment_unknown" });
      return { orderId: id, status: "payment_unknown" as const };
    }
    if (charged.output.outcome === "not_chargeable")
      return (await statusNow()) === "cancelled" ? endCancelled() : { orderId: id, status: charged.output.status };
    if (charged.output.outcome === "not_charged") {
      const { code } = charged.output;
      await saga.compensate(`not charged: ${code}`);
      const { order: now } = await transitionOrderIfAllowed(db, id, "payment_failed", { reason: code });
      if (now.status === "cancelled") return endCancelled();
      if (now.status === "payment_failed") await mail("payment_failed"); // once per order
      end({ kind: "not_charged", reason: code });
      return { orderId: id, status: "payment_failed" as const, reason: code };
    }
    saga.done("charge the card", async () =>
      refundOrderTask.triggerAndWait({ orderId: id }, { idempotencyKey: await key(id, "refund"), tags }).unwrap(),
    );
    if ((await statusNow()) === "cancelled") return endCancelled();

    progress("committing stock");
    const committed = await commitStock(db, id).catch(async (error: unknown) => {
      if ((await statusNow()) === "cancelled") return undefined; // cancelled between the check and the commit
      throw error;
    });
    if (committed === undefined) return endCancelled();
    saga.done("commit the stock", () => giveBackStock(db, id, "the order did not go through"));

    progress("confirming");
    if ((await statusNow()) === "cancelled") return endCancelled(); // no confirmation for a cancelled order
    const mailed = await mail("confirmation");
    if (!mailed.ok) throw new Error(`the confirmation of order ${id} could not be sent yet: ${String(mailed.error)}`); // retried; never undone
    const { order: done } = await transitionOrderIfAllowed(db, id, "completed");
    if (done.status !== "completed") return endCancelled();

    await orderReminder.trigger(
      { orderId: id },
      { idempotencyKey: await key(id, "reminder"), delay: config.orders.reminderDelay.text, tags },
    );
    progress("completed");
    logger.info("order completed", { orderId: id });
    return { orderId: id, status: "completed" as const };
  },
});
