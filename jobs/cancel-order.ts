// order.cancelled: the order is cancelled, its runs that have not started (the workflow, the delayed
// reminder) are cancelled, its stock given back at once, its charge refunded, the customer mailed. A charge
// still in flight at Stripe does not hold the cancellation up: whoever settles it (the charge's own run,
// the webhook, the reconciler) starts the refund when it succeeds.
import { idempotencyKeys, logger, runs, schemaTask } from "@trigger.dev/sdk";
import { EVENTS } from "../src/events/catalogue";
import { OrderCancelled } from "../src/events/order-cancelled";
import { giveBackStock } from "../src/inventory/give-back-stock";
import { notify } from "../src/mail/notify";
import { markOrderCancelled } from "../src/orders/cancel-order";
import { IllegalTransitionError } from "../src/orders/order-errors";
import { reconcileCharge } from "../src/payments/reconcile-charge";
import { owesRefund } from "../src/payments/refund-order";
import { dependencies, orderTag, stepKey } from "./job-dependencies";
import { refundOrderTask } from "./refund-order";

export const CANCEL_ORDER = EVENTS["order.cancelled"].task;

export const cancelOrder = schemaTask({
  id: CANCEL_ORDER,
  schema: OrderCancelled,
  retry: { maxAttempts: 10, minTimeoutInMs: 500, maxTimeoutInMs: 15_000, factor: 2 },
  run: async ({ id, reason }, { ctx }) => {
    const { db, stripe, mail } = dependencies();
    try {
      await markOrderCancelled(db, id, reason);
    } catch (error) {
      // Failed or payment_failed already: nothing is held, nothing to undo.
      if (error instanceof IllegalTransitionError) return { orderId: id, outcome: "not_cancellable" as const, status: error.from };
      throw error;
    }

    // Runs of this order that have not started never will; running steps finish and find it cancelled.
    for await (const run of runs.list({ tag: orderTag(id), status: ["QUEUED", "DELAYED", "PENDING_VERSION"] })) {
      if (run.id !== ctx.run.id) await runs.cancel(run.id);
    }
    const stock = await giveBackStock(db, id, "order cancelled");

    // Stripe's records decide the money: a charge our row cannot tell is looked up first.
    const charge = await reconcileCharge(db, stripe, id).catch((error: unknown) => {
      logger.warn("Stripe could not be asked about the charge; the reconciler will", { orderId: id, error: String(error) });
      return undefined;
    });
    let refund = "nothing_to_refund";
    if (await owesRefund(db, id)) {
      refund = (
        await refundOrderTask
          .triggerAndWait(
            { orderId: id },
            { idempotencyKey: await idempotencyKeys.create(stepKey(id, "refund"), { scope: "global" }), tags: [orderTag(id)] },
          )
          .unwrap()
      ).refund;
    } else if (charge === undefined || charge.status === "processing" || charge.status === "not_found") {
      refund = "once the charge settles";
    }
    await notify(db, id, "cancelled", mail);
    logger.info("order cancelled", { orderId: id, refund, ...stock });
    return { orderId: id, outcome: "cancelled" as const, refund, linesReleased: stock.released, linesReturned: stock.returned };
  },
});
