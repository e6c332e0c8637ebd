import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabaseHandle } from "../../db/client";
import { orders, reservations } from "../../db/schema";
import { commitStock, returnStock } from "../../src/inventory/commit-stock";
import { releaseStock, reserveStock } from "../../src/inventory/reserve-stock";
import { OutOfStockError, StockStateError } from "../../src/inventory/stock-errors";
import { checkInvariants } from "../../src/orders/check-invariants";
import { transitionOrder } from "../../src/orders/order-status";
import { inventoryOf, placeOrder, stock } from "../support/orders";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const TTL = { ttlMs: 60_000 };
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ max: 30 });
});
afterAll(() => t.close());

/** Polls the inventory row while `work` runs and records any moment it broke 0 <= reserved <= on_hand. */
async function watchInventory<T>(sku: string, work: () => Promise<T>) {
  const broken: string[] = [];
  let running = true;
  let samples = 0;
  // Its own connection, so the samples do not queue behind the pool the work saturates.
  const observer = createDatabaseHandle(t.url, { max: 1 });
  const watcher = (async () => {
    while (running) {
      const row = await inventoryOf(observer.db, sku);
      samples++;
      if (row.reserved < 0 || row.reserved > row.onHand) broken.push(`${row.reserved}/${row.onHand}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  try {
    return { result: await work(), broken, samples: () => samples };
  } finally {
    running = false;
    await watcher;
    await observer.close();
  }
}

describe("reserveStock under concurrency", () => {
  it("50 concurrent orders for 10 units: exactly 10 reserved, the rest typed out-of-stock", async () => {
    await stock(t.db, { "CONC-A": 10 });
    const ids = Array.from({ length: 50 }, (_, i) => `conc-a-${i}`);
    for (const id of ids) await placeOrder(t.db, id, { "CONC-A": 1 });

    const started = performance.now();
    const { result, broken, samples } = await watchInventory("CONC-A", () =>
      Promise.allSettled(ids.map((id) => reserveStock(t.db, id, TTL))),
    );
    const elapsed = performance.now() - started;
    const won = result.filter((r) => r.status === "fulfilled");
    const lost = result.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    console.log(`50 concurrent reservations for 10 units: ${elapsed.toFixed(0)} ms, ${samples()} inventory samples taken meanwhile`);

    expect(won).toHaveLength(10);
    expect(lost).toHaveLength(40);
    for (const failure of lost) {
      expect(failure.reason).toBeInstanceOf(OutOfStockError);
      expect((failure.reason as OutOfStockError).shortages).toEqual([{ sku: "CONC-A", requested: 1, available: 0 }]);
    }
    expect(broken).toEqual([]);
    expect(await inventoryOf(t.db, "CONC-A")).toMatchObject({ onHand: 10, reserved: 10 });
    const reservedOrders = await t.db.select().from(orders).where(eq(orders.status, "reserved"));
    expect(reservedOrders.filter((o) => o.id.startsWith("conc-a-"))).toHaveLength(10);
    expect(await checkInvariants(t.db)).toEqual([]);
  });

  it("the same order reserved 10 times concurrently reserves once", async () => {
    await stock(t.db, { "CONC-B": 5 });
    await placeOrder(t.db, "conc-b", { "CONC-B": 2 });
    const results = await Promise.all(Array.from({ length: 10 }, () => reserveStock(t.db, "conc-b", TTL)));
    expect(results.every((held) => held.length === 1 && held[0]!.quantity === 2)).toBe(true);
    expect(await inventoryOf(t.db, "CONC-B")).toMatchObject({ onHand: 5, reserved: 2 });
  });

  it("multi-line orders crossing each other's SKUs neither deadlock nor oversell", async () => {
    await stock(t.db, { "MIX-X": 7, "MIX-Y": 7 });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const id = `mix-${i}`;
      ids.push(id);
      // Lines in opposite orders, so a naive implementation would lock X then Y and Y then X.
      await placeOrder(t.db, id, i % 2 ? { "MIX-X": 1, "MIX-Y": 1 } : { "MIX-Y": 1, "MIX-X": 1 });
    }
    const result = await Promise.allSettled(ids.map((id) => reserveStock(t.db, id, TTL)));
    const failures = result.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(result.filter((r) => r.status === "fulfilled")).toHaveLength(7);
    expect(failures.every((f) => f.reason instanceof OutOfStockError)).toBe(true);
    expect(await inventoryOf(t.db, "MIX-X")).toMatchObject({ reserved: 7 });
    expect(await inventoryOf(t.db, "MIX-Y")).toMatchObject({ reserved: 7 });
  });
});

describe("all lines or none", () => {
  it("reserves nothing when one line is short, and names every short SKU", async () => {
    await stock(t.db, { "ALL-A": 5, "ALL-B": 1, "ALL-C": 0 });
    await placeOrder(t.db, "all-1", { "ALL-A": 2, "ALL-B": 3, "ALL-C": 1 });
    const error = await reserveStock(t.db, "all-1", TTL).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutOfStockError);
    expect((error as OutOfStockError).shortages).toEqual([
      { sku: "ALL-B", requested: 3, available: 1 },
      { sku: "ALL-C", requested: 1, available: 0 },
    ]);
    expect(await inventoryOf(t.db, "ALL-A")).toMatchObject({ reserved: 0 });
    expect(await t.db.select().from(reservations).where(eq(reservations.orderId, "all-1"))).toEqual([]);
    const [order] = await t.db.select().from(orders).where(eq(orders.id, "all-1"));
    expect(order!.status).toBe("pending");
  });
});

describe("commit, release and return", () => {
  it("release gives held units back, once", async () => {
    await stock(t.db, { "REL-A": 4 });
    await placeOrder(t.db, "rel-1", { "REL-A": 3 });
    await reserveStock(t.db, "rel-1", TTL);
    expect(await releaseStock(t.db, "rel-1", "declined")).toBe(1);
    expect(await releaseStock(t.db, "rel-1", "declined")).toBe(0);
    expect(await inventoryOf(t.db, "REL-A")).toMatchObject({ onHand: 4, reserved: 0 });
  });

  it("commit sells a paid order's units; return puts them back on the shelf", async () => {
    await stock(t.db, { "COM-A": 4 });
    await placeOrder(t.db, "com-1", { "COM-A": 3 });
    await reserveStock(t.db, "com-1", TTL);
    await expect(commitStock(t.db, "com-1")).rejects.toBeInstanceOf(StockStateError); // not paid yet
    await transitionOrder(t.db, "com-1", "paid");
    expect(await Promise.all([commitStock(t.db, "com-1"), commitStock(t.db, "com-1")])).toEqual(expect.arrayContaining([1, 0]));
    expect(await inventoryOf(t.db, "COM-A")).toMatchObject({ onHand: 1, reserved: 0 });
    expect(await returnStock(t.db, "com-1")).toBe(1);
    expect(await returnStock(t.db, "com-1")).toBe(0);
    expect(await inventoryOf(t.db, "COM-A")).toMatchObject({ onHand: 4, reserved: 0 });
  });

  it("refuses to re-reserve an order whose stock was released", async () => {
    await stock(t.db, { "RER-A": 4 });
    await placeOrder(t.db, "rer-1", { "RER-A": 1 });
    await reserveStock(t.db, "rer-1", TTL);
    await releaseStock(t.db, "rer-1", "test");
    await transitionOrder(t.db, "rer-1", "failed");
    await expect(reserveStock(t.db, "rer-1", TTL)).rejects.toBeInstanceOf(StockStateError);
  });
});
