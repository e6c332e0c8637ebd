// Charging an order through a Stripe PaymentIntent. The payments row is written before Stripe is called
// and settled after, so a crash in between leaves a "pending" row that the retry (same key) settles.
import { and, eq, sql } from "drizzle-orm";
import type Stripe from "stripe";
import type { Database } from "../../db/client";
import { orders, payments, type Payment } from "../../db/schema";
import { lockOrder, recordOrderEvent } from "../orders/order-status";
import { chargeKey } from "./idempotency-keys";
import { openPayment, settlePayment } from "./payment-rows";
import { classifyStripeError, PaymentDeclinedError, PaymentRejectedError } from "./payment-errors";

export type ChargeOutcome =
  | { status: "succeeded"; payment: Payment }
  /** Stripe has not decided yet; a payment_intent.succeeded / payment_failed webhook will settle it. */
  | { status: "processing"; payment: Payment };

/**
 * Charges the order's total once, whatever is retried, replayed or run concurrently. Throws
 * PaymentDeclinedError (final), PaymentRetryableError (retry later) or PaymentRejectedError (final).
 * Refuses an order that does not hold its stock: nothing is charged for stock we could not sell.
 */
export async function chargeOrder(db: Database, stripe: Stripe, orderId: string): Promise<ChargeOutcome> {
  const payment = await db.transaction(async (tx) => {
    const order = await lockOrder(tx, orderId);
    const key = chargeKey(orderId);
    const [started] = await tx.select({ id: payments.id }).from(payments).where(eq(payments.idempotencyKey, key));
    // A charge already sent to Stripe is always followed through (the same request again), whatever
    // happened to the order since: a cancellation then refunds it instead of leaving it unknown.
    if (!started && order.status !== "reserved") {
      throw new PaymentRejectedError(orderId, "order_not_reserved", `order is ${order.status}; only an order holding its stock is charged`);
    }
    return openPayment(tx, { orderId, kind: "charge", idempotencyKey: key, amountCents: order.totalCents, currency: order.currency });
  });

  if (payment.status === "succeeded") return { status: "succeeded", payment };
  if (payment.status === "failed") {
    throw new PaymentDeclinedError(orderId, payment.failureCode ?? "card_declined", payment.failureMessage ?? "declined earlier");
  }

  const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
  let intent: Stripe.PaymentIntent;
  try {
    intent = await stripe.paymentIntents.create(
      {
        amount: payment.amountCents,
        currency: payment.currency,
        payment_method: order!.paymentMethod,
        automatic_payment_methods: { enabled: true, allow_redirects: "never" },
        confirm: true,
        description: `Order ${orderId}`,
        metadata: { order_id: orderId },
      },
      { idempotencyKey: payment.idempotencyKey },
    );
  } catch (error) {
    const failure = classifyStripeError(orderId, error);
    if (failure instanceof PaymentDeclinedError) {
      const intentId = (error as { payment_intent?: { id?: string } }).payment_intent?.id ?? null;
      await settlePayment(db, payment.id, { status: "failed", providerId: intentId, failureCode: failure.code, failureMessage: failure.message });
    }
    throw failure;
  }
  return applyIntent(db, payment, intent);
}

/** Records what a PaymentIntent says about a charge row (used after the API call and by the webhook). */
export async function applyIntent(db: Database, payment: Payment, intent: Stripe.PaymentIntent): Promise<ChargeOutcome> {
  const orderId = payment.orderId;
  switch (intent.status) {
    case "succeeded": {
      const settled = await db.transaction(async (tx) => {
        // The order's row first, as chargeOrder takes it: the same lock order in every transaction that
        // touches both rows, or two concurrent callers deadlock (one holding the payment, one the order).
        await lockOrder(tx, orderId);
        const row = await settlePayment(tx, payment.id, { status: "succeeded", providerId: intent.id });
        // reserved → paid; a concurrently cancelled order stays cancelled and its cancellation refunds.
        const [paid] = await tx
          .update(orders)
          .set({ status: "paid", updatedAt: sql`now()` })
          .where(and(eq(orders.id, orderId), eq(orders.status, "reserved")))
          .returning({ id: orders.id });
        if (paid) await recordOrderEvent(tx, orderId, "status.paid", { paymentIntent: intent.id });
        return row;
      });
      return { status: "succeeded", payment: settled };
    }
    case "processing":
      return { status: "processing", payment: await settlePayment(db, payment.id, { status: "processing", providerId: intent.id }) };
    default: {
      const error = intent.last_payment_error;
      const code = error?.decline_code || error?.code || intent.status;
      const message = error?.message ?? `PaymentIntent ended in ${intent.status}`;
      await settlePayment(db, payment.id, { status: "failed", providerId: intent.id, failureCode: code, failureMessage: message });
      throw new PaymentDeclinedError(orderId, code, message);
    }
  }
}
