// Refunds of a succeeded PaymentIntent, in full or in part, never beyond what was received.
import { and, eq, sql } from "drizzle-orm";
import { stripeObjects, type StripeObject } from "../../../db/schema";
import { insertObject, loadObject, stripeId, unixNow } from "./object-store";
import type { IntentContext, PaymentIntent } from "./payment-intents";
import type { RefundCreate } from "./request-params";
import { invalidRequest } from "./stripe-error";
import { recordEvent } from "./webhook-events";
import type { z } from "zod";

export async function createRefund(ctx: IntentContext, params: z.output<typeof RefundCreate>): Promise<StripeObject> {
  let intentId = params.payment_intent;
  if (!intentId && params.charge) {
    const [owner] = await ctx.db
      .select({ id: stripeObjects.id })
      .from(stripeObjects)
      .where(and(eq(stripeObjects.type, "payment_intent"), sql`${stripeObjects.data} ->> 'latest_charge' = ${params.charge}`));
    if (!owner) throw invalidRequest(`No such charge: '${params.charge}'`, { code: "resource_missing", param: "charge", status: 404 });
    intentId = owner.id;
  }
  if (!intentId) throw invalidRequest("One of the following params should be provided for this request: payment_intent or charge.", { code: "parameter_missing" });
  const intent = await loadObject<PaymentIntent>(ctx.db, "payment_intent", intentId, { forUpdate: true, param: "payment_intent" });
  if (intent.status !== "succeeded") {
    throw invalidRequest(`This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, { code: "charge_not_refundable", param: "payment_intent" });
  }
  const [{ refunded } = { refunded: 0 }] = await ctx.db
    .select({ refunded: sql<number>`coalesce(sum((${stripeObjects.data} ->> 'amount')::int), 0)::int` })
    .from(stripeObjects)
    .where(and(eq(stripeObjects.type, "refund"), sql`${stripeObjects.data} ->> 'payment_intent' = ${intent.id}`, sql`${stripeObjects.data} ->> 'status' = 'succeeded'`));
  const remaining = intent.amount_received - refunded;
  if (remaining <= 0) throw invalidRequest(`Charge ${intent.latest_charge} has already been refunded.`, { code: "charge_already_refunded" });
  const amount = params.amount ?? remaining;
  if (amount > remaining) {
    throw invalidRequest(`Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`, { code: "amount_too_large", param: "amount" });
  }
  const refund: StripeObject = {
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
    status: "succeeded",
  };
  await insertObject(ctx.db, refund);
  await recordEvent(ctx.db, ctx.webhook, "refund.created", refund, ctx.idempotencyKey);
  await recordEvent(ctx.db, ctx.webhook, "charge.refunded", { id: String(intent.latest_charge), object: "charge", amount: intent.amount_received, amount_refunded: refunded + amount, payment_intent: intent.id, refunded: refunded + amount === intent.amount_received }, ctx.idempotencyKey);
  return refund;
}
