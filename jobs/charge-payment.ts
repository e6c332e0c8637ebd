// Charge the order through Stripe, once (the Idempotency-Key is the order's). Beside it, what undoes it:
// a decline releases the stock and fails the order here, then ends the run without retries
// (AbortTaskRunError); a refund is cancel-order's. Network trouble, 5xx and 429 are thrown to be retried
// with the same key. A charge Stripe leaves "processing" waits on a token the Stripe webhook completes.
import { AbortTaskRunError, idempotencyKeys, logger, schemaTask, wait } from "@trigger.dev/sdk";
import { z } from "zod";
import { orderId } from "../src/events/order-created";
import { releaseStock } from "../src/inventory/reserve-stock";
import { transitionOrder } from "../src/orders/order-status";
import { chargeOrder } from "../src/payments/charge-order";
import { paymentSettledTokenKey } from "../src/payments/idempotency-keys";
import { PaymentDeclinedError, PaymentRejectedError } from "../src/payments/payment-errors";
import { dependencies } from "./job-dependencies";

export const CHARGE_PAYMENT = "charge-payment";

/** The token a "processing" charge waits on; the webhook handler completes the same one by this key. */
const paymentSettledKey = (id: string) => idempotencyKeys.create(paymentSettledTokenKey(id), { scope: "global" });

const PaymentSettled = z.object({ status: z.enum(["succeeded", "failed"]), code: z.string().optional() });

export const chargePayment = schemaTask({
  id: CHARGE_PAYMENT,
  schema: z.object({ orderId }),
  retry: { maxAttempts: 6, minTimeoutInMs: 500, maxTimeoutInMs: 15_000, factor: 2 },
  run: async ({ orderId }) => {
    const { db, stripe } = dependencies();
    try {
      let outcome = await chargeOrder(db, stripe, orderId);
      if (outcome.status === "processing") {
        logger.info("payment processing: waiting for Stripe's webhook", { orderId, paymentIntent: outcome.payment.providerId });
        const token = await wait.createToken({ idempotencyKey: await paymentSettledKey(orderId), timeout: "1h" });
        const settled = await wait.forToken<z.infer<typeof PaymentSettled>>(token.id);
        if (!settled.ok) throw new Error(`Stripe did not settle the payment of order ${orderId} within an hour`);
        if (settled.output.status === "failed") throw new PaymentDeclinedError(orderId, settled.output.code ?? "card_declined", "declined after processing");
        outcome = await chargeOrder(db, stripe, orderId); // reads the settled row
      }
      logger.info("charged", { orderId, paymentIntent: outcome.payment.providerId, amountCents: outcome.payment.amountCents });
      return { outcome: "paid" as const, paymentIntent: outcome.payment.providerId };
    } catch (error) {
      if (error instanceof PaymentDeclinedError) {
        // Compensation: the stock goes back, the order is payment_failed. Then no retry.
        await releaseStock(db, orderId, `payment declined (${error.code})`);
        await transitionOrder(db, orderId, "payment_failed", { reason: error.code });
        logger.warn("payment declined", { orderId, code: error.code });
        throw new AbortTaskRunError(`declined:${error.code}`);
      }
      if (error instanceof PaymentRejectedError) throw new AbortTaskRunError(`rejected:${error.code}: ${error.message}`);
      throw error; // PaymentRetryableError and anything unexpected: retried, same key
    }
  },
});
