// What follows when a payment settles outside its run (a Stripe webhook, the reconciler): the run waiting
// on the charge is woken, and an order that will not be fulfilled but was charged gets its refund run.
// Both are idempotent: a completed token stays completed, a refund run refunds once.
import { idempotencyKeys, tasks, wait } from "@trigger.dev/sdk";
import { and, count, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { payments, type Payment } from "../../db/schema";
import { isSettled } from "../payments/payment-rows";
import { orderTag } from "../orders/order-tag";

/** The task that refunds an order (jobs/refund-order.ts). */
export const REFUND_ORDER_TASK = "refund-order";

/** Completes the wait token of a settled charge's waiting run, if it has one. */
export async function wakeChargeWaiter(charge: Payment): Promise<boolean> {
  if (!charge.waitTokenId || !isSettled(charge)) return false;
  await wait.completeToken(charge.waitTokenId, { status: charge.status });
  return true;
}

/** Starts the order's refund run; one per refund row the order has had, so a failed refund gets a new run. */
export async function startRefund(db: Database, orderId: string): Promise<string> {
  const [{ refunds } = { refunds: 0 }] = await db
    .select({ refunds: count() })
    .from(payments)
    .where(and(eq(payments.orderId, orderId), eq(payments.kind, "refund")));
  const handle = await tasks.trigger(
    REFUND_ORDER_TASK,
    { orderId },
    {
      idempotencyKey: await idempotencyKeys.create(`order-${orderId}-refund-after-${refunds}`, { scope: "global" }),
      tags: [orderTag(orderId)],
    },
  );
  return handle.id;
}
