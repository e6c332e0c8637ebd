// The demo catalog: a handful of SKUs with stock. Idempotent: re-running it adds nothing and never
// overwrites stock that orders have since changed.
import type { DatabaseOrTransaction } from "./client";
import { inventory, products } from "./schema";

export const DEMO_CATALOG = [
  { sku: "TSHIRT-BLK-M", name: "T-shirt, black, M", priceCents: 2500, currency: "usd", onHand: 200 },
  { sku: "TSHIRT-WHT-L", name: "T-shirt, white, L", priceCents: 2500, currency: "usd", onHand: 200 },
  { sku: "MUG-LOGO", name: "Mug with logo", priceCents: 1200, currency: "usd", onHand: 150 },
  { sku: "HOODIE-GRY-M", name: "Hoodie, grey, M", priceCents: 5900, currency: "usd", onHand: 80 },
  { sku: "STICKER-PACK", name: "Sticker pack", priceCents: 500, currency: "usd", onHand: 1000 },
  { sku: "POSTER-A2", name: "Poster, A2", priceCents: 1800, currency: "usd", onHand: 40 },
  { sku: "CAP-NAVY", name: "Cap, navy", priceCents: 2200, currency: "usd", onHand: 60 },
  { sku: "LIMITED-PRINT", name: "Limited print (25 made)", priceCents: 9900, currency: "usd", onHand: 25 },
] as const;

export type CatalogEntry = { sku: string; name: string; priceCents: number; currency: string; onHand: number };

/** Inserts the catalog's products and their starting stock where they are missing. */
export async function seedCatalog(db: DatabaseOrTransaction, catalog: readonly CatalogEntry[] = DEMO_CATALOG) {
  if (catalog.length === 0) return;
  await db
    .insert(products)
    .values(catalog.map(({ sku, name, priceCents, currency }) => ({ sku, name, priceCents, currency })))
    .onConflictDoNothing();
  await db
    .insert(inventory)
    .values(catalog.map(({ sku, onHand }) => ({ sku, onHand, reserved: 0 })))
    .onConflictDoNothing({ target: inventory.sku });
}
