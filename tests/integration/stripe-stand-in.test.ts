// The stand-in checked against the real `stripe` SDK: shapes, errors, idempotency rules, webhooks, faults
// and persistence across a restart.
import { eq, sql } from "drizzle-orm";
import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { idempotencyKeys } from "../../db/schema";
import { startStripeStandIn } from "../../src/fakes/stripe/stripe-stand-in";
import { startStripeForTest, WEBHOOK_SECRET, type StripeForTest } from "../support/stripe";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

let t: TestDatabase;
let s: StripeForTest;
let keyNo = 0;
const freshKey = () => `stand-in-test-${++keyNo}-${Date.now()}`;

beforeAll(async () => {
  t = await createTestDatabase();
  s = await startStripeForTest(t.db, { failFirstDeliveries: 2 });
});
afterEach(() => s.standIn.faults.clear());
afterAll(async () => {
  await s.close();
  await t.close();
});

/** A raw form POST, for what the SDK hides (headers). */
async function post(path: string, body: Record<string, string>, key?: string) {
  const response = await fetch(`${s.standIn.url}${path}`, {
    method: "POST",
    headers: { authorization: "Bearer sk_test_raw", "content-type": "application/x-www-form-urlencoded", ...(key ? { "idempotency-key": key } : {}) },
    body: new URLSearchParams(body).toString(),
  });
  return { status: response.status, replayed: response.headers.get("idempotent-replayed"), body: (await response.json()) as Record<string, unknown> };
}

describe("PaymentIntents", () => {
  it("create, update, confirm and retrieve", async () => {
    const created = await s.stripe.paymentIntents.create({ amount: 1234, currency: "usd", metadata: { order_id: "x-1" } });
    expect(created).toMatchObject({ object: "payment_intent", amount: 1234, currency: "usd", status: "requires_payment_method", livemode: false });
    expect(created.id).toMatch(/^pi_/);
    expect(created.client_secret).toMatch(new RegExp(`^${created.id}_secret_`));
    const updated = await s.stripe.paymentIntents.update(created.id, { amount: 1500, metadata: { note: "a" } });
    expect(updated.metadata).toEqual({ order_id: "x-1", note: "a" });
    const confirmed = await s.stripe.paymentIntents.confirm(created.id, { payment_method: "pm_card_mastercard" });
    expect(confirmed).toMatchObject({ status: "succeeded", amount_received: 1500, payment_method: "pm_card_mastercard" });
    expect(confirmed.latest_charge).toMatch(/^ch_/);
    expect(await s.stripe.paymentIntents.retrieve(created.id)).toEqual(confirmed);
  });

  it("manual capture: authorise, then capture", async () => {
    const held = await s.stripe.paymentIntents.create({ amount: 900, currency: "eur", payment_method: "pm_card_visa", confirm: true, capture_method: "manual" });
    expect(held).toMatchObject({ status: "requires_capture", amount_capturable: 900, amount_received: 0 });
    const captured = await s.stripe.paymentIntents.capture(held.id, { amount_to_capture: 700 });
    expect(captured).toMatchObject({ status: "succeeded", amount_received: 700 });
  });

  it("cancel, and refuse to cancel a succeeded intent", async () => {
    const open = await s.stripe.paymentIntents.create({ amount: 500, currency: "usd" });
    expect(await s.stripe.paymentIntents.cancel(open.id, { cancellation_reason: "abandoned" })).toMatchObject({ status: "canceled", cancellation_reason: "abandoned" });
    const paid = await s.stripe.paymentIntents.create({ amount: 500, currency: "usd", payment_method: "pm_card_visa", confirm: true });
    const error = await s.stripe.paymentIntents.cancel(paid.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error).toMatchObject({ code: "payment_intent_unexpected_state", statusCode: 400 });
  });

  it("a declined card raises StripeCardError with the failed intent attached", async () => {
    const error = await s.stripe.paymentIntents
      .create({ amount: 500, currency: "usd", payment_method: "pm_card_chargeDeclinedStolenCard", confirm: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(error).toMatchObject({ statusCode: 402, code: "card_declined", decline_code: "stolen_card" });
    const intent = (error as Stripe.errors.StripeCardError).payment_intent!;
    expect(intent.status).toBe("requires_payment_method");
    expect(intent.last_payment_error).toMatchObject({ code: "card_declined", decline_code: "stolen_card" });
  });

  it("names bad parameters the way Stripe does", async () => {
    const unknown = await s.stripe.paymentIntents.create({ amount: 100, currency: "usd", colour: "red" } as Stripe.PaymentIntentCreateParams).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ type: "StripeInvalidRequestError", param: "colour", code: "parameter_unknown" });
    const missing = await s.stripe.paymentIntents.create({ currency: "usd" } as Stripe.PaymentIntentCreateParams).catch((e: unknown) => e);
    expect(missing).toMatchObject({ param: "amount", code: "parameter_missing" });
    const badPm = await s.stripe.paymentIntents.create({ amount: 100, currency: "usd", payment_method: "pm_nope", confirm: true }).catch((e: unknown) => e);
    expect(badPm).toMatchObject({ param: "payment_method", code: "resource_missing" });
    const notFound = await s.stripe.paymentIntents.retrieve("pi_missing").catch((e: unknown) => e);
    expect(notFound).toMatchObject({ statusCode: 404, code: "resource_missing" });
  });

  it("rejects a missing or malformed API key", async () => {
    const anonymous = new Stripe("sk_live_x", { host: "127.0.0.1", port: s.standIn.port, protocol: "http" });
    await expect(anonymous.paymentIntents.list()).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });

  it("lists newest first, in cursor pages", async () => {
    for (let i = 0; i < 3; i++) await s.stripe.paymentIntents.create({ amount: 100 + i, currency: "usd" });
    const first = await s.stripe.paymentIntents.list({ limit: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.has_more).toBe(true);
    const next = await s.stripe.paymentIntents.list({ limit: 2, starting_after: first.data[1]!.id });
    expect(next.data[0]!.id).not.toBe(first.data[1]!.id);
    expect(first.data[0]!.amount).toBe(102);
  });
});

describe("idempotency", () => {
  it("replays the first response, marked Idempotent-Replayed", async () => {
    const key = freshKey();
    const body = { amount: "700", currency: "usd", payment_method: "pm_card_visa", confirm: "true" };
    const first = await post("/v1/payment_intents", body, key);
    const second = await post("/v1/payment_intents", body, key);
    expect(first.status).toBe(200);
    expect(first.replayed).toBeNull();
    expect(second).toEqual({ ...first, replayed: "true" });
  });

  it("replays errors too: a decline stays the same decline", async () => {
    const key = freshKey();
    const body = { amount: "700", currency: "usd", payment_method: "pm_card_chargeDeclined", confirm: "true" };
    const first = await post("/v1/payment_intents", body, key);
    const second = await post("/v1/payment_intents", body, key);
    expect(first.status).toBe(402);
    expect(second).toEqual({ ...first, replayed: "true" });
  });

  it("saves nothing for a request that fails validation", async () => {
    const key = freshKey();
    expect((await post("/v1/payment_intents", { currency: "usd" }, key)).status).toBe(400);
    expect(await t.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key))).toEqual([]);
    expect((await post("/v1/payment_intents", { amount: "100", currency: "usd" }, key)).status).toBe(200);
  });

  it("the same key with other parameters is an idempotency_error", async () => {
    const key = freshKey();
    await s.stripe.paymentIntents.create({ amount: 100, currency: "usd" }, { idempotencyKey: key });
    const error = await s.stripe.paymentIntents.create({ amount: 101, currency: "usd" }, { idempotencyKey: key }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    const otherEndpoint = await post("/v1/refunds", { amount: "100" }, key);
    expect(otherEndpoint.body).toMatchObject({ error: { type: "idempotency_error" } });
  });

  it("answers 409 while the first request with the key is still running", async () => {
    const key = freshKey();
    const body = { amount: "100", currency: "usd" };
    // The first request is mid-flight: its key is claimed but its result not yet saved.
    const { requestFingerprint } = await import("../../src/fakes/stripe/idempotency");
    const { parseForm } = await import("../../src/fakes/stripe/request-params");
    const { PaymentIntentCreate } = await import("../../src/fakes/stripe/request-params");
    await t.db.insert(idempotencyKeys).values({ key, state: "in_flight", requestFingerprint: requestFingerprint("POST", "/v1/payment_intents", PaymentIntentCreate.parse(parseForm(new URLSearchParams(body).toString()))) });
    const conflict = await post("/v1/payment_intents", body, key);
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ error: { code: "idempotency_key_in_use" } });
    const viaSdk = await s.stripe.paymentIntents.create({ amount: 100, currency: "usd" }, { idempotencyKey: key }).catch((e: unknown) => e);
    expect(viaSdk).toMatchObject({ statusCode: 409 });
    // A claim abandoned by a crashed stand-in (older than 30 s) is taken over.
    await t.db.update(idempotencyKeys).set({ createdAt: sql`now() - interval '31 seconds'` }).where(eq(idempotencyKeys.key, key));
    expect((await post("/v1/payment_intents", body, key)).status).toBe(200);
  });

  it("forgets keys after 24 hours", async () => {
    const key = freshKey();
    const first = await s.stripe.paymentIntents.create({ amount: 100, currency: "usd" }, { idempotencyKey: key });
    await t.db.update(idempotencyKeys).set({ createdAt: sql`now() - interval '25 hours'` }).where(eq(idempotencyKeys.key, key));
    const second = await s.stripe.paymentIntents.create({ amount: 100, currency: "usd" }, { idempotencyKey: key });
    expect(second.id).not.toBe(first.id);
  });

  it("concurrent requests with one key create one object", async () => {
    const key = freshKey();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => s.stripe.paymentIntents.create({ amount: 100, currency: "usd", payment_method: "pm_card_visa", confirm: true }, { idempotencyKey: key })),
    );
    const ids = new Set(results.flatMap((r) => (r.status === "fulfilled" ? [r.value.id] : [])));
    expect(ids.size).toBe(1);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toMatchObject({ statusCode: 409 });
  });
});

describe("refunds", () => {
  it("refunds in parts, never beyond what was received", async () => {
    const paid = await s.stripe.paymentIntents.create({ amount: 1000, currency: "usd", payment_method: "pm_card_visa", confirm: true });
    const part = await s.stripe.refunds.create({ payment_intent: paid.id, amount: 400 });
    expect(part).toMatchObject({ object: "refund", amount: 400, status: "succeeded", payment_intent: paid.id, charge: paid.latest_charge });
    await expect(s.stripe.refunds.create({ payment_intent: paid.id, amount: 700 })).rejects.toMatchObject({ code: "amount_too_large" });
    const rest = await s.stripe.refunds.create({ charge: paid.latest_charge as string });
    expect(rest.amount).toBe(600);
    await expect(s.stripe.refunds.create({ payment_intent: paid.id })).rejects.toMatchObject({ code: "charge_already_refunded" });
    expect(await s.stripe.refunds.retrieve(part.id)).toEqual(part);
  });

  it("refuses to refund an intent that never succeeded", async () => {
    const open = await s.stripe.paymentIntents.create({ amount: 1000, currency: "usd" });
    await expect(s.stripe.refunds.create({ payment_intent: open.id })).rejects.toMatchObject({ code: "charge_not_refundable" });
  });
});

describe("webhooks", () => {
  it("delivers signed events that constructEvent verifies, retrying a failing endpoint", async () => {
    // The receiver answered 500 to its first two deliveries; those events still arrive.
    const paid = await s.stripe.paymentIntents.create({ amount: 4242, currency: "usd", payment_method: "pm_card_visa", confirm: true });
    const event = await s.waitForEvent((e) => e.type === "payment_intent.succeeded" && e.data.object.id === paid.id, 10_000);
    expect(event.data.object).toMatchObject({ id: paid.id, status: "succeeded", amount: 4242 });
    expect(await s.stripe.events.retrieve(event.id)).toMatchObject({ id: event.id, type: "payment_intent.succeeded" });
    expect(s.received.filter((e) => e.type === "payment_intent.created").length).toBeGreaterThan(0);
  });

  it("a signature made with another secret does not verify", async () => {
    const payload = JSON.stringify({ id: "evt_1", object: "event" });
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: "whsec_other" });
    expect(() => Stripe.webhooks.constructEvent(payload, header, WEBHOOK_SECRET)).toThrow(Stripe.errors.StripeSignatureVerificationError);
  });
});

describe("faults over HTTP", () => {
  it("takes fault plans from POST /_stand_in/faults and validates them", async () => {
    const bad = await fetch(`${s.standIn.url}/_stand_in/faults`, { method: "POST", body: JSON.stringify({ kind: "explode" }) });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/kind/);
    const ok = await fetch(`${s.standIn.url}/_stand_in/faults`, { method: "POST", body: JSON.stringify({ kind: "status_500", times: 1, path: "/v1/refunds" }) });
    expect(ok.status).toBe(201);
    const paid = await s.stripe.paymentIntents.create({ amount: 100, currency: "usd", payment_method: "pm_card_visa", confirm: true });
    await expect(s.stripe.refunds.create({ payment_intent: paid.id })).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    await expect(s.stripe.refunds.create({ payment_intent: paid.id })).resolves.toMatchObject({ status: "succeeded" });
  });
});

describe("persistence", () => {
  it("a restarted stand-in on the same database knows its objects and keys", async () => {
    const key = freshKey();
    const paid = await s.stripe.paymentIntents.create({ amount: 321, currency: "usd", payment_method: "pm_card_visa", confirm: true }, { idempotencyKey: key });
    const second = await startStripeStandIn({ db: t.db, port: 0, webhook: { url: undefined, secret: WEBHOOK_SECRET } });
    try {
      const client = new Stripe("sk_test_y", { host: "127.0.0.1", port: second.port, protocol: "http", maxNetworkRetries: 0 });
      expect(await client.paymentIntents.retrieve(paid.id)).toEqual(paid);
      const replay = await client.paymentIntents.create({ amount: 321, currency: "usd", payment_method: "pm_card_visa", confirm: true }, { idempotencyKey: key });
      expect(replay.id).toBe(paid.id);
    } finally {
      await second.close();
    }
  });
});
