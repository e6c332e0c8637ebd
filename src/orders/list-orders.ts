// Orders newest first, in keyset pages (created_at, id): as fast on page 500 as on page 1.
import { and, desc, eq, lt, or } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../../db/client";
import { orders, type OrderStatus } from "../../db/schema";

export async function listOrders(db: DatabaseOrTransaction, options: { limit: number; status?: OrderStatus; after?: { createdAt: Date; id: string } }) {
  const where = [
    options.status ? eq(orders.status, options.status) : undefined,
    options.after ? or(lt(orders.createdAt, options.after.createdAt), and(eq(orders.createdAt, options.after.createdAt), lt(orders.id, options.after.id))) : undefined,
  ].filter((w) => w !== undefined);
  return db
    .select()
    .from(orders)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(options.limit);
}
