// An order with everything that hangs off it, as the API and the dashboard show it.
import { asc, eq } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../../db/client";
import { notifications, orderEvents, orderItems, orders, payments, reservations } from "../../db/schema";

export async function readOrder(db: DatabaseOrTransaction, orderId: string) {
  const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
  if (!order) return undefined;
  const [items, held, paid, mailed, timeline] = await Promise.all([
    db.select().from(orderItems).where(eq(orderItems.orderId, orderId)).orderBy(asc(orderItems.sku)),
    db.select().from(reservations).where(eq(reservations.orderId, orderId)).orderBy(asc(reservations.sku)),
    db.select().from(payments).where(eq(payments.orderId, orderId)).orderBy(asc(payments.createdAt)),
    db.select().from(notifications).where(eq(notifications.orderId, orderId)).orderBy(asc(notifications.createdAt)),
    db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId)).orderBy(asc(orderEvents.id)),
  ]);
  return { ...order, items, reservations: held, payments: paid, notifications: mailed, timeline };
}

export type OrderDetails = NonNullable<Awaited<ReturnType<typeof readOrder>>>;
