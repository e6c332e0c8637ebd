// The stand-in checked against the real `stripe` SDK: shapes, errors, idempotency rules, webhooks, faults
// and persistence across a restart.
import { setTimeout as sleep } from "node:timers/promises";
import { and, count, eq, isNull, sql } from "drizzle-orm";
import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { idempotencyKeys, webhookDeliveries } from "../lib/db/schema";
import { startStripeStandIn } from "../lib/stripe/stripe-stand-in";
import { STAND_IN_TEST_KEY, startStripeForTest, WEBHOOK_SECRET, type StripeForTest } from "../lib/testing/stripe-for-test";
import { createTestDatabase, type TestDatabase } from "./support/test-database";

let t: TestDatabase;
let s: StripeForTest;
let keyNo = 0;
const freshKey = () => `stand-in-test-${++keyNo}-${Date.now()}`;
/** A metadata value no other test uses, to find a test's own objects by search. */
const freshTag = () => `tag-${++keyNo}-${Date.now()}`;

beforeAll(async () => {
  t = await createTestDatabase();
  s = await startStripeForTest(t.url, { failFirstDeliveries: 2 });
});
afterEach(() => s.standIn.faults.clear());
afterAll(async () => {
  await s.close();
  await t.close();
});

const KEY_HEADER = { authorization: `Bearer ${STAND_IN_TEST_KEY}` };

/** A raw form POST, for what the SDK hides (headers). */
async function post(path: string, body: Record<string, string>, key?: string) {
  const response = await fetch(`${s.standIn.url}${path}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${STAND_IN_TEST_KEY}`,
      "content-type": "application/x-www-form-urlencoded",
      ...(key ? { "idempotency-key": key } : {}),
    },
    body: new URLSearchParams(body).toString(),
  });
  return {
    status: response.status,
    replayed: response.headers.get("idempotent-replayed"),
    body: (await response.json()) as Record<string, unknown>,
  };
}

const paidIntent = (amount = 1000, metadata: Record<string, string> = {}) =>
  s.stripe.paymentIntents.create({ amount, currency: "usd", payment_method: "pm_card_visa", confirm: true, metadata });

/** Polls `check` until it returns something, or fails after `ms`. */
async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(20);
  }
}

/** Some event objects (a few Stripe types) have no id: the event union needs telling. */
const objectIdOf = (e: Stripe.Event) => (e.data.object as { id?: string }).id;
const receivedFor = (type: string, objectId: string) => s.received.filter((e) => e.type === type && objectIdOf(e) === objectId);

describe("PaymentIntents", () => {
  it("create, update, confirm and retrieve", async () => {
    const created = await s.stripe.paymentIntents.create({ amount: 1234, currency: "usd", metadata: { order_id: "x-1" } });
    expect(created).toMatchObject({
      object: "payment_intent",
      amount: 1234,
      currency: "usd",
      status: "requires_payment_method",
      livemode: false,
    });
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
    const held = await s.stripe.paymentIntents.create({
      amount: 900,
      currency: "eur",
      payment_method: "pm_card_visa",
      confirm: true,
      capture_method: "manual",
    });
    expect(held).toMatchObject({ status: "requires_capture", amount_capturable: 900, amount_received: 0 });
    const captured = await s.stripe.paymentIntents.capture(held.id, { amount_to_capture: 700 });
    expect(captured).toMatchObject({ status: "succeeded", amount_received: 700 });
  });

  it("cancel, and refuse to cancel a succeeded intent", async () => {
    const open = await s.stripe.paymentIntents.create({ amount: 500, currency: "usd" });
    expect(await s.stripe.paymentIntents.cancel(open.id, { cancellation_reason: "abandoned" })).toMatchObject({
      status: "canceled",
      cancellation_reason: "abandoned",
    });
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
    const unknown = await s.stripe.paymentIntents
      .create({ amount: 100, currency: "usd", colour: "red" } as Stripe.PaymentIntentCreateParams)
      .catch((e: unknown) => e);
    expect(unknown).toMatchObject({ type: "StripeInvalidRequestError", param: "colour", code: "parameter_unknown" });
    const missing = await s.stripe.paymentIntents.create({ currency: "usd" } as Stripe.PaymentIntentCreateParams).catch((e: unknown) => e);
    expect(missing).toMatchObject({ param: "amount", code: "parameter_missing" });
    const badPm = await s.stripe.paymentIntents
      .create({ amount: 100, currency: "usd", payment_method: "pm_nope", confirm: true })
      .catch((e: unknown) => e);
    expect(badPm).toMatchObject({ param: "payment_method", code: "resource_missing" });
    const notFound = await s.stripe.paymentIntents.retrieve("pi_missing").catch((e: unknown) => e);
    expect(notFound).toMatchObject({ statusCode: 404, code: "resource_missing" });
  });

  it("takes its own key alone: another well-formed test key is refused, on Stripe's routes and its fault routes", async () => {
    const other = new Stripe("sk_test_someoneelse", { host: "127.0.0.1", port: s.standIn.port, protocol: "http", maxNetworkRetries: 0 });
    await expect(other.paymentIntents.list()).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    const planted = await fetch(`${s.standIn.url}/_stand_in/faults`, {
      method: "POST",
      headers: { authorization: "Bearer sk_test_someoneelse" },
      body: JSON.stringify({ kind: "status_500", times: 1 }),
    });
    expect(planted.status).toBe(401);
    expect((await fetch(`${s.standIn.url}/_stand_in/faults`)).status).toBe(401);
    expect(s.standIn.faults.pending()).toEqual([]);
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

describe("search", () => {
  it("finds PaymentIntents by metadata and status, newest first, in pages", async () => {
    const batch = freshTag();
    const paid = [];
    for (let i = 0; i < 3; i++) paid.push(await paidIntent(100 + i, { batch, n: String(i) }));
    const open = await s.stripe.paymentIntents.create({ amount: 100, currency: "usd", metadata: { batch } });
    const ids = (r: Stripe.ApiSearchResult<Stripe.PaymentIntent>) => r.data.map((i) => i.id);

    const all = await s.stripe.paymentIntents.search({ query: `metadata['batch']:'${batch}'` });
    expect(all).toMatchObject({ object: "search_result", url: "/v1/payment_intents/search", has_more: false, next_page: null });
    expect(ids(all)).toEqual([open.id, paid[2]!.id, paid[1]!.id, paid[0]!.id]);
    expect(all.data[0]).toEqual(open);

    const query = `metadata['batch']:'${batch}' and status:'succeeded'`;
    const first = await s.stripe.paymentIntents.search({ query, limit: 2 });
    expect(ids(first)).toEqual([paid[2]!.id, paid[1]!.id]);
    expect(first.has_more).toBe(true);
    expect(first.next_page).toEqual(expect.any(String));
    const rest = await s.stripe.paymentIntents.search({ query, limit: 2, page: first.next_page! });
    expect(ids(rest)).toEqual([paid[0]!.id]);
    expect(rest).toMatchObject({ has_more: false, next_page: null });
    // The SDK's auto-pagination follows next_page.
    expect((await s.stripe.paymentIntents.search({ query, limit: 1 }).autoPagingToArray({ limit: 10 })).map((i) => i.id)).toEqual(
      paid.map((i) => i.id).reverse(),
    );

    const quoted = await s.stripe.paymentIntents.search({ query: `  metadata["n"]:"1" AND metadata['batch']:'${batch}' ` });
    expect(ids(quoted)).toEqual([paid[1]!.id]);
    expect((await s.stripe.paymentIntents.search({ query: `metadata['batch']:'${batch}' AND status:'canceled'` })).data).toEqual([]);
  });

  it("refuses a query outside the supported subset with Stripe's 400 naming `query`", async () => {
    for (const query of [
      "amount>100",
      "status:succeeded",
      "metadata['a']:'b' OR status:'succeeded'",
      "-status:'succeeded'",
      "status:'succeeded' AND",
      "email~'a'",
      "",
    ]) {
      const error = await s.stripe.paymentIntents.search({ query }).catch((e: unknown) => e);
      expect(error, query).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error, query).toMatchObject({ statusCode: 400, param: "query", type: "StripeInvalidRequestError" });
    }
    await expect(s.stripe.paymentIntents.search({ query: "status:'succeeded'", limit: 101 })).rejects.toMatchObject({
      statusCode: 400,
      param: "limit",
    });
    await expect(s.stripe.paymentIntents.search({ query: "status:'succeeded'", page: "nonsense" })).rejects.toMatchObject({
      statusCode: 400,
      param: "page",
    });
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
    const { requestFingerprint } = await import("../lib/stripe/idempotency");
    const { parseForm } = await import("../lib/stripe/request-params");
    const { PaymentIntentCreate } = await import("../lib/stripe/request-params");
    await t.db.insert(idempotencyKeys).values({
      key,
      state: "in_flight",
      requestFingerprint: requestFingerprint(
        "POST",
        "/v1/payment_intents",
        PaymentIntentCreate.parse(parseForm(new URLSearchParams(body).toString())),
      ),
    });
    const conflict = await post("/v1/payment_intents", body, key);
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ error: { code: "idempotency_key_in_use" } });
    const viaSdk = await s.stripe.paymentIntents.create({ amount: 100, currency: "usd" }, { idempotencyKey: key }).catch((e: unknown) => e);
    expect(viaSdk).toMatchObject({ statusCode: 409 });
    // A claim abandoned by a crashed stand-in (older than 30 s) is taken over.
    await t.db
      .update(idempotencyKeys)
      .set({ createdAt: sql`now() - interval '31 seconds'` })
      .where(eq(idempotencyKeys.key, key));
    expect((await post("/v1/payment_intents", body, key)).status).toBe(200);
  });

  it("forgets keys after 24 hours", async () => {
    const key = freshKey();
    const first = await s.stripe.paymentIntents.create({ amount: 100, currency: "usd" }, { idempotencyKey: key });
    await t.db
      .update(idempotencyKeys)
      .set({ createdAt: sql`now() - interval '25 hours'` })
      .where(eq(idempotencyKeys.key, key));
    const second = await s.stripe.paymentIntents.create({ amount: 100, currency: "usd" }, { idempotencyKey: key });
    expect(second.id).not.toBe(first.id);
  });

  it("concurrent requests with one key create one object", async () => {
    const key = freshKey();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () =>
        s.stripe.paymentIntents.create(
          { amount: 100, currency: "usd", payment_method: "pm_card_visa", confirm: true },
          { idempotencyKey: key },
        ),
      ),
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

  it("charge.refunded carries the Charge: its intent, amounts and metadata", async () => {
    const paid = await paidIntent(1000, { order_id: "r-1" });
    await s.stripe.refunds.create({ payment_intent: paid.id, amount: 250 });
    const event = await s.waitForEvent((e) => e.type === "charge.refunded" && (e.data.object as Stripe.Charge).payment_intent === paid.id);
    expect(event.data.object).toMatchObject({
      object: "charge",
      id: paid.latest_charge,
      payment_intent: paid.id,
      amount: 1000,
      amount_refunded: 250,
      refunded: false,
      metadata: { order_id: "r-1" },
    });
  });

  it("refund_pending: created pending, then succeeded with refund.updated and charge.refunded", async () => {
    const paid = await paidIntent(1000, { order_id: "r-2" });
    s.standIn.faults.inject({ kind: "refund_pending" });
    const refund = await s.stripe.refunds.create({ payment_intent: paid.id, amount: 400 });
    expect(refund).toMatchObject({ object: "refund", status: "pending", amount: 400, payment_intent: paid.id, charge: paid.latest_charge });
    // A pending refund counts against what is left to refund.
    await expect(s.stripe.refunds.create({ payment_intent: paid.id, amount: 700 })).rejects.toMatchObject({ code: "amount_too_large" });
    expect((await s.waitForEvent((e) => e.type === "refund.created" && e.data.object.id === refund.id)).data.object).toMatchObject({
      status: "pending",
    });

    const updated = await s.waitForEvent((e) => e.type === "refund.updated" && e.data.object.id === refund.id);
    expect(updated.data.object).toMatchObject({
      object: "refund",
      id: refund.id,
      status: "succeeded",
      amount: 400,
      payment_intent: paid.id,
    });
    const charged = await s.waitForEvent(
      (e) => e.type === "charge.refunded" && (e.data.object as Stripe.Charge).payment_intent === paid.id,
    );
    expect(charged.data.object).toMatchObject({
      object: "charge",
      id: paid.latest_charge,
      amount: 1000,
      amount_refunded: 400,
      refunded: false,
      metadata: { order_id: "r-2" },
    });
    expect(s.received.indexOf(updated)).toBeLessThan(s.received.indexOf(charged));
    expect(await s.stripe.refunds.retrieve(refund.id)).toMatchObject({ status: "succeeded", amount: 400 });
  });

  it("refund_fails: created pending, then failed; the amount can be refunded again", async () => {
    const paid = await paidIntent(800);
    s.standIn.faults.inject({ kind: "refund_fails" });
    const refund = await s.stripe.refunds.create({ payment_intent: paid.id });
    expect(refund).toMatchObject({ status: "pending", amount: 800 });
    await expect(s.stripe.refunds.create({ payment_intent: paid.id })).rejects.toMatchObject({ code: "charge_already_refunded" });

    const failed = await s.waitForEvent((e) => e.type === "refund.failed" && e.data.object.id === refund.id);
    expect(failed.data.object).toMatchObject({
      object: "refund",
      status: "failed",
      failure_reason: "expired_or_canceled_card",
      amount: 800,
    });
    const updated = await s.waitForEvent((e) => e.type === "refund.updated" && e.data.object.id === refund.id);
    expect(updated.data.object).toMatchObject({ status: "failed", failure_reason: "expired_or_canceled_card" });
    const final = await s.stripe.refunds.retrieve(refund.id);
    expect(final).toMatchObject({ status: "failed", failure_reason: "expired_or_canceled_card" });
    expect(final.failure_balance_transaction).toMatch(/^txn_/);

    const again = await s.stripe.refunds.create({ payment_intent: paid.id });
    expect(again).toMatchObject({ status: "succeeded", amount: 800 });
    const charged = await s.waitForEvent(
      (e) => e.type === "charge.refunded" && (e.data.object as Stripe.Charge).payment_intent === paid.id,
    );
    expect(charged.data.object).toMatchObject({ amount_refunded: 800, refunded: true });
    expect(
      s.received.filter((e) => e.type === "charge.refunded" && (e.data.object as Stripe.Charge).payment_intent === paid.id),
    ).toHaveLength(1);
  });
});

describe("webhooks", () => {
  it("delivers signed events that constructEvent verifies, retrying a failing endpoint", async () => {
    // The receiver answered 500 to its first two deliveries; those events still arrive.
    const paid = await s.stripe.paymentIntents.create({
      amount: 4242,
      currency: "usd",
      payment_method: "pm_card_visa",
      confirm: true,
      metadata: { order_id: "w-1" },
    });
    const event = await s.waitForEvent((e) => e.type === "payment_intent.succeeded" && e.data.object.id === paid.id, 10_000);
    expect(event.data.object).toMatchObject({ id: paid.id, status: "succeeded", amount: 4242, metadata: { order_id: "w-1" } });
    expect(await s.stripe.events.retrieve(event.id)).toMatchObject({ id: event.id, type: "payment_intent.succeeded" });
    expect(s.received.filter((e) => e.type === "payment_intent.created").length).toBeGreaterThan(0);
  });

  it("a signature made with another secret does not verify", async () => {
    const payload = JSON.stringify({ id: "evt_1", object: "event" });
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: "whsec_other" });
    expect(() => Stripe.webhooks.constructEvent(payload, header, WEBHOOK_SECRET)).toThrow(Stripe.errors.StripeSignatureVerificationError);
  });
});

describe("webhook faults", () => {
  // Only events of this test: every earlier event has had its first delivery, the one faults apply to.
  beforeEach(async () => {
    await waitFor("first deliveries of earlier events", async () => {
      const [row] = await t.db
        .select({ n: count() })
        .from(webhookDeliveries)
        .where(and(isNull(webhookDeliveries.deliveredAt), eq(webhookDeliveries.attempts, 0), isNull(webhookDeliveries.lastError)));
      return row?.n === 0 ? true : undefined;
    });
  });

  it("webhook_drop: the event is marked delivered and never arrives", async () => {
    s.standIn.faults.inject({ kind: "webhook_drop", eventType: "payment_intent.succeeded" });
    const lost = await paidIntent();
    const next = await paidIntent();
    await s.waitForEvent((e) => e.type === "payment_intent.succeeded" && e.data.object.id === next.id);
    await s.standIn.flush();
    expect(receivedFor("payment_intent.succeeded", lost.id)).toEqual([]);
    expect(receivedFor("payment_intent.created", lost.id)).toHaveLength(1);
    // Stripe has the event and counts it delivered; it is lost for good.
    const events = await s.stripe.events.list({ type: "payment_intent.succeeded", limit: 20 });
    const event = events.data.find((e) => objectIdOf(e) === lost.id)!;
    const [delivery] = await t.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, event.id));
    expect(delivery).toMatchObject({ attempts: 0, deliveredAt: expect.any(Date) });
  });

  it("webhook_delay: the first send is held back, and a later event overtakes it", async () => {
    const started = Date.now();
    s.standIn.faults.inject({ kind: "webhook_delay", eventType: "payment_intent.succeeded", delayMs: 1_000 });
    const late = await paidIntent();
    const early = await paidIntent();
    await s.waitForEvent((e) => e.type === "payment_intent.succeeded" && e.data.object.id === late.id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    const order = s.received
      .filter((e) => e.type === "payment_intent.succeeded" && [late.id, early.id].includes(objectIdOf(e) ?? ""))
      .map(objectIdOf);
    expect(order).toEqual([early.id, late.id]);
  });

  it("webhook_duplicate: the same event arrives twice", async () => {
    s.standIn.faults.inject({ kind: "webhook_duplicate", eventType: "payment_intent.succeeded" });
    const twice = await paidIntent();
    const copies = await waitFor("two copies", () => {
      const got = receivedFor("payment_intent.succeeded", twice.id);
      return got.length >= 2 ? got : undefined;
    });
    expect(copies.map((e) => e.id)).toEqual([copies[0]!.id, copies[0]!.id]);
    // The fault is spent: the next event comes once.
    const once = await paidIntent();
    await s.waitForEvent((e) => e.type === "payment_intent.succeeded" && e.data.object.id === once.id);
    await s.standIn.flush();
    expect(receivedFor("payment_intent.succeeded", once.id)).toHaveLength(1);
    expect(receivedFor("payment_intent.succeeded", twice.id)).toHaveLength(2);
  });
});

describe("faults over HTTP", () => {
  it("takes fault plans from POST /_stand_in/faults and validates them", async () => {
    const bad = await fetch(`${s.standIn.url}/_stand_in/faults`, {
      method: "POST",
      headers: KEY_HEADER,
      body: JSON.stringify({ kind: "explode" }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/kind/);
    const ok = await fetch(`${s.standIn.url}/_stand_in/faults`, {
      method: "POST",
      headers: KEY_HEADER,
      body: JSON.stringify({ kind: "status_500", times: 1, path: "/v1/refunds" }),
    });
    expect(ok.status).toBe(201);
    const paid = await s.stripe.paymentIntents.create({ amount: 100, currency: "usd", payment_method: "pm_card_visa", confirm: true });
    await expect(s.stripe.refunds.create({ payment_intent: paid.id })).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    await expect(s.stripe.refunds.create({ payment_intent: paid.id })).resolves.toMatchObject({ status: "succeeded" });
  });

  it("keeps each family's fields and matching to itself", async () => {
    const inject = (body: unknown) =>
      fetch(`${s.standIn.url}/_stand_in/faults`, { method: "POST", headers: KEY_HEADER, body: JSON.stringify(body) });
    expect((await inject({ kind: "status_500", eventType: "payment_intent." })).status).toBe(400);
    expect((await inject({ kind: "webhook_drop", path: "/v1/refunds" })).status).toBe(400);
    // An event type the stand-in never sends, so that only an HTTP request could use the fault up.
    expect((await inject({ kind: "webhook_drop", eventType: "customer." })).status).toBe(201);
    s.standIn.faults.inject({ kind: "refund_fails" });
    // Neither is an HTTP fault: requests pass untouched, and both stay planned.
    await paidIntent();
    await s.stripe.paymentIntents.list({ limit: 1 });
    expect(s.standIn.faults.pending()).toEqual([
      { kind: "webhook_drop", eventType: "customer.", delayMs: 5_000, times: 1 },
      { kind: "refund_fails", times: 1 },
    ]);
  });

  it("status_401: Stripe's authentication error before anything runs", async () => {
    const batch = freshTag();
    s.standIn.faults.inject({ kind: "status_401", path: "/v1/payment_intents" });
    const error = await s.stripe.paymentIntents.create({ amount: 100, currency: "usd", metadata: { batch } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(error).toMatchObject({ statusCode: 401, message: "Invalid API Key provided: sk_test_****" });
    expect((await s.stripe.paymentIntents.search({ query: `metadata['batch']:'${batch}'` })).data).toEqual([]);
    s.standIn.faults.inject({ kind: "status_401", method: "ANY" });
    expect(await post("/v1/payment_intents", { amount: "100", currency: "usd" })).toEqual({
      status: 401,
      replayed: null,
      body: { error: { type: "invalid_request_error", message: "Invalid API Key provided: sk_test_****" } },
    });
    await expect(s.stripe.paymentIntents.create({ amount: 100, currency: "usd", metadata: { batch } })).resolves.toMatchObject({
      status: "requires_payment_method",
    });
  });

  it("slow_processing: the work happens after the client gave up; a retry gets 409, then the replay", async () => {
    const batch = freshTag();
    const key = freshKey();
    const params: Stripe.PaymentIntentCreateParams = {
      amount: 2500,
      currency: "usd",
      payment_method: "pm_card_visa",
      confirm: true,
      metadata: { batch },
    };
    s.standIn.faults.inject({ kind: "slow_processing", path: "/v1/payment_intents", hangMs: 1_500 });
    const impatient = new Stripe(STAND_IN_TEST_KEY, {
      host: "127.0.0.1",
      port: s.standIn.port,
      protocol: "http",
      maxNetworkRetries: 0,
      timeout: 300,
    });
    await expect(impatient.paymentIntents.create(params, { idempotencyKey: key })).rejects.toBeInstanceOf(
      Stripe.errors.StripeConnectionError,
    );

    const conflicts: unknown[] = [];
    const intent = await waitFor("the replayed result", async () => {
      try {
        return await s.stripe.paymentIntents.create(params, { idempotencyKey: key });
      } catch (error) {
        conflicts.push(error);
        await sleep(200);
        return undefined;
      }
    });
    // The first retry came while the slow request still held the key.
    expect(conflicts.length).toBeGreaterThan(0);
    for (const error of conflicts) expect(error).toMatchObject({ statusCode: 409, code: "idempotency_key_in_use" });
    expect(intent.lastResponse.headers["idempotent-replayed"]).toBe("true");
    expect(intent).toMatchObject({ status: "succeeded", amount: 2500 });
    expect((await s.stripe.paymentIntents.search({ query: `metadata['batch']:'${batch}'` })).data.map((i) => i.id)).toEqual([intent.id]);
  });
});

describe("persistence", () => {
  it("a restarted stand-in on the same database knows its objects and keys", async () => {
    const key = freshKey();
    const paid = await s.stripe.paymentIntents.create(
      { amount: 321, currency: "usd", payment_method: "pm_card_visa", confirm: true },
      { idempotencyKey: key },
    );
    const second = await startStripeStandIn({
      databaseUrl: t.url,
      port: 0,
      apiKey: STAND_IN_TEST_KEY,
      webhook: { url: undefined, secret: WEBHOOK_SECRET },
    });
    try {
      const client = new Stripe(STAND_IN_TEST_KEY, { host: "127.0.0.1", port: second.port, protocol: "http", maxNetworkRetries: 0 });
      expect(await client.paymentIntents.retrieve(paid.id)).toEqual(paid);
      const replay = await client.paymentIntents.create(
        { amount: 321, currency: "usd", payment_method: "pm_card_visa", confirm: true },
        { idempotencyKey: key },
      );
      expect(replay.id).toBe(paid.id);
    } finally {
      await second.close();
    }
  });
});
