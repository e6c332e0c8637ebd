// The reconciler's decisions, one order at a time, on real Postgres and the Stripe stand-in: Stripe's
// records settle what our rows cannot tell, and every order nobody works on ends where it belongs.
import { and, eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { orderEvents, orders, payments } from "../../db/schema";
import { reserveStock } from "../../src/inventory/reserve-stock";
import { checkInvariants } from "../../src/orders/check-invariants";
import { markOrderCancelled } from "../../src/orders/cancel-order";
import { orderCreatedEventOf } from "../../src/orders/order-created-event";
import { findOrdersToReconcile, reconcileOrder, recordRestart } from "../../src/orders/reconcile-order";
import { acceptOrder } from "../../src/orders/accept-order";
import { chargeOrder } from "../../src/payments/charge-order";
import { applyStripeEvent } from "../../src/payments/apply-stripe-event";
import { PaymentRetryableError } from "../../src/payments/payment-errors";
import { owesRefund, refundOrder, syncRefunds } from "../../src/payments/refund-order";
import { inventoryOf, placeOrder, stock } from "../support/orders";
import { startStripeForTest, type StripeForTest } from "../support/stripe";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

let t: TestDatabase;
let s: StripeForTest;
let n = 0;
const HOUR_AGO = () => new Date(Date.now() - 3_600_000);

beforeAll(async () => {
  t = await createTestDatabase();
  s = await startStripeForTest(t.url);
  await stock(t.db, { "REC-A": 1000 }, 500);
});
afterEach(() => s.standIn.faults.clear());
afterAll(async () => {
  await s.close();
  await t.close();
});

async function order(paymentMethod = "pm_card_visa", reserve: { expired?: boolean } | false = {}) {
  const id = `rec-${++n}`;
  await placeOrder(t.db, id, { "REC-A": 2 }, { paymentMethod });
  if (reserve) await reserveStock(t.db, id, reserve.expired ? { ttlMs: 1_000, now: HOUR_AGO() } : { ttlMs: 3_600_000 });
  return id;
}
const statusOf = async (id: string) => (await t.db.select().from(orders).where(eq(orders.id, id)))[0]!;
const chargeRow = async (id: string) =>
  (
    await t.db
      .select()
      .from(payments)
      .where(and(eq(payments.orderId, id), eq(payments.kind, "charge")))
  )[0];
/** Makes every row of the order look `ms` old, as the reconciler would find it after that much quiet. */
async function age(id: string, ms = 600_000) {
  await t.db.execute(sql`UPDATE fulfillment.orders SET updated_at = now() - make_interval(secs => ${ms / 1000}) WHERE id = ${id}`);
  await t.db.execute(
    sql`UPDATE fulfillment.order_events SET created_at = now() - make_interval(secs => ${ms / 1000}) WHERE order_id = ${id}`,
  );
  await t.db.execute(
    sql`UPDATE fulfillment.payments SET created_at = now() - make_interval(secs => ${ms / 1000}), updated_at = now() - make_interval(secs => ${ms / 1000}) WHERE order_id = ${id}`,
  );
}

describe("reconcileOrder", () => {
  it("a pending order whose trigger was lost is restarted, with the event it was made from; after too many restarts it fails, mail owed", async () => {
    const id = await order("pm_card_visa", false);
    const r = await reconcileOrder(t.db, s.stripe, id);
    expect(r).toMatchObject({ status: "pending", restartWorkflow: true, restarts: 0, refundDue: false });
    // The rebuilt event is accepted as the same order (same content), not a conflict.
    expect((await acceptOrder(t.db, await orderCreatedEventOf(t.db, id))).created).toBe(false);
    for (let i = 0; i < 5; i++) await recordRestart(t.db, id, `run_${i}`);
    const given = await reconcileOrder(t.db, s.stripe, id);
    expect(given).toMatchObject({ status: "failed", restartWorkflow: false, mail: "failed" });
    expect((await statusOf(id)).failureReason).toBe("workflow_not_started");
  });

  it("held past its TTL and never charged: stock back, payment_failed, its mail owed", async () => {
    const before = await inventoryOf(t.db, "REC-A");
    const id = await order("pm_card_visa", { expired: true });
    const r = await reconcileOrder(t.db, s.stripe, id);
    expect(r).toMatchObject({ status: "payment_failed", restartWorkflow: false, mail: "payment_failed" });
    expect(await statusOf(id)).toMatchObject({ status: "payment_failed", failureReason: "payment_not_completed" });
    expect((await inventoryOf(t.db, "REC-A")).reserved).toBe(before.reserved);
  });

  it("held within its TTL with no run: the workflow is restarted (the charge is retried by it)", async () => {
    const id = await order();
    expect(await reconcileOrder(t.db, s.stripe, id)).toMatchObject({ status: "reserved", restartWorkflow: true });
  });

  it("a charge whose answer was lost is found at Stripe and settled; the paid order's workflow goes on", async () => {
    const id = await order();
    s.standIn.faults.inject({ kind: "drop_after_processing", path: "/v1/payment_intents", times: 2 });
    await expect(chargeOrder(t.db, s.stripe, id)).rejects.toBeInstanceOf(PaymentRetryableError);
    const r = await reconcileOrder(t.db, s.stripe, id);
    expect(r).toMatchObject({ status: "paid", restartWorkflow: true, wake: { status: "succeeded" } });
    expect(await chargeRow(id)).toMatchObject({ status: "succeeded", providerId: expect.stringMatching(/^pi_/) });
  });

  it("a charge row Stripe has no intent for, past the TTL and the search lag: not charged, given up", async () => {
    const id = await order("pm_card_visa", { expired: true });
    s.standIn.faults.inject({ kind: "status_500", path: "/v1/payment_intents" });
    await expect(chargeOrder(t.db, s.stripe, id)).rejects.toBeInstanceOf(PaymentRetryableError);
    await age(id);
    expect(await reconcileOrder(t.db, s.stripe, id)).toMatchObject({ status: "payment_failed", mail: "payment_failed" });
    expect(await chargeRow(id)).toMatchObject({ status: "failed", failureCode: "payment_not_completed" });
  });

  it("the same, but the row is younger than Stripe's search lag: nothing is concluded, the workflow goes on", async () => {
    const id = await order("pm_card_visa", { expired: true });
    s.standIn.faults.inject({ kind: "status_500", path: "/v1/payment_intents" });
    await expect(chargeOrder(t.db, s.stripe, id)).rejects.toBeInstanceOf(PaymentRetryableError);
    expect(await reconcileOrder(t.db, s.stripe, id)).toMatchObject({ status: "reserved", restartWorkflow: true });
    expect((await chargeRow(id))!.status).toBe("pending");
  });

  it("Stripe unreachable: money is left as it is, nothing is decided", async () => {
    const id = await order("pm_card_visa", { expired: true });
    s.standIn.faults.inject({ kind: "status_500", path: "/v1/payment_intents" });
    await expect(chargeOrder(t.db, s.stripe, id)).rejects.toBeInstanceOf(PaymentRetryableError);
    await age(id);
    s.standIn.faults.inject({ kind: "status_500", path: "/v1/", method: "ANY", times: 50 });
    expect(await reconcileOrder(t.db, s.stripe, id)).toMatchObject({ status: "reserved", stripeUnreachable: true, restartWorkflow: false });
    expect((await chargeRow(id))!.status).toBe("pending");
  });

  it("a charge still processing at Stripe is waited for, not restarted", async () => {
    const id = await order("pm_stand_in_processing");
    s.standIn.stopTimers(); // Stripe keeps it processing
    try {
      expect((await chargeOrder(t.db, s.stripe, id)).status).toBe("processing");
      expect(await reconcileOrder(t.db, s.stripe, id)).toMatchObject({ status: "reserved", restartWorkflow: false });
    } finally {
      s.standIn.startTimers();
    }
  });

  it("cancelled while charged: stock back, a refund owed, the cancellation mail owed", async () => {
    const id = await order();
    expect((await chargeOrder(t.db, s.stripe, id)).status).toBe("succeeded");
    await markOrderCancelled(t.db, id, "test");
    expect(await reconcileOrder(t.db, s.stripe, id)).toMatchObject({ status: "cancelled", refundDue: true, mail: "cancelled" });
    expect(await checkInvariants(t.db)).toEqual([`5 clean end: order ${id} is cancelled but 0 of its 1000 charged were refunded`]);
  });
});

describe("Stripe's record wins over a conclusion drawn without it", () => {
  it("a charge given up as never sent that Stripe took after all is corrected to succeeded, and a refund is owed", async () => {
    const id = await order("pm_card_visa", { expired: true });
    s.standIn.faults.inject({ kind: "drop_after_processing", path: "/v1/payment_intents", times: 2 });
    s.standIn.faults.inject({ kind: "status_500", path: "/v1/payment_intents/search", method: "GET", times: 10 });
    await expect(chargeOrder(t.db, s.stripe, id)).rejects.toBeInstanceOf(PaymentRetryableError);
    // Pretend search lagged and the reconciler concluded "never sent": the row is failed, the order given up.
    await t.db.execute(
      sql`UPDATE fulfillment.payments SET status = 'failed', failure_code = 'payment_not_completed' WHERE order_id = ${id}`,
    );
    await t.db.execute(sql`UPDATE fulfillment.orders SET status = 'payment_failed' WHERE id = ${id}`);
    s.standIn.faults.clear();
    const event = await s.waitForEvent(
      (e) => e.type === "payment_intent.succeeded" && (e.data.object as { metadata: Record<string, string> }).metadata.order_id === id,
    );
    expect(await applyStripeEvent(t.db, s.stripe, event)).toMatchObject({
      handled: true,
      refundDue: true,
      charge: { status: "succeeded" },
    });
    expect(await chargeRow(id)).toMatchObject({ status: "succeeded", failureCode: null });
    expect((await t.db.select().from(orderEvents).where(eq(orderEvents.orderId, id))).map((e) => e.type)).toContain(
      "payment.charge.corrected",
    );
    expect(await refundOrder(t.db, s.stripe, id)).toMatchObject({ status: "succeeded" });
  });

  it("a refund Stripe fails after reporting it succeeded is corrected to failed, and the money is owed again", async () => {
    const id = await order();
    await chargeOrder(t.db, s.stripe, id);
    await markOrderCancelled(t.db, id, "test");
    const refunded = await refundOrder(t.db, s.stripe, id);
    expect(refunded.status).toBe("succeeded");
    const refundId = (refunded as { payment: { providerId: string } }).payment.providerId;
    await t.db.execute(sql`UPDATE stripe_stand_in.objects SET data = jsonb_set(data, '{status}', '"failed"') WHERE id = ${refundId}`);
    expect(await owesRefund(t.db, id)).toBe(false); // our rows do not know yet
    await syncRefunds(t.db, s.stripe, id, { alsoSucceeded: true });
    expect(await owesRefund(t.db, id)).toBe(true);
    expect(await refundOrder(t.db, s.stripe, id)).toMatchObject({ status: "succeeded" });
    expect(await owesRefund(t.db, id)).toBe(false);
  });

  it("a charge refunded outside the app is left for an operator, and nothing is sent again", async () => {
    const id = await order();
    const charged = await chargeOrder(t.db, s.stripe, id);
    await s.stripe.refunds.create({ payment_intent: charged.payment.providerId! });
    await markOrderCancelled(t.db, id, "test");
    expect(await refundOrder(t.db, s.stripe, id)).toMatchObject({ status: "needs_operator" });
    expect(await refundOrder(t.db, s.stripe, id)).toMatchObject({ status: "needs_operator" });
    expect(
      await t.db
        .select()
        .from(payments)
        .where(and(eq(payments.orderId, id), eq(payments.kind, "refund"))),
    ).toHaveLength(1);
  });
});

describe("findOrdersToReconcile", () => {
  it("finds only orders quiet for the given time", async () => {
    const quiet = await order("pm_card_visa", false);
    await age(quiet);
    const busy = await order("pm_card_visa", false);
    const found = await findOrdersToReconcile(t.db, 300_000, 1000);
    expect(found).toContain(quiet);
    expect(found).not.toContain(busy);
  });

  it("finds an order given up whose final mail has not gone out, and forgets it once it has", async () => {
    const id = await order("pm_card_visa", false);
    await markOrderCancelled(t.db, id, "test");
    await age(id);
    expect(await findOrdersToReconcile(t.db, 300_000, 1000)).toContain(id);
    expect(await reconcileOrder(t.db, s.stripe, id)).toMatchObject({ status: "cancelled", mail: "cancelled" });
    await t.db.execute(
      sql`INSERT INTO fulfillment.notifications (order_id, kind, status, message_id, recipient) VALUES (${id}, 'cancelled', 'sent', 'm', 'x@example.com')`,
    );
    expect(await findOrdersToReconcile(t.db, 300_000, 1000)).not.toContain(id);
    expect((await reconcileOrder(t.db, s.stripe, id)).mail).toBeUndefined();
  });
});
