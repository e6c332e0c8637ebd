// Cancelling an order: the status change. Restock, refund and the mail are the inventory, payments and
// mail modules' own steps, run by jobs/cancel-order.ts.
import type { DatabaseOrTransaction } from "../../db/client";
import type { Order } from "../../db/schema";
import { transitionOrder } from "./order-status";

export async function markOrderCancelled(db: DatabaseOrTransaction, orderId: string, reason: string): Promise<Order> {
  return transitionOrder(db, orderId, "cancelled", { reason });
}
