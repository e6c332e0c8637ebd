import { and, eq } from "drizzle-orm";
import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stripeObjects } from "local-stand-ins/schema";
import { STAND_IN_TEST_KEY } from "local-stand-ins/testing";
import { orders, payments } from "../../db/schema";
import { reserveStock } from "../../src/inventory/reserve-stock";
import { checkInvariants } from "../../src/orders/check-invariants";
import { applyStripeEvent } from "../../src/payments/apply-stripe-event";
import { chargeOrder } from "../../src/payments/charge-order";
import { chargeKey } from "../../src/payments/idempotency-keys";
import { installNamespace } from "../../src/payments/install-namespace";
import { classifyStripeError, PaymentRetryableError } from "../../src/payments/payment-errors";
import { owesRefund, refundOrder, syncRefunds } from "../../src/payments/refund-order";
import { placeOrder, stock } from "../support/orders";
import { startStripeForTest, type StripeForTest } from "../support/stripe";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

let t: TestDatabase;
let s: StripeForTest;
let n = 0;

beforeAll(async () => {
  t = await createTestDatabase();
  s = await startStripeForTest(t.url);
  await stock(t.db, { "PAY-A": 1000 }, 1999);
});
afterEach(() => s.standIn.faults.clear());
afterAll(async () => {
  await s.close();
  await t.close();
});

/** A fresh order holding its stock, ready to be charged. */
async function reservedOrder(paymentMethod = "pm_card_visa", quantity = 1) {
  const id = `pay-${++n}`;
  await placeOrder(t.db, id, { "PAY-A": quantity }, { paymentMethod });
  await reserveStock(t.db, id, { ttlMs: 60_000 });
  return id;
}

const intentsFor = async (orderId: string) =>
  (await t.db.select().from(stripeObjects).where(eq(stripeObjects.type, "payment_intent"))).filter(
    (o) => (o.data.metadata as Record<string, string>).order_id === orderId,
  );
const paymentRows = (orderId: string, kind: "charge" | "refund" = "charge") =>
  t.db
    .select()
    .from(payments)
    .where(and(eq(payments.orderId, orderId), eq(payments.kind, kind)));
const statusOf = async (orderId: string) => (await t.db.select().from(orders).where(eq(orders.id, orderId)))[0]!.status;

describe("chargeOrder", () => {
  it("charges the order total once and marks the order paid", async () => {
    const id = await reservedOrder("pm_card_visa", 3);
    const outcome = await chargeOrder(t.db, s.stripe, id);
    expect(outcome.status).toBe("succeeded");
    expect(outcome.payment).toMatchObject({
      amountCents: 5997,
      currency: "usd",
      idempotencyKey: chargeKey(await installNamespace(t.db), id),
      status: "succeeded",
    });
    expect(outcome.payment.providerId).toMatch(/^pi_/);
    expect(await statusOf(id)).toBe("paid");
    const again = await chargeOrder(t.db, s.stripe, id);
    expect(again.payment.id).toBe(outcome.payment.id);
    expect(await intentsFor(id)).toHaveLength(1);
  });

  it("the SDK's own reconnect after one dropped answer gets the stored answer replayed", async () => {
    const id = await reservedOrder();
    // stripe-node retries a closed connection once even with maxNetworkRetries 0, with the same key.
    s.standIn.faults.inject({ kind: "drop_after_processing", path: "/v1/payment_intents" });
    expect((await chargeOrder(t.db, s.stripe, id)).status).toBe("succeeded");
    expect(await intentsFor(id)).toHaveLength(1);
  });

  it("after a lost answer (charged, connection dropped twice) the retry finds the same charge", async () => {
    const id = await reservedOrder();
    s.standIn.faults.inject({ kind: "drop_after_processing", path: "/v1/payment_intents", times: 2 });
    const lost = await chargeOrder(t.db, s.stripe, id).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(PaymentRetryableError);
    expect((await paymentRows(id))[0]).toMatchObject({ status: "pending", attempts: 1 });
    expect(await intentsFor(id)).toHaveLength(1); // Stripe did charge

    const retried = await chargeOrder(t.db, s.stripe, id);
    expect(retried.status).toBe("succeeded");
    expect(await intentsFor(id)).toHaveLength(1);
    expect(await paymentRows(id)).toHaveLength(1);
    expect((await paymentRows(id))[0]).toMatchObject({ status: "succeeded", attempts: 2 });
  });

  it("after a 500 the retry charges once", async () => {
    const id = await reservedOrder();
    s.standIn.faults.inject({ kind: "status_500" });
    const failed = await chargeOrder(t.db, s.stripe, id).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(PaymentRetryableError);
    expect((failed as PaymentRetryableError).statusCode).toBe(500);
    expect(await intentsFor(id)).toHaveLength(0);
    expect((await chargeOrder(t.db, s.stripe, id)).status).toBe("succeeded");
    expect(await intentsFor(id)).toHaveLength(1);
  });

  it("treats 429 and a hung connection as retryable", async () => {
    const id = await reservedOrder();
    s.standIn.faults.inject({ kind: "status_429" });
    const limited = await chargeOrder(t.db, s.stripe, id).catch((e: unknown) => e);
    expect(limited).toMatchObject({ name: "PaymentRetryableError", statusCode: 429 });

    const impatient = new Stripe(STAND_IN_TEST_KEY, {
      host: "127.0.0.1",
      port: s.standIn.port,
      protocol: "http",
      maxNetworkRetries: 0,
      timeout: 300,
    });
    s.standIn.faults.inject({ kind: "hang", hangMs: 2_000 });
    const hung = await chargeOrder(t.db, impatient, id).catch((e: unknown) => e);
    expect(hung).toBeInstanceOf(PaymentRetryableError);
    expect((await chargeOrder(t.db, s.stripe, id)).status).toBe("succeeded");
    expect(await intentsFor(id)).toHaveLength(1);
  });

  it("two concurrent callers: one PaymentIntent, one successful charge, one payments row", async () => {
    const id = await reservedOrder();
    const first = await Promise.allSettled([chargeOrder(t.db, s.stripe, id), chargeOrder(t.db, s.stripe, id)]);
    for (const r of first) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(PaymentRetryableError); // 409 in flight
    // Every caller that was told to retry gets the same charge when it does.
    const settled = await Promise.all(first.map((r) => (r.status === "fulfilled" ? r.value : chargeOrder(t.db, s.stripe, id))));
    expect(new Set(settled.map((o) => o.payment.providerId)).size).toBe(1);
    expect(await intentsFor(id)).toHaveLength(1);
    expect(await paymentRows(id)).toHaveLength(1);
  });

  it("ten concurrent callers through a flaky Stripe still charge once", async () => {
    const id = await reservedOrder();
    s.standIn.faults.inject({ kind: "drop_after_processing", times: 4 });
    s.standIn.faults.inject({ kind: "status_500", times: 2 });
    for (let round = 0; round < 10; round++) {
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => chargeOrder(t.db, s.stripe, id)));
      if (results.some((r) => r.status === "fulfilled")) break;
    }
    expect(await statusOf(id)).toBe("paid");
    const intents = await intentsFor(id);
    expect(intents).toHaveLength(1);
    expect(intents[0]!.data.status).toBe("succeeded");
    expect(await checkInvariants(t.db)).toEqual([]);
  });

  it("a changed amount under the same key is Stripe's idempotency error: an unknown outcome, never 'not charged'", async () => {
    const id = await reservedOrder();
    await chargeOrder(t.db, s.stripe, id);
    const error = await s.stripe.paymentIntents
      .create(
        { amount: 1, currency: "usd", payment_method: "pm_card_visa", confirm: true, metadata: { order_id: id } },
        { idempotencyKey: chargeKey(await installNamespace(t.db), id) },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect((error as Error).message).toMatch(/same parameters they were first used with/);
    const classified = classifyStripeError(id, error);
    expect(classified).toBeInstanceOf(PaymentRetryableError);
    expect((classified as PaymentRetryableError).code).toBe("idempotency_error");
  });

  it("a decline is a final not_charged outcome with Stripe's code, and the row is failed", async () => {
    const id = await reservedOrder("pm_card_chargeDeclinedInsufficientFunds");
    expect(await chargeOrder(t.db, s.stripe, id)).toMatchObject({ status: "not_charged", code: "insufficient_funds" });
    const [row] = await paymentRows(id);
    expect(row).toMatchObject({ status: "failed", failureCode: "insufficient_funds" });
    expect(row!.providerId).toMatch(/^pi_/);
    // Asked again: the same decline, without another PaymentIntent.
    expect(await chargeOrder(t.db, s.stripe, id)).toMatchObject({ status: "not_charged", code: "insufficient_funds" });
    expect(await intentsFor(id)).toHaveLength(1);
    expect(await statusOf(id)).toBe("reserved"); // compensation is the workflow's call
  });

  it.each([
    ["pm_card_chargeDeclined", "generic_decline"],
    ["pm_card_chargeDeclinedExpiredCard", "expired_card"],
    ["pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc"],
    ["pm_card_chargeDeclinedLostCard", "lost_card"],
    ["pm_nope", "resource_missing"],
  ])("%s is not charged, with %s", async (paymentMethod, code) => {
    const id = await reservedOrder(paymentMethod);
    expect(await chargeOrder(t.db, s.stripe, id)).toMatchObject({ status: "not_charged", code });
    expect((await paymentRows(id))[0]).toMatchObject({ status: "failed", failureCode: code });
  });

  it("3-D Secure off-session: the intent is cancelled at Stripe and the order is not charged (authentication_required)", async () => {
    const id = await reservedOrder("pm_card_authenticationRequired");
    expect(await chargeOrder(t.db, s.stripe, id)).toMatchObject({ status: "not_charged", code: "authentication_required" });
    const [intent] = await intentsFor(id);
    expect(intent!.data.status).toBe("canceled");
  });

  it("refuses to charge an order that holds no stock, and writes nothing", async () => {
    const id = `pay-${++n}`;
    await placeOrder(t.db, id, { "PAY-A": 1 });
    await expect(chargeOrder(t.db, s.stripe, id)).rejects.toMatchObject({ name: "OrderNotChargeableError", status: "pending" });
    expect(await paymentRows(id)).toHaveLength(0);
    expect(await intentsFor(id)).toHaveLength(0);
  });

  it("a processing charge is settled by the signed webhook, from Stripe's record, as often as it comes", async () => {
    const id = await reservedOrder("pm_stand_in_processing");
    const outcome = await chargeOrder(t.db, s.stripe, id);
    expect(outcome.status).toBe("processing");
    expect(await statusOf(id)).toBe("reserved");
    const event = await s.waitForEvent((e) => e.type === "payment_intent.succeeded" && e.data.object.id === outcome.payment.providerId);
    expect(await applyStripeEvent(t.db, s.stripe, event)).toMatchObject({
      handled: true,
      orderId: id,
      refundDue: false,
      charge: { status: "succeeded" },
    });
    expect(await statusOf(id)).toBe("paid");
    expect((await paymentRows(id))[0]!.status).toBe("succeeded");
    expect(await applyStripeEvent(t.db, s.stripe, event)).toMatchObject({ handled: true, charge: { status: "succeeded" } });
  });

  it("a stale event is read as Stripe's record is now: 'processing' after the intent succeeded settles it succeeded", async () => {
    const id = await reservedOrder("pm_stand_in_processing");
    const outcome = await chargeOrder(t.db, s.stripe, id);
    const processing = await s.waitForEvent(
      (e) => e.type === "payment_intent.processing" && e.data.object.id === outcome.payment.providerId,
    );
    await s.waitForEvent((e) => e.type === "payment_intent.succeeded" && e.data.object.id === outcome.payment.providerId);
    expect(await applyStripeEvent(t.db, s.stripe, processing)).toMatchObject({ handled: true, charge: { status: "succeeded" } });
    expect(await statusOf(id)).toBe("paid");
  });

  it("a processing charge that fails is settled as not charged", async () => {
    const id = await reservedOrder("pm_stand_in_processing_declined");
    const outcome = await chargeOrder(t.db, s.stripe, id);
    const event = await s.waitForEvent(
      (e) => e.type === "payment_intent.payment_failed" && e.data.object.id === outcome.payment.providerId,
    );
    expect(await applyStripeEvent(t.db, s.stripe, event)).toMatchObject({
      handled: true,
      charge: { status: "not_charged", code: "generic_decline" },
    });
    expect((await paymentRows(id))[0]).toMatchObject({ status: "failed", failureCode: "generic_decline" });
  });

  it("a webhook for an intent whose row has no provider id yet (died between Stripe's answer and our write) is matched by its metadata", async () => {
    const id = await reservedOrder();
    s.standIn.faults.inject({ kind: "drop_after_processing", path: "/v1/payment_intents", times: 2 });
    await expect(chargeOrder(t.db, s.stripe, id)).rejects.toBeInstanceOf(PaymentRetryableError);
    expect((await paymentRows(id))[0]).toMatchObject({ status: "pending", providerId: null });
    const event = await s.waitForEvent(
      (e) => e.type === "payment_intent.succeeded" && (e.data.object as Stripe.PaymentIntent).metadata.order_id === id,
    );
    expect(await applyStripeEvent(t.db, s.stripe, event)).toMatchObject({ handled: true, orderId: id, charge: { status: "succeeded" } });
    expect((await paymentRows(id))[0]).toMatchObject({ status: "succeeded", providerId: (event.data.object as Stripe.PaymentIntent).id });
  });

  it("an event of this install for an order it has not got is unmatched (the edge answers 5xx: Stripe delivers it again); another install's is ignored", async () => {
    const ns = await installNamespace(t.db);
    const ours = await s.stripe.paymentIntents.create({
      amount: 100,
      currency: "usd",
      payment_method: "pm_card_visa",
      confirm: true,
      metadata: { order_id: "not-here-yet", install: ns },
    });
    const theirs = await s.stripe.paymentIntents.create({
      amount: 100,
      currency: "usd",
      payment_method: "pm_card_visa",
      confirm: true,
      metadata: { order_id: "not-here-yet", install: "someoneelse1" },
    });
    const event = (intent: Stripe.PaymentIntent) =>
      ({ id: "evt_x", object: "event", type: "payment_intent.succeeded", data: { object: intent } }) as unknown as Stripe.Event;
    await expect(applyStripeEvent(t.db, s.stripe, event(ours))).rejects.toMatchObject({ name: "UnmatchedStripeEventError" });
    expect(await applyStripeEvent(t.db, s.stripe, event(theirs))).toMatchObject({ handled: false });
  });

  it("with Stripe refusing the key (401) the outcome is unknown: retried, never 'not charged'", async () => {
    const id = await reservedOrder();
    s.standIn.faults.inject({ kind: "status_401", times: 1 });
    await expect(chargeOrder(t.db, s.stripe, id)).rejects.toBeInstanceOf(PaymentRetryableError);
    expect((await paymentRows(id))[0]!.status).toBe("pending");
    expect((await chargeOrder(t.db, s.stripe, id)).status).toBe("succeeded");
  });

  it("an answer that comes after the client gave up: the retry finds the charge at Stripe, one PaymentIntent", async () => {
    const id = await reservedOrder();
    const impatient = new Stripe(STAND_IN_TEST_KEY, {
      host: "127.0.0.1",
      port: s.standIn.port,
      protocol: "http",
      maxNetworkRetries: 0,
      timeout: 200,
    });
    s.standIn.faults.inject({ kind: "slow_processing", path: "/v1/payment_intents", hangMs: 600 });
    await expect(chargeOrder(t.db, impatient, id)).rejects.toBeInstanceOf(PaymentRetryableError);
    await new Promise((r) => setTimeout(r, 800));
    expect((await chargeOrder(t.db, s.stripe, id)).status).toBe("succeeded");
    expect(await intentsFor(id)).toHaveLength(1);
  });
});

describe("refundOrder", () => {
  it("refunds a charged order once, however often and concurrently it is asked", async () => {
    const id = await reservedOrder("pm_card_visa", 2);
    const charge = await chargeOrder(t.db, s.stripe, id);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => refundOrder(t.db, s.stripe, id)));
    for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(PaymentRetryableError);
    const final = await refundOrder(t.db, s.stripe, id);
    expect(final).toMatchObject({ status: "succeeded", payment: { kind: "refund", amountCents: 3998, status: "succeeded" } });
    expect(await refundOrder(t.db, s.stripe, id)).toMatchObject({ status: "succeeded" });
    const refunds = await s.stripe.refunds.list({ payment_intent: charge.payment.providerId! });
    expect(refunds.data).toHaveLength(1);
    expect(refunds.data[0]!.amount).toBe(3998);
    expect(await paymentRows(id, "refund")).toHaveLength(1);
  });

  it("after a lost refund answer the retry finds the same refund", async () => {
    const id = await reservedOrder();
    const charge = await chargeOrder(t.db, s.stripe, id);
    s.standIn.faults.inject({ kind: "drop_after_processing", path: "/v1/refunds", times: 2 });
    await expect(refundOrder(t.db, s.stripe, id)).rejects.toBeInstanceOf(PaymentRetryableError);
    expect(await refundOrder(t.db, s.stripe, id)).toMatchObject({ status: "succeeded" });
    expect((await s.stripe.refunds.list({ payment_intent: charge.payment.providerId! })).data).toHaveLength(1);
  });

  it("a refund Stripe fails is followed by a new one; a pending one is settled from Stripe's record", async () => {
    const id = await reservedOrder();
    await chargeOrder(t.db, s.stripe, id);
    s.standIn.faults.inject({ kind: "refund_fails" });
    expect(await refundOrder(t.db, s.stripe, id)).toMatchObject({ status: "processing" });
    await s.waitForEvent((e) => e.type === "refund.failed" && (e.data.object as Stripe.Refund).metadata?.order_id === id);
    expect(await syncRefunds(t.db, s.stripe, id)).toEqual([
      expect.objectContaining({ status: "failed", failureCode: "expired_or_canceled_card" }),
    ]);
    expect(await owesRefund(t.db, id)).toBe(false); // the order is not given up: nothing is owed
    s.standIn.faults.inject({ kind: "refund_pending" });
    expect(await refundOrder(t.db, s.stripe, id)).toMatchObject({ status: "processing" });
    await s.waitForEvent(
      (e) =>
        e.type === "refund.updated" &&
        (e.data.object as Stripe.Refund).status === "succeeded" &&
        (e.data.object as Stripe.Refund).metadata?.order_id === id,
    );
    expect(await refundOrder(t.db, s.stripe, id)).toMatchObject({ status: "succeeded" });
    expect((await paymentRows(id, "refund")).map((r) => r.status).sort()).toEqual(["failed", "succeeded"]);
  });

  it("has nothing to refund for an order never charged", async () => {
    const id = await reservedOrder();
    expect(await refundOrder(t.db, s.stripe, id)).toEqual({ status: "nothing_to_refund" });
  });
});
