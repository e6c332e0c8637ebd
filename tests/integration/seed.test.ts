import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { inventory, products } from "../../db/schema";
import { DEMO_CATALOG, seedCatalog } from "../../db/seed";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.close());

it("seeds the demo catalog once and never overwrites stock that has moved since", async () => {
  await seedCatalog(t.db);
  await t.db.update(inventory).set({ onHand: 3, reserved: 1 }).where(eq(inventory.sku, "MUG-LOGO"));
  await seedCatalog(t.db);
  await seedCatalog(t.db);
  expect(await t.db.select().from(products)).toHaveLength(DEMO_CATALOG.length);
  const [mug] = await t.db.select().from(inventory).where(eq(inventory.sku, "MUG-LOGO"));
  expect(mug).toMatchObject({ onHand: 3, reserved: 1 });
});
