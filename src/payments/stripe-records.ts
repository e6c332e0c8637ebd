// Stripe's records are the truth for money. When our row cannot say what happened (a lost answer, a
// crash between Stripe's answer and our write, a webhook that never came), these ask Stripe.
import type Stripe from "stripe";
import type { Payment } from "../../db/schema";
import { classifyStripeError, PaymentRetryableError } from "./payment-errors";

/**
 * The PaymentIntent of an order's charge: by the id we stored, else by the metadata we put on it.
 * Undefined when Stripe has none. (Stripe's search may lag a fresh object by up to a minute; a charge
 * row that finds nothing is sent again with its Idempotency-Key, which Stripe answers from its record of
 * the first request for 24 hours, so the lag never makes a second charge.)
 */
export async function findChargeIntent(stripe: Stripe, charge: Payment, namespace: string): Promise<Stripe.PaymentIntent | undefined> {
  return askStripe(charge.orderId, async () => {
    if (charge.providerId) return stripe.paymentIntents.retrieve(charge.providerId);
    // Rows opened before installs had namespaces carry a key without it, and intents without it.
    const scoped = charge.idempotencyKey.startsWith(`${namespace}-`);
    const query = [`metadata['order_id']:'${charge.orderId}'`, ...(scoped ? [`metadata['install']:'${namespace}'`] : [])].join(" AND ");
    const found = await stripe.paymentIntents.search({ query, limit: 10 });
    // One per order by construction; were there more, the one that took money is the one that matters.
    return found.data.find((intent) => intent.status === "succeeded") ?? found.data[0];
  });
}

/** The Refund a refund row was opened for: by its id, else among the intent's refunds by our key. */
export async function findRefund(stripe: Stripe, refund: Payment, intentId: string): Promise<Stripe.Refund | undefined> {
  return askStripe(refund.orderId, async () => {
    if (refund.providerId) return stripe.refunds.retrieve(refund.providerId);
    const listed = await stripe.refunds.list({ payment_intent: intentId, limit: 100 });
    return listed.data.find((r) => r.metadata?.refund_key === refund.idempotencyKey);
  });
}

/** Any failure to read is "unknown", never "nothing there". */
async function askStripe<T>(orderId: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const classified = classifyStripeError(orderId, error);
    throw classified instanceof PaymentRetryableError
      ? classified
      : new PaymentRetryableError(orderId, `Stripe could not be asked: ${classified.message}`, undefined, classified.code);
  }
}
