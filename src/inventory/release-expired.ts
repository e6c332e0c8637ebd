// Frees the stock of orders that died mid-flight: held past their expiry and never sent to Stripe.
// An order with a payment attempt is left alone: its workflow (or that workflow's retries) owns it, and
// releasing its stock while a charge may still succeed would sell stock twice.
import { and, eq, lt, notExists, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { orders, payments, reservations } from "../../db/schema";
import { lockOrder, transitionOrder } from "../orders/order-status";
import { releaseStock } from "./reserve-stock";

export async function releaseExpiredReservations(db: Database, now: Date = new Date(), limit = 100): Promise<string[]> {
  const candidates = await db
    .selectDistinct({ orderId: reservations.orderId })
    .from(reservations)
    .innerJoin(orders, eq(orders.id, reservations.orderId))
    .where(
      and(
        eq(reservations.status, "held"),
        lt(reservations.expiresAt, now),
        eq(orders.status, "reserved"),
        notExists(db.select({ one: sql`1` }).from(payments).where(eq(payments.orderId, reservations.orderId))),
      ),
    )
    .limit(limit);

  const released: string[] = [];
  for (const { orderId } of candidates) {
    const done = await db.transaction(async (tx) => {
      const order = await lockOrder(tx, orderId); // the charge step takes the same lock before it writes its payments row
      const [attempt] = await tx.select({ id: payments.id }).from(payments).where(eq(payments.orderId, orderId)).limit(1);
      if (order.status !== "reserved" || attempt) return false;
      await releaseStock(tx, orderId, "reservation expired");
      await transitionOrder(tx, orderId, "failed", { reason: "reservation_expired" });
      return true;
    });
    if (done) released.push(orderId);
  }
  return released;
}
