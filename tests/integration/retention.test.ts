// Retention of the app's own rows (issue 15): an order's timeline goes once the order is final and its newest
// event is older than ORDER_EVENT_RETENTION, in batches that skip an order someone holds; the mail catcher
// deletes the mail it caught longer ago than MAIL_RETENTION, by itself.
import { eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caughtMessages } from "local-stand-ins/schema";
import { startMailCatcher } from "local-stand-ins/smtp";
import { orderEvents } from "../../db/schema";
import { recordOrderEvent, transitionOrder } from "../../src/orders/order-status";
import { sweepOrderEvents } from "../../src/orders/sweep-order-events";
import { placeOrder, stock } from "../support/orders";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const DAY = 86_400_000;
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
  await stock(t.db, { "KEEP-A": 1000 });
});
afterAll(async () => t.close());

const eventsOf = async (orderIds: string[]) =>
  (await t.db.select({ orderId: orderEvents.orderId }).from(orderEvents).where(inArray(orderEvents.orderId, orderIds))).map(
    (e) => e.orderId,
  );
const ageEvents = (orderIds: string[], days: number) =>
  t.db
    .update(orderEvents)
    .set({ createdAt: sql`now() - make_interval(days => ${days})` })
    .where(inArray(orderEvents.orderId, orderIds));

describe("order events retention", () => {
  it("deletes the whole timeline of a final order gone quiet, and nothing of an order at work or just changed", async () => {
    const completed = (await placeOrder(t.db, "keep-completed", { "KEEP-A": 1 })).id;
    for (const to of ["reserved", "paid", "completed"] as const) await transitionOrder(t.db, completed, to);
    const cancelled = (await placeOrder(t.db, "keep-cancelled", { "KEEP-A": 1 })).id;
    await transitionOrder(t.db, cancelled, "cancelled");
    const pending = (await placeOrder(t.db, "keep-pending", { "KEEP-A": 1 })).id;
    const recentlyTouched = (await placeOrder(t.db, "keep-recent", { "KEEP-A": 1 })).id;
    await transitionOrder(t.db, recentlyTouched, "failed", { reason: "out_of_stock" });
    const young = (await placeOrder(t.db, "keep-young", { "KEEP-A": 1 })).id;
    await transitionOrder(t.db, young, "failed", { reason: "out_of_stock" });
    await ageEvents([completed, cancelled, pending, recentlyTouched], 100);
    await recordOrderEvent(t.db, recentlyTouched, "mail.out_of_stock.sent", {}); // today

    const swept = await sweepOrderEvents(t.db, { olderThanMs: 90 * DAY, batchOrders: 1 });

    expect(swept).toMatchObject({ orders: 2, events: 6, finished: true }); // accepted + 3 statuses, accepted + cancelled
    expect(swept.transactions).toBeGreaterThanOrEqual(2); // one order per transaction
    expect(await eventsOf([completed, cancelled])).toEqual([]);
    expect(new Set(await eventsOf([pending, recentlyTouched, young]))).toEqual(new Set([pending, recentlyTouched, young]));
    expect((await eventsOf([recentlyTouched])).length).toBe(3); // its timeline whole: accepted, failed, the mail
    expect((await sweepOrderEvents(t.db, { olderThanMs: 90 * DAY })).events).toBe(0);
  });

  it("skips an order another transaction holds, and takes it on the next run", async () => {
    const held = (await placeOrder(t.db, "keep-held", { "KEEP-A": 1 })).id;
    await transitionOrder(t.db, held, "cancelled");
    await ageEvents([held], 100);
    await t.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT id FROM fulfillment.orders WHERE id = ${held} FOR UPDATE`);
      const started = Date.now();
      expect((await sweepOrderEvents(t.db, { olderThanMs: 90 * DAY })).events).toBe(0);
      expect(Date.now() - started).toBeLessThan(900); // skipped, not waited for
    });
    expect((await sweepOrderEvents(t.db, { olderThanMs: 90 * DAY })).events).toBe(2);
    expect(await eventsOf([held])).toEqual([]);
  });
});

describe("mail catcher retention", () => {
  it("deletes the mail caught longer ago than its retention, at start and when asked, and keeps the rest", async () => {
    const message = (subject: string, daysAgo: number) => ({
      messageId: `<${subject}@test>`,
      envelopeFrom: "orders@shop.localhost",
      envelopeTo: ["ada@example.com"],
      subject,
      headers: {},
      receivedAt: new Date(Date.now() - daysAgo * DAY),
    });
    await t.db.insert(caughtMessages).values([message("old-at-start", 10), message("recent", 1)]);
    const catcher = await startMailCatcher({ databaseUrl: t.url, port: 0, retainForMs: 7 * DAY });
    try {
      const subjects = async () => (await t.db.select({ subject: caughtMessages.subject }).from(caughtMessages)).map((m) => m.subject);
      await expect.poll(subjects, { timeout: 5_000, interval: 50 }).toEqual(["recent"]);
      await t.db.insert(caughtMessages).values(message("old-later", 8));
      expect(await catcher.pruneOldMail()).toBe(1);
      expect(await subjects()).toEqual(["recent"]);
      expect(await t.db.select().from(caughtMessages).where(eq(caughtMessages.subject, "recent"))).toHaveLength(1);
    } finally {
      await catcher.close();
    }
  });
});
