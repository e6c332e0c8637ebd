// Cancelling an order: the status change, and the question the cancellation must wait on (is a charge
// still in flight at Stripe?). Refund and restock are the payments and inventory modules' own steps.
import { and, eq, inArray } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../../db/client";
import { payments, type Order } from "../../db/schema";
import { transitionOrder } from "./order-status";

export async function markOrderCancelled(db: DatabaseOrTransaction, orderId: string, reason: string): Promise<Order> {
  return transitionOrder(db, orderId, "cancelled", { reason });
}

/** A charge sent to Stripe whose outcome is not recorded yet: the refund has to wait for it. */
export async function chargeInFlight(db: DatabaseOrTransaction, orderId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: payments.id })
    .from(payments)
    .where(and(eq(payments.orderId, orderId), eq(payments.kind, "charge"), inArray(payments.status, ["pending", "processing"])));
  return row !== undefined;
}
