// Committing a paid order's stock (held → sold), and the return that undoes it (sold → back on the shelf).
import type { DatabaseOrTransaction } from "../../db/client";
import { lockOrder, recordOrderEvent } from "../orders/order-status";
import { moveReservations } from "./move-reservations";
import { StockStateError } from "./stock-errors";

/** Turns held units into sold ones: on_hand and reserved both drop. Only for a paid order; idempotent. */
export async function commitStock(db: DatabaseOrTransaction, orderId: string): Promise<number> {
  return db.transaction(async (tx) => {
    const order = await lockOrder(tx, orderId);
    if (order.status !== "paid" && order.status !== "completed") {
      throw new StockStateError(orderId, order.status, `Order ${orderId} is ${order.status}: only a paid order's stock is committed`);
    }
    const committed = await moveReservations(tx, orderId, "held", "committed", { onHand: -1, reserved: -1 });
    if (committed.length > 0) await recordOrderEvent(tx, orderId, "stock.committed", { lines: committed.length });
    return committed.length;
  });
}

/** Puts a cancelled order's sold units back on the shelf (on_hand += quantity). Idempotent. */
export async function returnStock(db: DatabaseOrTransaction, orderId: string): Promise<number> {
  return db.transaction(async (tx) => {
    await lockOrder(tx, orderId);
    const returned = await moveReservations(tx, orderId, "committed", "returned", { onHand: 1, reserved: 0 });
    if (returned.length > 0) await recordOrderEvent(tx, orderId, "stock.returned", { lines: returned.length });
    return returned.length;
  });
}
