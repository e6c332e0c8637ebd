// Charging an order through a Stripe PaymentIntent. The payments row is written before Stripe is called
// and settled after; whenever our row cannot tell the outcome (a retry, a crash in between, a lost answer)
// Stripe is asked before anything is sent again.
import { and, eq } from "drizzle-orm";
import type Stripe from "stripe";
import type { Database, DatabaseOrTransaction } from "../../db/client";
import { orders, payments, type Order, type Payment } from "../../db/schema";
import { lockOrder, transitionOrderIfAllowed } from "../orders/order-status";
import { chargeKey, stripeMetadata } from "./idempotency-keys";
import { installNamespace } from "./install-namespace";
import { classifyStripeError, PaymentRetryableError } from "./payment-errors";
import { correctPayment, NOT_COMPLETED, openPayment, settlePayment } from "./payment-rows";
import { findChargeIntent } from "./stripe-records";

export type ChargeOutcome =
  | { status: "succeeded"; payment: Payment }
  /** Stripe has not decided yet: a webhook, the charge's own wait or the reconciler settles it. */
  | { status: "processing"; payment: Payment }
  /** Stripe says no money moved: declined, refused as invalid, or needing an authentication an
   *  off-session order cannot give. Final. */
  | { status: "not_charged"; payment: Payment; code: string; message: string };

/** The reason an off-session charge that asks for 3-D Secure ends with. */
export const AUTHENTICATION_REQUIRED = "authentication_required";

/**
 * Charges the order's total once, whatever is retried, replayed or run concurrently. Returns the outcome
 * Stripe gives; throws PaymentRetryableError while the outcome is unknown. Refuses (not_charged,
 * order_not_reserved) an order that does not hold its stock: nothing is charged for stock we could not sell.
 */
export async function chargeOrder(db: Database, stripe: Stripe, orderId: string): Promise<ChargeOutcome> {
  const namespace = await installNamespace(db);
  const opened = await db.transaction(async (tx) => {
    const order = await lockOrder(tx, orderId);
    const [existing] = await tx
      .select()
      .from(payments)
      .where(and(eq(payments.orderId, orderId), eq(payments.kind, "charge")));
    // A charge already sent to Stripe is always followed through, whatever happened to the order since:
    // a cancellation then refunds it instead of leaving it unknown.
    if (!existing && order.status !== "reserved") return { order, payment: undefined };
    const key = existing?.idempotencyKey ?? chargeKey(namespace, orderId);
    return {
      order,
      payment: await openPayment(tx, {
        orderId,
        kind: "charge",
        idempotencyKey: key,
        amountCents: order.totalCents,
        currency: order.currency,
      }),
    };
  });
  const { order, payment } = opened;
  if (!payment) throw new OrderNotChargeableError(orderId, order.status);
  if (payment.status === "succeeded") return { status: "succeeded", payment };
  if (payment.status === "failed") return notCharged(payment);

  // A row opened just now has never been sent: nothing to ask Stripe about yet.
  let intent = payment.attempts > 1 || payment.providerId ? await findChargeIntent(stripe, payment, namespace) : undefined;
  if (!intent) {
    const created = await createIntent(db, stripe, order, payment, namespace);
    if ("outcome" in created) return created.outcome;
    intent = created.intent;
  }
  return settleCharge(db, stripe, payment, intent);
}

/** An order that never held its stock (or gave it back) is not charged. */
export class OrderNotChargeableError extends Error {
  override name = "OrderNotChargeableError";
  constructor(
    readonly orderId: string,
    readonly status: Order["status"],
  ) {
    super(`Order ${orderId} is ${status}; only an order holding its stock is charged`);
  }
}

async function createIntent(
  db: Database,
  stripe: Stripe,
  order: Order,
  payment: Payment,
  namespace: string,
): Promise<{ intent: Stripe.PaymentIntent } | { outcome: ChargeOutcome }> {
  let created: Stripe.PaymentIntent;
  try {
    created = await stripe.paymentIntents.create(
      {
        amount: payment.amountCents,
        currency: payment.currency,
        payment_method: order.paymentMethod,
        automatic_payment_methods: { enabled: true, allow_redirects: "never" },
        confirm: true,
        off_session: true,
        description: `Order ${order.id}`,
        metadata: stripeMetadata(namespace, order.id),
      },
      { idempotencyKey: payment.idempotencyKey },
    );
  } catch (error) {
    const failure = classifyStripeError(order.id, error);
    if (failure instanceof PaymentRetryableError) throw failure;
    const settled = await settlePayment(db, payment.id, {
      status: "failed",
      providerId: failure.intentId,
      failureCode: failure.code,
      failureMessage: failure.message,
    });
    return { outcome: notCharged(settled) };
  }
  // A replayed answer is Stripe's first answer to this key, as it was then: a "processing" one may have
  // settled since, so ask for the intent as it is now.
  if (created.status !== "processing") return { intent: created };
  return { intent: (await findChargeIntent(stripe, { ...payment, providerId: created.id }, namespace)) ?? created };
}

/**
 * Records what a PaymentIntent says about an order's charge row (after the API call, from a lookup, from a
 * webhook). Its status is Stripe's truth; our row and the order follow it.
 */
export async function settleCharge(db: Database, stripe: Stripe, payment: Payment, intent: Stripe.PaymentIntent): Promise<ChargeOutcome> {
  const orderId = payment.orderId;
  switch (intent.status) {
    case "succeeded": {
      const settled = await db.transaction(async (tx) => {
        // The order's row first, as chargeOrder takes it: the same lock order in every transaction that
        // touches both rows, or two concurrent callers deadlock.
        await lockOrder(tx, orderId);
        let row = await settlePayment(tx, payment.id, { status: "succeeded", providerId: intent.id });
        // Given up as never sent, yet Stripe took it: Stripe wins; the order, given up already, is refunded.
        if (row.status === "failed" && row.failureCode === NOT_COMPLETED)
          row = await correctPayment(tx, row, { status: "succeeded", providerId: intent.id });
        await markPaid(tx, orderId, intent.id);
        return row;
      });
      return { status: "succeeded", payment: settled };
    }
    case "processing":
      return { status: "processing", payment: await settlePayment(db, payment.id, { status: "processing", providerId: intent.id }) };
    case "requires_action": {
      // 3-D Secure asks the customer, who is not there: an off-session order cannot authenticate. The
      // intent is cancelled so that nothing can complete it later, then the order is declined.
      const cancelled = await stripe.paymentIntents
        .cancel(intent.id, {}, { idempotencyKey: `${payment.idempotencyKey}-cancel` })
        .catch(async (error: unknown) => {
          const failure = classifyStripeError(orderId, error);
          if (failure instanceof PaymentRetryableError) throw failure;
          return stripe.paymentIntents.retrieve(intent.id); // moved on meanwhile: settle from what it is
        });
      if (cancelled.status !== "canceled") return settleCharge(db, stripe, payment, cancelled);
      const row = await settlePayment(db, payment.id, {
        status: "failed",
        providerId: intent.id,
        failureCode: AUTHENTICATION_REQUIRED,
        failureMessage: "The card asks for 3-D Secure, which an order placed without the customer cannot give",
      });
      return notCharged(row);
    }
    case "requires_payment_method":
    case "canceled": {
      const error = intent.last_payment_error;
      const code = error?.decline_code || error?.code || intent.status;
      const row = await settlePayment(db, payment.id, {
        status: "failed",
        providerId: intent.id,
        failureCode: code,
        failureMessage: error?.message ?? `PaymentIntent ended ${intent.status}`,
      });
      return notCharged(row);
    }
    default:
      // requires_confirmation / requires_capture: we confirm on create and capture automatically, so
      // this is an intent in an unexpected state; it is not called failed.
      throw new PaymentRetryableError(orderId, `PaymentIntent ${intent.id} is ${intent.status}`);
  }
}

/** reserved → paid; an order cancelled meanwhile stays cancelled and is refunded by its compensation. */
async function markPaid(tx: DatabaseOrTransaction, orderId: string, intentId: string): Promise<void> {
  const [order] = await tx.select({ status: orders.status }).from(orders).where(eq(orders.id, orderId));
  if (order?.status === "reserved") await transitionOrderIfAllowed(tx, orderId, "paid", { paymentIntent: intentId });
}

function notCharged(payment: Payment): ChargeOutcome {
  return { status: "not_charged", payment, code: payment.failureCode ?? "card_declined", message: payment.failureMessage ?? "declined" };
}
