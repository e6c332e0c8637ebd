// Retention of the app's own rows (issue 15): an order's timeline goes once the order is final and its newest
// event is older than ORDER_EVENT_RETENTION, in batches that skip an order someone holds; the mail catcher
// deletes the mail it caught longer ago than MAIL_RETENTION, by itself.
import { and, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caughtMessages } from "local-stand-ins/schema";
import { startMailCatcher } from "local-stand-ins/smtp";
import { operatorAlerts, orderEvents, payments, type Payment } from "../../db/schema";
import { flagForOperator, REFUND_NEEDS_OPERATOR } from "../../src/orders/operator-alerts";
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

/** A payments row as Stripe's answers would have left it (the stand-in is not needed to age a timeline). */
const paymentRow = (orderId: string, kind: Payment["kind"], n: number, status: Payment["status"], amountCents = 1250) =>
  t.db.insert(payments).values({ orderId, kind, idempotencyKey: `order-${orderId}-${kind}-${n}`, amountCents, currency: "usd", status });

describe("order events retention: what still waits on money or a person keeps its timeline", () => {
  it("keeps a given-up order owed a refund, one with a payment unsettled, one whose operator alert is not sent; takes them once squared", async () => {
    const owed = (await placeOrder(t.db, "keep-owed", { "KEEP-A": 1 })).id; // charged, cancelled, refund failed
    await paymentRow(owed, "charge", 1, "succeeded");
    await paymentRow(owed, "refund", 1, "failed");
    await transitionOrder(t.db, owed, "cancelled");
    const unsettled = (await placeOrder(t.db, "keep-unsettled", { "KEEP-A": 1 })).id; // refunded, a second refund still processing
    await paymentRow(unsettled, "charge", 1, "succeeded");
    await paymentRow(unsettled, "refund", 1, "succeeded");
    await paymentRow(unsettled, "refund", 2, "processing");
    await transitionOrder(t.db, unsettled, "failed", { reason: "out_of_stock" });
    const alerted = (await placeOrder(t.db, "keep-alerted", { "KEEP-A": 1 })).id; // refunded (outside the app), alert unsent
    await paymentRow(alerted, "charge", 1, "succeeded");
    await paymentRow(alerted, "refund", 1, "succeeded");
    await transitionOrder(t.db, alerted, "cancelled");
    await flagForOperator(t.db, alerted, REFUND_NEEDS_OPERATOR, { reason: "refunded outside this app" });
    const squared = (await placeOrder(t.db, "keep-squared", { "KEEP-A": 1 })).id; // the same, all settled and told
    await paymentRow(squared, "charge", 1, "succeeded");
    await paymentRow(squared, "refund", 1, "succeeded");
    await transitionOrder(t.db, squared, "cancelled");
    await flagForOperator(t.db, squared, REFUND_NEEDS_OPERATOR, { reason: "refunded outside this app" });
    await t.db.update(operatorAlerts).set({ status: "sent", sentAt: new Date() }).where(eq(operatorAlerts.orderId, squared));
    const waiting = [owed, unsettled, alerted];
    await ageEvents([...waiting, squared], 100);

    expect(await sweepOrderEvents(t.db, { olderThanMs: 90 * DAY })).toMatchObject({ orders: 1, events: 3, finished: true });
    expect(await eventsOf([squared])).toEqual([]);
    expect(new Set(await eventsOf(waiting))).toEqual(new Set(waiting));

    // Squared later (a person refunded by hand, the refund settled, the alert mailed), and quiet again: swept.
    await paymentRow(owed, "refund", 2, "succeeded");
    await t.db
      .update(payments)
      .set({ status: "failed" })
      .where(and(eq(payments.orderId, unsettled), eq(payments.status, "processing")));
    await t.db.update(operatorAlerts).set({ status: "sent", sentAt: new Date() }).where(eq(operatorAlerts.orderId, alerted));
    expect(await sweepOrderEvents(t.db, { olderThanMs: 90 * DAY })).toMatchObject({ orders: 3 });
    expect(await eventsOf(waiting)).toEqual([]);
  });
});

const caughtMessage = (subject: string, daysAgo: number) => ({
  messageId: `<${subject}@test>`,
  envelopeFrom: "orders@shop.localhost",
  envelopeTo: ["ada@example.com"],
  subject,
  headers: {},
  receivedAt: new Date(Date.now() - daysAgo * DAY),
});
/** `count` messages caught `daysAgo`, their subjects starting with `prefix`. */
async function catchOld(prefix: string, count: number, daysAgo: number) {
  for (let i = 0; i < count; i += 1_000)
    await t.db
      .insert(caughtMessages)
      .values(Array.from({ length: Math.min(1_000, count - i) }, (_, j) => caughtMessage(`${prefix}-${i + j}`, daysAgo)));
}
const caughtCount = async (prefix: string) =>
  (await t.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM mail_catcher.messages WHERE subject LIKE ${`${prefix}-%`}`))[0]!.n;

describe("mail catcher retention", () => {
  it("deletes a backlog larger than a batch, batch after batch, until none is left", async () => {
    await catchOld("backlog", 1_200, 10);
    const catcher = await startMailCatcher({ databaseUrl: t.url, port: 0, retainForMs: 7 * DAY });
    try {
      await expect.poll(() => caughtCount("backlog"), { timeout: 5_000, interval: 50 }).toBe(0);
    } finally {
      await catcher.close();
    }
  });

  it("a catcher that closes stops deleting between two batches instead of waiting for the whole backlog", async () => {
    await catchOld("closing", 5_000, 10);
    const closing = await startMailCatcher({ databaseUrl: t.url, port: 0, retainForMs: 7 * DAY }); // starts deleting
    await closing.close();
    expect(await caughtCount("closing")).toBeGreaterThanOrEqual(4_000); // at most a batch or two went before it stopped
    const next = await startMailCatcher({ databaseUrl: t.url, port: 0, retainForMs: 7 * DAY }); // takes the rest
    try {
      await expect.poll(() => caughtCount("closing"), { timeout: 10_000, interval: 50 }).toBe(0);
    } finally {
      await next.close();
    }
  });

  it("deletes the mail caught longer ago than its retention, at start and when asked, and keeps the rest", async () => {
    await t.db.insert(caughtMessages).values([caughtMessage("old-at-start", 10), caughtMessage("recent", 1)]);
    const catcher = await startMailCatcher({ databaseUrl: t.url, port: 0, retainForMs: 7 * DAY });
    try {
      const subjects = async () => (await t.db.select({ subject: caughtMessages.subject }).from(caughtMessages)).map((m) => m.subject);
      await expect.poll(subjects, { timeout: 5_000, interval: 50 }).toEqual(["recent"]);
      await t.db.insert(caughtMessages).values(caughtMessage("old-later", 8));
      expect(await catcher.pruneOldMail()).toBe(1);
      expect(await subjects()).toEqual(["recent"]);
      expect(await t.db.select().from(caughtMessages).where(eq(caughtMessages.subject, "recent"))).toHaveLength(1);
    } finally {
      await catcher.close();
    }
  });
});
