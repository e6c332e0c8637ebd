import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orderEvents, orderItems, orders } from "../../db/schema";
import { InvalidInputError } from "../../src/input-error";
import { acceptOrder } from "../../src/orders/accept-order";
import { IllegalTransitionError, OrderConflictError } from "../../src/orders/order-errors";
import { transitionOrder } from "../../src/orders/order-status";
import { orderEvent, stock } from "../support/orders";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  await stock(t.db, { "MUG-LOGO": 10, "CAP-NAVY": 10 }, 1250);
});
afterAll(() => t.close());

const rowCounts = async () => ({
  orders: (await t.db.select({ n: count() }).from(orders))[0]!.n,
  items: (await t.db.select({ n: count() }).from(orderItems))[0]!.n,
  events: (await t.db.select({ n: count() }).from(orderEvents))[0]!.n,
});

describe("acceptOrder", () => {
  it("prices the order from the catalog, not the event", async () => {
    const { order, items, created } = await acceptOrder(t.db, orderEvent("acc-1", { "MUG-LOGO": 2, "CAP-NAVY": 1 }));
    expect(created).toBe(true);
    expect(order).toMatchObject({ id: "acc-1", status: "pending", totalCents: 3750, currency: "usd" });
    expect(items.map((i) => [i.sku, i.quantity, i.unitPriceCents])).toEqual([
      ["MUG-LOGO", 2, 1250],
      ["CAP-NAVY", 1, 1250],
    ]);
  });

  it("returns the stored order for the same event again, even concurrently", async () => {
    const event = orderEvent("acc-2", { "MUG-LOGO": 1 });
    const results = await Promise.all(Array.from({ length: 10 }, () => acceptOrder(t.db, event)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const [row] = await t.db.select({ n: count() }).from(orderItems).where(eq(orderItems.orderId, "acc-2"));
    expect(row!.n).toBe(1);
  });

  it("treats line order as the same content", async () => {
    await acceptOrder(t.db, orderEvent("acc-3", { "MUG-LOGO": 1, "CAP-NAVY": 2 }));
    const again = await acceptOrder(t.db, {
      ...orderEvent("acc-3", {}),
      lines: [
        { sku: "CAP-NAVY", quantity: 2 },
        { sku: "MUG-LOGO", quantity: 1 },
      ],
    });
    expect(again.created).toBe(false);
  });

  it("refuses the same id with other content", async () => {
    await acceptOrder(t.db, orderEvent("acc-4", { "MUG-LOGO": 1 }));
    await expect(acceptOrder(t.db, orderEvent("acc-4", { "MUG-LOGO": 3 }))).rejects.toBeInstanceOf(OrderConflictError);
  });

  it("writes nothing for an unknown SKU, and names the line", async () => {
    const before = await rowCounts();
    const error = await acceptOrder(t.db, orderEvent("acc-5", { "MUG-LOGO": 1, "NO-SUCH-SKU": 1 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).issues).toEqual([{ field: "lines[1].sku", message: "unknown SKU NO-SUCH-SKU" }]);
    expect(await rowCounts()).toEqual(before);
  });

  it("writes nothing for a malformed event", async () => {
    const before = await rowCounts();
    await expect(acceptOrder(t.db, { id: "acc-6", customer: { email: "x" }, lines: [], currency: "usd" })).rejects.toThrow(
      /customer\.email: must be an e-mail address; lines: must have at least one line/,
    );
    expect(await rowCounts()).toEqual(before);
  });

  it("moves through the state machine and refuses illegal transitions", async () => {
    await acceptOrder(t.db, orderEvent("acc-7", { "MUG-LOGO": 1 }));
    await expect(transitionOrder(t.db, "acc-7", "paid")).rejects.toBeInstanceOf(IllegalTransitionError);
    await transitionOrder(t.db, "acc-7", "cancelled", { reason: "changed mind" });
    const again = await transitionOrder(t.db, "acc-7", "cancelled"); // idempotent
    expect(again).toMatchObject({ status: "cancelled", failureReason: "changed mind" });
    await expect(transitionOrder(t.db, "acc-7", "reserved")).rejects.toThrow("Order acc-7 cannot go from cancelled to reserved");
    const timeline = await t.db.select().from(orderEvents).where(eq(orderEvents.orderId, "acc-7"));
    expect(timeline.map((e) => e.type)).toEqual(["accepted", "status.cancelled"]);
  });
});
