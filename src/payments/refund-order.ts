// Refunding an order's charge, the compensation of charge-order.ts. One refund per order, however often
// it is asked for: the refund row and Stripe's idempotency key are both derived from the order.
import { and, eq } from "drizzle-orm";
import type Stripe from "stripe";
import type { Database } from "../../db/client";
import { payments, type Payment } from "../../db/schema";
import { lockOrder } from "../orders/order-status";
import { refundKey } from "./idempotency-keys";
import { classifyStripeError, PaymentRejectedError } from "./payment-errors";
import { openPayment, settlePayment } from "./payment-rows";

export type RefundOutcome = { status: "nothing_to_refund" } | { status: "succeeded" | "processing"; payment: Payment };

export async function refundOrder(db: Database, stripe: Stripe, orderId: string): Promise<RefundOutcome> {
  const prepared = await db.transaction(async (tx) => {
    await lockOrder(tx, orderId);
    const [charge] = await tx
      .select()
      .from(payments)
      .where(and(eq(payments.orderId, orderId), eq(payments.kind, "charge"), eq(payments.status, "succeeded")));
    if (!charge?.providerId) return undefined;
    const refund = await openPayment(tx, { orderId, kind: "refund", idempotencyKey: refundKey(orderId), amountCents: charge.amountCents, currency: charge.currency });
    return { charge, refund };
  });
  if (!prepared) return { status: "nothing_to_refund" };
  const { charge, refund } = prepared;
  if (refund.status === "succeeded") return { status: "succeeded", payment: refund };

  let result: Stripe.Refund;
  try {
    result = await stripe.refunds.create(
      { payment_intent: charge.providerId!, amount: refund.amountCents, metadata: { order_id: orderId } },
      { idempotencyKey: refund.idempotencyKey },
    );
  } catch (error) {
    throw classifyStripeError(orderId, error);
  }
  if (result.status === "failed" || result.status === "canceled") {
    const code = result.failure_reason ?? result.status;
    await settlePayment(db, refund.id, { status: "failed", providerId: result.id, failureCode: code, failureMessage: `refund ${result.status}` });
    throw new PaymentRejectedError(orderId, code, `the refund ${result.status}; refund this order by hand`);
  }
  const status = result.status === "succeeded" ? "succeeded" : "processing";
  return { status, payment: await settlePayment(db, refund.id, { status, providerId: result.id }) };
}
