import { and, eq } from "drizzle-orm";
import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { orders, payments, stripeObjects } from "../../db/schema";
import { loadConfig } from "../../src/config";
import { reserveStock } from "../../src/inventory/reserve-stock";
import { checkInvariants } from "../../src/orders/check-invariants";
import { applyStripeEvent } from "../../src/payments/apply-stripe-event";
import { chargeOrder } from "../../src/payments/charge-order";
import { chargeKey } from "../../src/payments/idempotency-keys";
import { classifyStripeError, PaymentDeclinedError, PaymentRejectedError, PaymentRetryableError } from "../../src/payments/payment-errors";
import { refundOrder } from "../../src/payments/refund-order";
import { createStripeClient } from "../../src/payments/stripe-client";
import { placeOrder, stock } from "../support/orders";
import { startStripeForTest, type StripeForTest } from "../support/stripe";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

let t: TestDatabase;
let s: StripeForTest;
let n = 0;

beforeAll(async () => {
  t = await createTestDatabase();
  s = await startStripeForTest(t.db);
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
  t.db.select().from(payments).where(and(eq(payments.orderId, orderId), eq(payments.kind, kind)));
const statusOf = async (orderId: string) => (await t.db.select().from(orders).where(eq(orders.id, orderId)))[0]!.status;

describe("chargeOrder", () => {
  it("charges the order total once and marks the order paid", async () => {
    const id = await reservedOrder("pm_card_visa", 3);
    const outcome = await chargeOrder(t.db, s.stripe, id);
    expect(outcome.status).toBe("succeeded");
    expect(outcome.payment).toMatchObject({ amountCents: 5997, currency: "usd", idempotencyKey: `order-${id}-charge`, status: "succeeded" });
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

    const impatient = new Stripe("sk_test_x", { host: "127.0.0.1", port: s.standIn.port, protocol: "http", maxNetworkRetries: 0, timeout: 300 });
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

  it("a changed amount under the same key surfaces Stripe's idempotency error", async () => {
    const id = await reservedOrder();
    await chargeOrder(t.db, s.stripe, id);
    const error = await s.stripe.paymentIntents
      .create({ amount: 1, currency: "usd", payment_method: "pm_card_visa", confirm: true, metadata: { order_id: id } }, { idempotencyKey: chargeKey(id) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect((error as Error).message).toMatch(/same parameters they were first used with/);
    const classified = classifyStripeError(id, error);
    expect(classified).toBeInstanceOf(PaymentRejectedError);
    expect((classified as PaymentRejectedError).code).toBe("idempotency_error");
  });

  it("a decline is a typed, final error with Stripe's code, and the row is failed", async () => {
    const id = await reservedOrder("pm_card_chargeDeclinedInsufficientFunds");
    const error = await chargeOrder(t.db, s.stripe, id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaymentDeclinedError);
    expect((error as PaymentDeclinedError).code).toBe("insufficient_funds");
    const [row] = await paymentRows(id);
    expect(row).toMatchObject({ status: "failed", failureCode: "insufficient_funds" });
    expect(row!.providerId).toMatch(/^pi_/);
    // Asked again: the same decline, without another PaymentIntent.
    await expect(chargeOrder(t.db, s.stripe, id)).rejects.toMatchObject({ code: "insufficient_funds" });
    expect(await intentsFor(id)).toHaveLength(1);
    expect(await statusOf(id)).toBe("reserved"); // compensation is the workflow's call
  });

  it.each([
    ["pm_card_chargeDeclined", "generic_decline"],
    ["pm_card_chargeDeclinedExpiredCard", "expired_card"],
    ["pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc"],
    ["pm_card_chargeDeclinedLostCard", "lost_card"],
    ["pm_card_authenticationRequired", "requires_action"],
  ])("%s declines with %s", async (paymentMethod, code) => {
    const id = await reservedOrder(paymentMethod);
    await expect(chargeOrder(t.db, s.stripe, id)).rejects.toMatchObject({ name: "PaymentDeclinedError", code });
  });

  it("refuses to charge an order that holds no stock, and writes nothing", async () => {
    const id = `pay-${++n}`;
    await placeOrder(t.db, id, { "PAY-A": 1 });
    await expect(chargeOrder(t.db, s.stripe, id)).rejects.toMatchObject({ name: "PaymentRejectedError", code: "order_not_reserved" });
    expect(await paymentRows(id)).toHaveLength(0);
    expect(await intentsFor(id)).toHaveLength(0);
  });

  it("a processing charge is settled by the signed webhook", async () => {
    const id = await reservedOrder("pm_stand_in_processing");
    const outcome = await chargeOrder(t.db, s.stripe, id);
    expect(outcome.status).toBe("processing");
    expect(await statusOf(id)).toBe("reserved");
    const event = await s.waitForEvent((e) => e.type === "payment_intent.succeeded" && e.data.object.id === outcome.payment.providerId);
    expect(await applyStripeEvent(t.db, event)).toMatchObject({ handled: true, orderId: id, settledNow: true, outcome: { status: "succeeded" } });
    expect(await statusOf(id)).toBe("paid");
    expect((await paymentRows(id))[0]!.status).toBe("succeeded");
    // A redelivery changes nothing, and says so (nobody is woken twice).
    expect(await applyStripeEvent(t.db, event)).toMatchObject({ handled: true, settledNow: false, outcome: { status: "succeeded" } });
  });

  it("a processing charge that fails is settled as a decline", async () => {
    const id = await reservedOrder("pm_stand_in_processing_declined");
    const outcome = await chargeOrder(t.db, s.stripe, id);
    const event = await s.waitForEvent((e) => e.type === "payment_intent.payment_failed" && e.data.object.id === outcome.payment.providerId);
    expect(await applyStripeEvent(t.db, event)).toMatchObject({ handled: true, outcome: { status: "failed", code: "generic_decline" } });
    expect((await paymentRows(id))[0]).toMatchObject({ status: "failed", failureCode: "generic_decline" });
  });

  it("with a bad API key, Stripe's rejection is final", async () => {
    const id = await reservedOrder();
    const wrong = createStripeClient({ ...loadConfig({ STRIPE_FAKE_PORT: String(s.standIn.port) }).stripe, secretKey: "sk_live_nope" });
    await expect(chargeOrder(t.db, wrong, id)).rejects.toBeInstanceOf(PaymentRejectedError);
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

  it("has nothing to refund for an order never charged", async () => {
    const id = await reservedOrder();
    expect(await refundOrder(t.db, s.stripe, id)).toEqual({ status: "nothing_to_refund" });
  });
});
