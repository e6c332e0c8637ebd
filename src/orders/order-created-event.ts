// The order.created event an accepted order was made from, rebuilt from its rows: what a restart of the
// workflow is started with (acceptOrder finds the same content and returns the stored order).
import { asc, eq } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../../db/client";
import { orderItems, orders } from "../../db/schema";
import type { OrderCreatedEvent } from "../events/order-created";
import { OrderNotFoundError } from "./order-errors";

export async function orderCreatedEventOf(db: DatabaseOrTransaction, orderId: string): Promise<OrderCreatedEvent> {
  const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
  if (!order) throw new OrderNotFoundError(orderId);
  const items = await db.select().from(orderItems).where(eq(orderItems.orderId, orderId)).orderBy(asc(orderItems.sku));
  return {
    id: order.id,
    customer: { email: order.customerEmail, ...(order.customerName !== null ? { name: order.customerName } : {}) },
    lines: items.map((i) => ({ sku: i.sku, quantity: i.quantity })),
    currency: order.currency,
    paymentMethod: order.paymentMethod,
  };
}
