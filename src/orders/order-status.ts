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

/** Moves the order to `to` if its current status allows it; returns the order as it now is. */
export async function transitionOrder(
  db: DatabaseOrTransaction,
  orderId: string,
  to: OrderStatus,
  detail: TransitionDetail = {},
): Promise<Order> {
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
      return moved;
    }
    const [current] = await tx.select().from(orders).where(eq(orders.id, orderId));
    if (!current) throw new OrderNotFoundError(orderId);
    if (current.status === to) return current;
    throw new IllegalTransitionError(orderId, current.status, to);
  });
}

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
