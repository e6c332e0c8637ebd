// The catalogue with its stock: on hand, reserved, and what is left to sell.
import { asc, eq } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../../db/client";
import { inventory, products } from "../../db/schema";

/** At or below this many available units a SKU counts as low on stock. */
export const LOW_STOCK = 5;

export async function readStock(db: DatabaseOrTransaction) {
  const rows = await db
    .select({
      sku: products.sku,
      name: products.name,
      priceCents: products.priceCents,
      currency: products.currency,
      onHand: inventory.onHand,
      reserved: inventory.reserved,
    })
    .from(products)
    .innerJoin(inventory, eq(inventory.sku, products.sku))
    .orderBy(asc(products.sku));
  return rows.map((r) => ({ ...r, available: r.onHand - r.reserved, low: r.onHand - r.reserved <= LOW_STOCK }));
}
