import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { orders } from "../../db/schema";
import { listOrders } from "../../src/orders/list-orders";
import { placeOrder, stock } from "../support/orders";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  await stock(t.db, { "MUG-LOGO": 100 });
  for (const id of ["lo-a", "lo-b", "lo-c", "lo-d", "lo-e"]) await placeOrder(t.db, id, { "MUG-LOGO": 1 });
  // Two orders in the same instant: the id breaks the tie, so none is skipped or shown twice.
  await t.db
    .update(orders)
    .set({ createdAt: sql`(SELECT created_at FROM fulfillment.orders WHERE id = 'lo-c')` })
    .where(sql`${orders.id} = 'lo-d'`);
});
afterAll(() => t.close());

it("pages through every order once, newest first, by keyset cursor", async () => {
  const seen: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await listOrders(t.db, { limit: 2, ...(after ? { after } : {}) });
    if (page.length === 0) break;
    seen.push(...page.map((o) => o.id));
    after = page[page.length - 1]!.id;
  }
  expect(seen).toEqual(["lo-e", "lo-d", "lo-c", "lo-b", "lo-a"]);
});
