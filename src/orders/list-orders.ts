// Orders newest first, in keyset pages (created_at, id): as fast on page 500 as on page 1.
import { desc, sql } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../../db/client";
import { orders } from "../../db/schema";

/** `after`: the id of the last order of the previous page. */
export async function listOrders(db: DatabaseOrTransaction, options: { limit: number; after?: string }) {
  return (
    db
      .select()
      .from(orders)
      // A row comparison against the cursor's own row: one index range, no OR.
      .where(
        options.after
          ? sql`(${orders.createdAt}, ${orders.id}) < (SELECT created_at, id FROM fulfillment.orders WHERE id = ${options.after})`
          : undefined,
      )
      .orderBy(desc(orders.createdAt), desc(orders.id))
      .limit(options.limit)
  );
}
