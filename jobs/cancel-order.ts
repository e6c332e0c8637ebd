// order.cancelled: the order is cancelled, its runs that have not started (the workflow, the delayed
// reminder) are cancelled, its charge refunded, its stock given back, the customer mailed. A charge still
// in flight at Stripe is waited for (the run retries) so that it is refunded, not missed.
import { logger, runs, schemaTask } from "@trigger.dev/sdk";
import { EVENTS } from "../src/events/catalogue";
import { OrderCancelled } from "../src/events/order-cancelled";
import { returnStock } from "../src/inventory/commit-stock";
import { releaseStock } from "../src/inventory/reserve-stock";
import { chargeInFlight, markOrderCancelled } from "../src/orders/cancel-order";
import { notify } from "../src/mail/notify";
import { refundOrder } from "../src/payments/refund-order";
import { IllegalTransitionError } from "../src/orders/order-errors";
import { dependencies, orderTag } from "./job-dependencies";

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

    if (await chargeInFlight(db, id)) throw new Error(`a charge of order ${id} is still in flight at Stripe; refunding once it settles`);
    const refund = await refundOrder(db, stripe, id);
    const released = await releaseStock(db, id, "order cancelled");
    const returned = await returnStock(db, id);
    await notify(db, id, "cancelled", mail);
    logger.info("order cancelled", { orderId: id, refund: refund.status, released, returned });
    return { orderId: id, outcome: "cancelled" as const, refund: refund.status, linesReleased: released, linesReturned: returned };
  },
});
