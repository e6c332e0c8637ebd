// Reserving an order's stock, and the release that undoes it, side by side.
// reserve: every line in one transaction or none; release: gives held units back to the shelf.
import { and, asc, eq, gte, sql } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../../db/client";
import { inventory, orderItems, reservations, type Reservation } from "../../db/schema";
import { lockOrder, recordOrderEvent, transitionOrder } from "../orders/order-status";
import { moveReservations } from "./move-reservations";
import { OutOfStockError, StockStateError, type Shortage } from "./stock-errors";

export type ReserveOptions = { ttlMs: number; now?: Date };

/**
 * Holds stock for every line of the order and moves it to "reserved". Idempotent per order: a second call
 * returns the reservations the first made. Throws OutOfStockError (naming every short SKU) and writes nothing
 * when any line cannot be served. Safe under any concurrency: the conditional UPDATE re-checks availability
 * after waiting for a row lock, and SKUs are always locked in the same order, so no deadlocks.
 */
export async function reserveStock(db: DatabaseOrTransaction, orderId: string, options: ReserveOptions): Promise<Reservation[]> {
  const now = options.now ?? new Date();
  return db.transaction(async (tx) => {
    const order = await lockOrder(tx, orderId);
    const existing = await tx.select().from(reservations).where(eq(reservations.orderId, orderId));
    if (existing.length > 0) {
      if (order.status === "reserved" || order.status === "paid" || order.status === "completed") return existing;
      throw new StockStateError(orderId, order.status, `Order ${orderId} is ${order.status}; its stock was already given back`);
    }
    if (order.status !== "pending")
      throw new StockStateError(orderId, order.status, `Order ${orderId} is ${order.status}, not pending: nothing to reserve`);

    const items = await tx.select().from(orderItems).where(eq(orderItems.orderId, orderId)).orderBy(asc(orderItems.sku));
    const shortages: Shortage[] = [];
    for (const item of items) {
      const [taken] = await tx
        .update(inventory)
        .set({ reserved: sql`${inventory.reserved} + ${item.quantity}`, updatedAt: sql`now()` })
        .where(and(eq(inventory.sku, item.sku), gte(sql`${inventory.onHand} - ${inventory.reserved}`, item.quantity)))
        .returning({ sku: inventory.sku });
      if (!taken) {
        const [row] = await tx.select().from(inventory).where(eq(inventory.sku, item.sku));
        shortages.push({ sku: item.sku, requested: item.quantity, available: row ? row.onHand - row.reserved : 0 });
      }
    }
    if (shortages.length > 0) throw new OutOfStockError(orderId, shortages); // rolls back the lines taken

    const expiresAt = new Date(now.getTime() + options.ttlMs);
    const held = await tx
      .insert(reservations)
      .values(items.map((item) => ({ orderId, sku: item.sku, quantity: item.quantity, status: "held" as const, expiresAt })))
      .returning();
    await transitionOrder(tx, orderId, "reserved", { expiresAt: expiresAt.toISOString() });
    return held;
  });
}

/** Gives the order's held units back (reserved -= quantity). Idempotent; returns how many lines it released. */
export async function releaseStock(db: DatabaseOrTransaction, orderId: string, reason: string): Promise<number> {
  return db.transaction(async (tx) => {
    await lockOrder(tx, orderId);
    const released = await moveReservations(tx, orderId, "held", "released", { onHand: 0, reserved: -1 });
    if (released.length > 0) await recordOrderEvent(tx, orderId, "stock.released", { reason, lines: released.length });
    return released.length;
  });
}
