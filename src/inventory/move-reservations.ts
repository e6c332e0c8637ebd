// The one stock movement every step uses: an order's reservations go from one status to the next, and each
// unit moved changes on_hand and reserved by the given amounts. SKUs are updated in a fixed order, so
// concurrent movements never deadlock. Idempotent: lines already moved are not moved again.
import { and, eq, sql } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../../db/client";
import { inventory, reservations, type Reservation } from "../../db/schema";

type Status = Reservation["status"];
export type PerUnit = { onHand: -1 | 0 | 1; reserved: -1 | 0 | 1 };

export async function moveReservations(
  tx: DatabaseOrTransaction,
  orderId: string,
  from: Status,
  to: Status,
  perUnit: PerUnit,
): Promise<Reservation[]> {
  const moved = await tx
    .update(reservations)
    .set({ status: to, updatedAt: sql`now()` })
    .where(and(eq(reservations.orderId, orderId), eq(reservations.status, from)))
    .returning();
  for (const line of moved.sort((a, b) => a.sku.localeCompare(b.sku))) {
    await tx
      .update(inventory)
      .set({
        onHand: sql`${inventory.onHand} + ${perUnit.onHand * line.quantity}`,
        reserved: sql`${inventory.reserved} + ${perUnit.reserved * line.quantity}`,
        updatedAt: sql`now()`,
      })
      .where(eq(inventory.sku, line.sku));
  }
  return moved;
}
