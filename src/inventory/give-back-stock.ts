// Everything an order that will not be fulfilled gives back: held units return to sale, sold units to the
// shelf. Idempotent; what a cancellation, a failed payment and the reconciler all do with the stock.
import type { DatabaseOrTransaction } from "../../db/client";
import { returnStock } from "./commit-stock";
import { releaseStock } from "./reserve-stock";

export async function giveBackStock(
  db: DatabaseOrTransaction,
  orderId: string,
  reason: string,
): Promise<{ released: number; returned: number }> {
  const released = await releaseStock(db, orderId, reason);
  const returned = await returnStock(db, orderId);
  return { released, returned };
}
