// Charge the order through Stripe, once (the Idempotency-Key is the order's), and report what Stripe
// says: paid, or not charged (declined, refused, needing 3-D Secure). It undoes nothing and sets no order
// status: the workflow that owns the saga decides (jobs/process-order.ts), and what undoes a charge, a
// refund, is jobs/refund-order.ts. While the outcome is unknown (network, 5xx, 429) the run throws and is
// retried; each retry asks Stripe before it sends anything. A charge Stripe leaves "processing" waits on a
// token that whoever settles the row completes (the webhook, the reconciler), then asks Stripe again.
import { logger, metadata, schemaTask, wait } from "@trigger.dev/sdk";
import { z } from "zod";
import { orderId } from "../src/events/order-created";
import { progressAt } from "../src/orders/order-progress";
import { chargeOrder, OrderNotChargeableError } from "../src/payments/charge-order";
import { attachWaitToken } from "../src/payments/payment-rows";
import { dependencies, orderTag } from "./job-dependencies";

export const CHARGE_PAYMENT = "charge-payment";

/** How long one wait for a "processing" charge lasts, and how many of them before the reconciler takes over. */
const SETTLE_WAIT = "10m";
const SETTLE_ROUNDS = 6;

export const chargePayment = schemaTask({
  id: CHARGE_PAYMENT,
  schema: z.object({ orderId }),
  retry: { maxAttempts: 6, minTimeoutInMs: 500, maxTimeoutInMs: 15_000, factor: 2 },
  run: async ({ orderId }) => {
    const { db, stripe } = dependencies();
    let outcome;
    try {
      outcome = await chargeOrder(db, stripe, orderId);
    } catch (error) {
      if (error instanceof OrderNotChargeableError) return { outcome: "not_chargeable" as const, status: error.status };
      throw error; // unknown: retried, and the retry asks Stripe first
    }
    for (let round = 1; outcome.status === "processing"; round++) {
      if (round > SETTLE_ROUNDS)
        throw new Error(
          `Stripe has kept the charge of order ${orderId} processing for an hour; the reconciler settles it when Stripe does`,
        );
      logger.info("payment processing: waiting for Stripe", { orderId, paymentIntent: outcome.payment.providerId, round });
      const token = await wait.createToken({ timeout: SETTLE_WAIT, tags: [orderTag(orderId)] });
      await attachWaitToken(db, outcome.payment.id, token.id);
      // Settled between Stripe's answer and the token being stored? Then nobody would complete it.
      outcome = await chargeOrder(db, stripe, orderId);
      if (outcome.status !== "processing") break;
      // The workflow's progress (its run's metadata, which the shopper's status page follows) says so meanwhile.
      const waiting = progressAt("waiting for the bank");
      metadata.parent.set("step", waiting.step).set("percent", waiting.percent);
      await wait.forToken(token.id); // completed when the row is settled, or timed out: Stripe is asked again either way
      outcome = await chargeOrder(db, stripe, orderId);
    }
    if (outcome.status === "not_charged") {
      logger.warn("not charged", { orderId, code: outcome.code, message: outcome.message });
      return { outcome: "not_charged" as const, code: outcome.code, message: outcome.message };
    }
    logger.info("charged", { orderId, paymentIntent: outcome.payment.providerId, amountCents: outcome.payment.amountCents });
    return { outcome: "paid" as const, paymentIntent: outcome.payment.providerId };
  },
});
