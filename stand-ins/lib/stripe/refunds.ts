// Refunds of a succeeded PaymentIntent, in full or in part, never beyond what was received. A refund
// fault (faults.ts) makes one "pending" and settles it later to succeeded or failed, as slow or failing
// card refunds do at Stripe.
import { and, eq, inArray, sql } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../db/client";
import { stripeObjects, type StripeObject } from "../db/schema";
import { chargeOf } from "./charges";
import { insertObject, loadObject, saveObject, stripeId, unixNow } from "./object-store";
import type { IntentContext, PaymentIntent } from "./payment-intents";
import type { RefundCreate } from "./request-params";
import { invalidRequest } from "./stripe-error";
import { recordEvent, type WebhookTarget } from "./webhook-events";
import type { z } from "zod";

export type Refund = StripeObject & {
  object: "refund";
  amount: number;
  payment_intent: string;
  status: "pending" | "succeeded" | "failed";
  /** Not Stripe's: what a "pending" refund settles to. */
  stand_in_settles_to?: "succeeded" | "failed";
};

export async function createRefund(ctx: IntentContext, params: z.output<typeof RefundCreate>): Promise<Refund> {
  let intentId = params.payment_intent;
  if (!intentId && params.charge) {
    const [owner] = await ctx.db
      .select({ id: stripeObjects.id })
      .from(stripeObjects)
      .where(and(eq(stripeObjects.type, "payment_intent"), sql`${stripeObjects.data} ->> 'latest_charge' = ${params.charge}`));
    if (!owner) throw invalidRequest(`No such charge: '${params.charge}'`, { code: "resource_missing", param: "charge", status: 404 });
    intentId = owner.id;
  }
  if (!intentId)
    throw invalidRequest("One of the following params should be provided for this request: payment_intent or charge.", {
      code: "parameter_missing",
    });
  const intent = await loadObject<PaymentIntent>(ctx.db, "payment_intent", intentId, { forUpdate: true, param: "payment_intent" });
  if (intent.status !== "succeeded") {
    throw invalidRequest(`This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, {
      code: "charge_not_refundable",
      param: "payment_intent",
    });
  }
  const refunded = await amountRefunded(ctx.db, intent.id);
  const remaining = intent.amount_received - refunded;
  if (remaining <= 0)
    throw invalidRequest(`Charge ${intent.latest_charge} has already been refunded.`, { code: "charge_already_refunded" });
  const amount = params.amount ?? remaining;
  if (amount > remaining) {
    throw invalidRequest(`Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, {
      code: "amount_too_large",
      param: "amount",
    });
  }
  // Taken only now, so that a refund refused above does not use up the fault.
  const fault = ctx.faults.takeForRefund();
  const refund: Refund = {
    id: stripeId("re"),
    object: "refund",
    amount,
    balance_transaction: stripeId("txn"),
    charge: intent.latest_charge,
    created: unixNow(),
    currency: intent.currency,
    metadata: params.metadata ?? {},
    payment_intent: intent.id,
    reason: params.reason ?? null,
    receipt_number: null,
    source_transfer_reversal: null,
    status: fault ? "pending" : "succeeded",
    transfer_reversal: null,
    ...(fault ? { stand_in_settles_to: fault.kind === "refund_fails" ? "failed" : "succeeded" } : {}),
  };
  await insertObject(ctx.db, refund, fault ? new Date(Date.now() + ctx.processingDelayMs) : undefined);
  await recordEvent(ctx.db, ctx.webhook, "refund.created", refund, ctx.idempotencyKey);
  // A pending refund has not moved money yet: charge.refunded comes when it succeeds.
  if (!fault) await recordEvent(ctx.db, ctx.webhook, "charge.refunded", chargeOf(intent, refunded + amount), ctx.idempotencyKey);
  return refund;
}

/** Settles a "pending" refund whose time has come (called by settle-due-objects.ts, in its transaction). */
export async function settleRefund(tx: DatabaseOrTransaction, webhook: WebhookTarget, pending: Refund): Promise<void> {
  const { stand_in_settles_to: outcome, ...refund } = pending;
  if (outcome === "failed") {
    const failed: Refund = {
      ...refund,
      status: "failed",
      failure_reason: "expired_or_canceled_card",
      // Stripe books the returned money back on a balance transaction of its own.
      failure_balance_transaction: stripeId("txn"),
    };
    await saveObject(tx, failed, null);
    await recordEvent(tx, webhook, "refund.failed", failed, null);
    await recordEvent(tx, webhook, "refund.updated", failed, null);
    return;
  }
  const succeeded: Refund = { ...refund, status: "succeeded" };
  await saveObject(tx, succeeded, null);
  await recordEvent(tx, webhook, "refund.updated", succeeded, null);
  const intent = await loadObject<PaymentIntent>(tx, "payment_intent", refund.payment_intent);
  await recordEvent(tx, webhook, "charge.refunded", chargeOf(intent, await amountRefunded(tx, intent.id)), null);
}

/** What is refunded or on its way back: pending refunds count (as at Stripe), failed ones give the amount back. */
async function amountRefunded(db: DatabaseOrTransaction, intentId: string): Promise<number> {
  const [row] = await db
    .select({ refunded: sql<number>`coalesce(sum((${stripeObjects.data} ->> 'amount')::int), 0)::int` })
    .from(stripeObjects)
    .where(
      and(
        eq(stripeObjects.type, "refund"),
        sql`${stripeObjects.data} ->> 'payment_intent' = ${intentId}`,
        inArray(sql`${stripeObjects.data} ->> 'status'`, ["pending", "succeeded"]),
      ),
    );
  return row?.refunded ?? 0;
}
