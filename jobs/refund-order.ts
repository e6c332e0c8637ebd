// Refund an order's charge in full: the undo of charge-payment. Retried until Stripe settles it: a refund
// still processing is asked about again, a refund Stripe failed is followed by a new one. Started by the
// workflow's compensation, by cancel-order, by the Stripe webhook (a charge that succeeded after the order
// was given up) and by the reconciler.
import { logger, schemaTask } from "@trigger.dev/sdk";
import { z } from "zod";
import { orderId } from "../src/events/order-created";
import { REFUND_ORDER_TASK } from "../src/events/payment-follow-ups";
import { sendOperatorAlerts } from "../src/mail/send-operator-alerts";
import { refundOrder } from "../src/payments/refund-order";
import { dependencies } from "./job-dependencies";

export const refundOrderTask = schemaTask({
  id: REFUND_ORDER_TASK,
  schema: z.object({ orderId }),
  retry: { maxAttempts: 12, minTimeoutInMs: 1_000, maxTimeoutInMs: 60_000, factor: 2 },
  run: async ({ orderId }) => {
    const { db, stripe, operatorAlerts } = dependencies();
    const refund = await refundOrder(db, stripe, orderId);
    switch (refund.status) {
      case "nothing_to_refund":
      case "succeeded":
        logger.info(`refund: ${refund.status}`, { orderId });
        return { orderId, refund: refund.status };
      case "needs_operator": {
        logger.error("this order's refund needs a person; refund it by hand", { orderId, lastRefund: refund.payment.providerId });
        // Told now; an alert the relay does not take is mailed again by the reconciler's passes.
        const alerts = await sendOperatorAlerts(db, operatorAlerts);
        return { orderId, refund: refund.status, alerts };
      }
      default:
        throw new Error(`the refund of order ${orderId} is ${refund.status} at Stripe; asking again`);
    }
  },
});
