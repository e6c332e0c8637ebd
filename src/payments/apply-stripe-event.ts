// Stripe's webhook events about our charges and refunds. Signature checking belongs to the HTTP edge; this
// takes a verified event. An event is a hint, not the truth: it names the object, and the object is read
// from Stripe as it is now (events come late, twice, or out of order). An event about an intent that is
// ours but not matched yet is an UnmatchedStripeEventError, so that the edge answers 5xx and Stripe
// delivers it again.
import { and, eq } from "drizzle-orm";
import type Stripe from "stripe";
import type { Database } from "../../db/client";
import { orders, payments, type Payment } from "../../db/schema";
import { settleCharge, type ChargeOutcome } from "./charge-order";
import { installNamespace } from "./install-namespace";
import { owesRefund, syncRefunds } from "./refund-order";
import { findChargeIntent } from "./stripe-records";

export type StripeEventOutcome =
  | { handled: false; reason: string }
  | {
      handled: true;
      orderId: string;
      /** The charge as it now is, for a payment_intent.* event. */
      charge?: ChargeOutcome;
      /** The order will not be fulfilled and its charge is not refunded yet: a refund must be started. */
      refundDue: boolean;
    };

export class UnmatchedStripeEventError extends Error {
  override name = "UnmatchedStripeEventError";
}

const CHARGE_EVENTS = new Set([
  "payment_intent.succeeded",
  "payment_intent.payment_failed",
  "payment_intent.processing",
  "payment_intent.canceled",
  "payment_intent.requires_action",
]);
const REFUND_EVENTS = new Set(["charge.refunded", "charge.refund.updated", "refund.created", "refund.updated", "refund.failed"]);

export async function applyStripeEvent(db: Database, stripe: Stripe, event: Stripe.Event): Promise<StripeEventOutcome> {
  if (CHARGE_EVENTS.has(event.type)) {
    const intent = event.data.object as Stripe.PaymentIntent;
    const charge = await chargeRowFor(db, intent.id, intent.metadata);
    if (!charge) return { handled: false, reason: `PaymentIntent ${intent.id} is not one of this install's charges` };
    // A charge that succeeded is final (a succeeded intent never changes): a redelivery needs no Stripe read.
    if (charge.status === "succeeded")
      return {
        handled: true,
        orderId: charge.orderId,
        charge: { status: "succeeded", payment: charge },
        refundDue: await owesRefund(db, charge.orderId),
      };
    const now = await findChargeIntent(stripe, { ...charge, providerId: intent.id }, await installNamespace(db));
    if (!now) throw new UnmatchedStripeEventError(`Stripe does not know PaymentIntent ${intent.id} any more`);
    const outcome = await settleCharge(db, stripe, charge, now);
    return { handled: true, orderId: charge.orderId, charge: outcome, refundDue: await owesRefund(db, charge.orderId) };
  }
  if (REFUND_EVENTS.has(event.type)) {
    const object = event.data.object as { payment_intent?: string | { id: string } | null; metadata?: Stripe.Metadata | null };
    const intentId = typeof object.payment_intent === "string" ? object.payment_intent : object.payment_intent?.id;
    if (!intentId) return { handled: false, reason: `${event.type} names no PaymentIntent` };
    const charge = await chargeRowFor(db, intentId, object.metadata ?? {});
    if (!charge) return { handled: false, reason: `PaymentIntent ${intentId} is not one of this install's charges` };
    await syncRefunds(db, stripe, charge.orderId, { alsoSucceeded: true });
    return { handled: true, orderId: charge.orderId, refundDue: await owesRefund(db, charge.orderId) };
  }
  return { handled: false, reason: `${event.type} is not an event this app acts on` };
}

/**
 * Our charge row for a PaymentIntent: by its id, else (we died between Stripe's answer and our write) by
 * the order named in its metadata. Undefined for intents that are not ours; throws for one that is ours
 * but has no row yet.
 */
async function chargeRowFor(db: Database, intentId: string, metadata: Stripe.Metadata): Promise<Payment | undefined> {
  const [byId] = await db
    .select()
    .from(payments)
    .where(and(eq(payments.kind, "charge"), eq(payments.providerId, intentId)));
  if (byId) return byId;
  const orderId = metadata.order_id;
  if (!orderId) return undefined;
  const namespace = await installNamespace(db);
  // Another install on the same Stripe account: not ours. No namespace: made before installs had one.
  if (metadata.install !== undefined && metadata.install !== namespace) return undefined;
  const [order] = await db.select({ id: orders.id }).from(orders).where(eq(orders.id, orderId));
  if (!order) {
    if (metadata.install === namespace)
      throw new UnmatchedStripeEventError(`PaymentIntent ${intentId} is for order ${orderId}, which this install does not have (yet)`);
    return undefined;
  }
  const [byOrder] = await db
    .select()
    .from(payments)
    .where(and(eq(payments.kind, "charge"), eq(payments.orderId, orderId)));
  if (!byOrder) throw new UnmatchedStripeEventError(`PaymentIntent ${intentId} is for order ${orderId}, which has no charge row yet`);
  return byOrder;
}
