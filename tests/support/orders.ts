// Small builders for tests: a catalog with chosen stock, and accepted orders.
import { eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { inventory } from "../../db/schema";
import { seedCatalog } from "../../db/seed";
import type { OrderCreatedInput } from "../../src/events/order-created";
import { acceptOrder } from "../../src/orders/accept-order";

export async function stock(db: Database, entries: Record<string, number>, priceCents = 1000) {
  await seedCatalog(
    db,
    Object.entries(entries).map(([sku, onHand]) => ({ sku, name: sku, priceCents, currency: "usd", onHand })),
  );
}

export function orderEvent(id: string, lines: Record<string, number>, extra: Partial<OrderCreatedInput> = {}): OrderCreatedInput {
  return {
    id,
    customer: { email: `${id}@example.com` },
    lines: Object.entries(lines).map(([sku, quantity]) => ({ sku, quantity })),
    currency: "usd",
    ...extra,
  };
}

export async function placeOrder(db: Database, id: string, lines: Record<string, number>, extra: Partial<OrderCreatedInput> = {}) {
  return (await acceptOrder(db, orderEvent(id, lines, extra))).order;
}

export async function inventoryOf(db: Database, sku: string) {
  const [row] = await db.select().from(inventory).where(eq(inventory.sku, sku));
  return row!;
}
