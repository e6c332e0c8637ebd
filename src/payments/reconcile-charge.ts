// Settling a charge row from Stripe's records without ever sending a charge: for a cancellation, a
// webhook that never came, a run that died. Unlike chargeOrder it never creates a PaymentIntent.
import { and, eq } from "drizzle-orm";
import type Stripe from "stripe";
import type { Database } from "../../db/client";
import { payments, type Payment } from "../../db/schema";
import { settleCharge } from "./charge-order";
import { installNamespace } from "./install-namespace";
import { isSettled } from "./payment-rows";
import { findChargeIntent } from "./stripe-records";

export type ChargeTruth =
  | { status: "no_charge" }
  /** Settled (now or before): succeeded or failed. */
  | { status: "settled"; payment: Payment }
  | { status: "processing"; payment: Payment }
  /** Stripe has no PaymentIntent for this row: the request never reached Stripe (or search lags it). */
  | { status: "not_found"; payment: Payment };

/** Looks the order's charge up at Stripe if our row cannot tell; throws PaymentRetryableError when Stripe cannot be asked. */
export async function reconcileCharge(db: Database, stripe: Stripe, orderId: string): Promise<ChargeTruth> {
  const [charge] = await db
    .select()
    .from(payments)
    .where(and(eq(payments.orderId, orderId), eq(payments.kind, "charge")));
  if (!charge) return { status: "no_charge" };
  if (isSettled(charge)) return { status: "settled", payment: charge };
  const intent = await findChargeIntent(stripe, charge, await installNamespace(db));
  if (!intent) return { status: "not_found", payment: charge };
  const outcome = await settleCharge(db, stripe, charge, intent);
  return outcome.status === "processing"
    ? { status: "processing", payment: outcome.payment }
    : { status: "settled", payment: outcome.payment };
}
