// Refunding an order's charge, the compensation of charge-order.ts: the whole amount, once, however often
// it is asked for. A refund Stripe fails is followed by a new one (its own row and key), up to
// MAX_REFUND_ATTEMPTS; a refund whose outcome is unknown is looked up at Stripe before anything is sent.
import { and, asc, eq, inArray, sql, type SQLWrapper } from "drizzle-orm";
import Stripe from "stripe";
import type { Database } from "../../db/client";
import { payments, type Payment } from "../../db/schema";
import { flagForOperator, REFUND_NEEDS_OPERATOR } from "../orders/operator-alerts";
import { lockOrder } from "../orders/order-status";
import { refundKey, stripeMetadata } from "./idempotency-keys";
import { installNamespace } from "./install-namespace";
import { classifyStripeError, PaymentRetryableError } from "./payment-errors";
import { correctPayment, openPayment, settlePayment, UNSETTLED } from "./payment-rows";
import { findRefund } from "./stripe-records";

/** After this many refunds Stripe failed, the order waits for a person (flagged for an operator). */
export const MAX_REFUND_ATTEMPTS = 5;

export type RefundOutcome =
  | { status: "nothing_to_refund" }
  | { status: "succeeded" | "processing"; payment: Payment }
  /** Stripe failed this refund; the next call makes a new one. */
  | { status: "failed"; payment: Payment }
  | { status: "needs_operator"; payment: Payment };

export async function refundOrder(db: Database, stripe: Stripe, orderId: string): Promise<RefundOutcome> {
  const namespace = await installNamespace(db);
  const prepared = await db.transaction(async (tx) => {
    await lockOrder(tx, orderId);
    const [charge] = await tx
      .select()
      .from(payments)
      .where(and(eq(payments.orderId, orderId), eq(payments.kind, "charge"), eq(payments.status, "succeeded")));
    if (!charge?.providerId) return { status: "nothing_to_refund" as const };
    const refunds = await tx
      .select()
      .from(payments)
      .where(and(eq(payments.orderId, orderId), eq(payments.kind, "refund")))
      .orderBy(asc(payments.createdAt));
    const refunded = refunds.filter((r) => r.status === "succeeded").reduce((sum, r) => sum + r.amountCents, 0);
    if (refunded >= charge.amountCents)
      return { status: "succeeded" as const, payment: refunds.findLast((r) => r.status === "succeeded")! };
    const foreign = refunds.find((r) => r.failureCode === "charge_already_refunded");
    if (foreign) {
      // Flagged when it was refused; flagged here too for an order refused before the alerts existed (once).
      await flagForOperator(tx, orderId, REFUND_NEEDS_OPERATOR, { reason: "refunded outside this app" });
      return { status: "needs_operator" as const, payment: foreign };
    }
    const open = refunds.find((r) => UNSETTLED.includes(r.status));
    if (open)
      return {
        status: "open" as const,
        charge,
        refund: await openPayment(tx, {
          orderId,
          kind: "refund",
          idempotencyKey: open.idempotencyKey,
          amountCents: open.amountCents,
          currency: open.currency,
        }),
      };
    if (refunds.length >= MAX_REFUND_ATTEMPTS) {
      await flagForOperator(tx, orderId, REFUND_NEEDS_OPERATOR, { reason: "Stripe failed every refund", attempts: MAX_REFUND_ATTEMPTS });
      return { status: "needs_operator" as const, payment: refunds.at(-1)! };
    }
    const refund = await openPayment(tx, {
      orderId,
      kind: "refund",
      idempotencyKey: refundKey(namespace, orderId, refunds.length + 1),
      amountCents: charge.amountCents - refunded,
      currency: charge.currency,
    });
    return { status: "open" as const, charge, refund };
  });
  if (prepared.status !== "open") return prepared;
  const { charge, refund } = prepared;
  const intentId = charge.providerId!;

  // Sent before (a retry, a crash, a lost answer): Stripe says what became of it.
  const known = refund.attempts > 1 || refund.providerId ? await findRefund(stripe, refund, intentId) : undefined;
  let result = known;
  if (!result) {
    try {
      result = await stripe.refunds.create(
        {
          payment_intent: intentId,
          amount: refund.amountCents,
          metadata: { ...stripeMetadata(namespace, orderId), refund_key: refund.idempotencyKey },
        },
        { idempotencyKey: refund.idempotencyKey },
      );
    } catch (error) {
      const failure = classifyStripeError(orderId, error);
      if (failure instanceof PaymentRetryableError) throw failure;
      // Refused as a request: nothing moved by it. "Already refunded" means a refund we do not know of
      // took the money back; the records say which (never a guess): ask again next time.
      // Refunded by someone else (Stripe's dashboard): the money is back, but not through a refund of ours,
      // so a person must square the books; nothing is sent again.
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === "charge_already_refunded") {
        const settlement = { status: "failed" as const, providerId: null, failureCode: error.code, failureMessage: error.message };
        // Under the order's lock, taken first as every step of the order takes it (else a deadlock with one
        // holding it and waiting on this refund's row).
        const row = await db.transaction(async (tx) => {
          await lockOrder(tx, orderId);
          const settled = await settlePayment(tx, refund.id, settlement);
          await flagForOperator(tx, orderId, REFUND_NEEDS_OPERATOR, { reason: "refunded outside this app" });
          return settled;
        });
        return { status: "needs_operator", payment: row };
      }
      return {
        status: "failed",
        payment: await settlePayment(db, refund.id, {
          status: "failed",
          providerId: null,
          failureCode: failure.code,
          failureMessage: failure.message,
        }),
      };
    }
  }
  return settleRefund(db, refund, result);
}

/** Records what a Refund object says about our refund row (after the call, a lookup or a webhook). */
export async function settleRefund(
  db: Database,
  refund: Payment,
  result: Stripe.Refund,
): Promise<Exclude<RefundOutcome, { status: "nothing_to_refund" }>> {
  if (result.status === "succeeded")
    return { status: "succeeded", payment: await settlePayment(db, refund.id, { status: "succeeded", providerId: result.id }) };
  if (result.status === "failed" || result.status === "canceled") {
    const code = result.failure_reason ?? result.status;
    const failure = {
      status: "failed" as const,
      providerId: result.id,
      failureCode: code,
      failureMessage: `Stripe: refund ${result.status}`,
    };
    // Stripe can fail a refund it first reported succeeded (the card was closed): the money is owed again.
    const row = refund.status === "succeeded" ? await correctPayment(db, refund, failure) : await settlePayment(db, refund.id, failure);
    return { status: "failed", payment: row };
  }
  return { status: "processing", payment: await settlePayment(db, refund.id, { status: "processing", providerId: result.id }) };
}

/** Whether the order whose id is `orderId` (a value or a column) will not be fulfilled (failed, payment_failed,
 *  cancelled) and its succeeded charge is not refunded in full yet: one rule, for the reconciler and the
 *  order-event sweep (which keeps such an order's timeline). */
export const refundOwedSql = (orderId: SQLWrapper | string) => sql<boolean>`EXISTS (
  SELECT 1 FROM fulfillment.orders o JOIN fulfillment.payments c ON c.order_id = o.id AND c.kind = 'charge' AND c.status = 'succeeded'
  WHERE o.id = ${orderId} AND o.status IN ('failed', 'payment_failed', 'cancelled')
    AND c.amount_cents > (SELECT coalesce(sum(r.amount_cents), 0) FROM fulfillment.payments r WHERE r.order_id = o.id AND r.kind = 'refund' AND r.status = 'succeeded'))`;

/** An order that will not be fulfilled and whose succeeded charge is not refunded in full yet. */
export async function owesRefund(db: Database, orderId: string): Promise<boolean> {
  const rows = await db.execute<{ owed: boolean }>(sql`SELECT ${refundOwedSql(orderId)} AS owed`);
  return rows[0]?.owed === true;
}

/** Brings the order's refund rows in line with Stripe's records: the unsettled ones, and (after a refund
 *  event, `alsoSucceeded`) the succeeded ones, which Stripe may yet fail. */
export async function syncRefunds(
  db: Database,
  stripe: Stripe,
  orderId: string,
  options: { alsoSucceeded?: boolean } = {},
): Promise<Payment[]> {
  const [charge] = await db
    .select()
    .from(payments)
    .where(and(eq(payments.orderId, orderId), eq(payments.kind, "charge"), eq(payments.status, "succeeded")));
  if (!charge?.providerId) return [];
  const statuses: Payment["status"][] = options.alsoSucceeded ? [...UNSETTLED, "succeeded"] : UNSETTLED;
  const open = await db
    .select()
    .from(payments)
    .where(and(eq(payments.orderId, orderId), eq(payments.kind, "refund"), inArray(payments.status, statuses)));
  const settled: Payment[] = [];
  for (const refund of open) {
    const found = await findRefund(stripe, refund, charge.providerId);
    if (found) settled.push((await settleRefund(db, refund, found)).payment);
  }
  return settled;
}
