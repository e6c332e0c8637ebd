// Stripe webhook events that settle a charge Stripe had left "processing". Signature checking belongs to
// the HTTP edge; this takes an already verified event. Unknown or unrelated events are ignored.
import { and, eq } from "drizzle-orm";
import type Stripe from "stripe";
import type { Database } from "../../db/client";
import { payments } from "../../db/schema";
import { applyIntent, type ChargeOutcome } from "./charge-order";
import { PaymentDeclinedError } from "./payment-errors";

export type StripeEventOutcome =
  | { handled: false }
  /** `settledNow`: this event settled a charge Stripe had left processing (someone may be waiting on it). */
  | { handled: true; orderId: string; settledNow: boolean; outcome: ChargeOutcome | { status: "failed"; code: string } };

export async function applyStripeEvent(db: Database, event: Stripe.Event): Promise<StripeEventOutcome> {
  if (event.type !== "payment_intent.succeeded" && event.type !== "payment_intent.payment_failed") return { handled: false };
  const intent = event.data.object;
  const [payment] = await db
    .select()
    .from(payments)
    .where(and(eq(payments.kind, "charge"), eq(payments.providerId, intent.id)));
  if (!payment) return { handled: false };
  const settledNow = payment.status === "processing";
  try {
    return { handled: true, orderId: payment.orderId, settledNow, outcome: await applyIntent(db, payment, intent) };
  } catch (error) {
    if (error instanceof PaymentDeclinedError) return { handled: true, orderId: payment.orderId, settledNow, outcome: { status: "failed", code: error.code } };
    throw error;
  }
}
