// Committing a paid order's stock (held → sold), and the return that undoes it (sold → back on the shelf).
import { and, eq, sql } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../../db/client";
import { inventory, reservations } from "../../db/schema";
import { lockOrder, recordOrderEvent } from "../orders/order-status";
import { StockStateError } from "./stock-errors";

/** Turns held units into sold ones: on_hand and reserved both drop. Only for a paid order; idempotent. */
export async function commitStock(db: DatabaseOrTransaction, orderId: string): Promise<number> {
  return db.transaction(async (tx) => {
    const order = await lockOrder(tx, orderId);
    if (order.status !== "paid" && order.status !== "completed") {
      throw new StockStateError(`Order ${orderId} is ${order.status}: only a paid order's stock is committed`);
    }
    const committed = await tx
      .update(reservations)
      .set({ status: "committed", updatedAt: sql`now()` })
      .where(and(eq(reservations.orderId, orderId), eq(reservations.status, "held")))
      .returning();
    for (const line of committed.sort((a, b) => a.sku.localeCompare(b.sku))) {
      await tx
        .update(inventory)
        .set({
          onHand: sql`${inventory.onHand} - ${line.quantity}`,
          reserved: sql`${inventory.reserved} - ${line.quantity}`,
          updatedAt: sql`now()`,
        })
        .where(eq(inventory.sku, line.sku));
    }
    if (committed.length > 0) await recordOrderEvent(tx, orderId, "stock.committed", { lines: committed.length });
    return committed.length;
  });
}

/** Puts a cancelled order's sold units back on the shelf (on_hand += quantity). Idempotent. */
export async function returnStock(db: DatabaseOrTransaction, orderId: string): Promise<number> {
  return db.transaction(async (tx) => {
    await lockOrder(tx, orderId);
    const returned = await tx
      .update(reservations)
      .set({ status: "returned", updatedAt: sql`now()` })
      .where(and(eq(reservations.orderId, orderId), eq(reservations.status, "committed")))
      .returning();
    for (const line of returned.sort((a, b) => a.sku.localeCompare(b.sku))) {
      await tx
        .update(inventory)
        .set({ onHand: sql`${inventory.onHand} + ${line.quantity}`, updatedAt: sql`now()` })
        .where(eq(inventory.sku, line.sku));
    }
    if (returned.length > 0) await recordOrderEvent(tx, orderId, "stock.returned", { lines: returned.length });
    return returned.length;
  });
}
