// The order state machine. Every status change goes through transitionOrder, which refuses illegal moves,
// is idempotent (asking for the status the order already has is a no-op) and writes the timeline.
import { and, eq, inArray, sql } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../../db/client";
import { orderEvents, orders, type Order, type OrderStatus } from "../../db/schema";
import { IllegalTransitionError, OrderNotFoundError } from "./order-errors";

/** Where each status may go next. failed, payment_failed and cancelled are terminal. */
export const NEXT_STATUSES: Record<OrderStatus, readonly OrderStatus[]> = {
  pending: ["reserved", "failed", "cancelled"],
  reserved: ["paid", "payment_failed", "failed", "cancelled"],
  paid: ["completed", "cancelled"],
  completed: ["cancelled"],
  failed: [],
  payment_failed: [],
  cancelled: [],
};

export const TERMINAL_STATUSES: readonly OrderStatus[] = ["completed", "failed", "payment_failed", "cancelled"];

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return NEXT_STATUSES[from].includes(to);
}

function statusesLeadingTo(to: OrderStatus): OrderStatus[] {
  return (Object.keys(NEXT_STATUSES) as OrderStatus[]).filter((from) => canTransition(from, to));
}

export type TransitionDetail = { reason?: string; [key: string]: unknown };

/** Moves the order to `to` if its current status allows it; returns the order as it now is. Throws
 *  IllegalTransitionError when it does not (asking for the status it has already is a no-op). */
export async function transitionOrder(
  db: DatabaseOrTransaction,
  orderId: string,
  to: OrderStatus,
  detail: TransitionDetail = {},
): Promise<Order> {
  const { order } = await transitionOrderIfAllowed(db, orderId, to, detail);
  if (order.status !== to) throw new IllegalTransitionError(orderId, order.status, to);
  return order;
}

/** The same move, for callers racing others (a webhook, a cancellation): an order that has moved on
 *  elsewhere is returned as it is, with `moved: false`. */
export async function transitionOrderIfAllowed(
  db: DatabaseOrTransaction,
  orderId: string,
  to: OrderStatus,
  detail: TransitionDetail = {},
): Promise<{ order: Order; moved: boolean }> {
  return db.transaction(async (tx) => {
    const [moved] = await tx
      .update(orders)
      .set({
        status: to,
        updatedAt: sql`now()`,
        ...(detail.reason !== undefined && to !== "completed" && to !== "paid" ? { failureReason: detail.reason } : {}),
      })
      .where(and(eq(orders.id, orderId), inArray(orders.status, statusesLeadingTo(to))))
      .returning();
    if (moved) {
      await tx.insert(orderEvents).values({ orderId, type: `status.${to}`, detail });
      return { order: moved, moved: true };
    }
    const [current] = await tx.select().from(orders).where(eq(orders.id, orderId));
    if (!current) throw new OrderNotFoundError(orderId);
    return { order: current, moved: false };
  });
}

/** Failed, payment_failed or cancelled: the order will not be fulfilled, and keeps no stock and no money. */
export const isAbandoned = (status: OrderStatus) => status === "failed" || status === "payment_failed" || status === "cancelled";

/** Locks the order row for the rest of the transaction: the one place concurrent steps of an order queue. */
export async function lockOrder(tx: DatabaseOrTransaction, orderId: string): Promise<Order> {
  const [order] = await tx.select().from(orders).where(eq(orders.id, orderId)).for("update");
  if (!order) throw new OrderNotFoundError(orderId);
  return order;
}

export async function recordOrderEvent(
  db: DatabaseOrTransaction,
  orderId: string,
  type: string,
  detail: Record<string, unknown> = {},
): Promise<void> {
  await db.insert(orderEvents).values({ orderId, type, detail });
}
