// The app's GET /metrics (issue 15): values read from the database after a known set of orders, payments,
// mails and a webhook; the app's token required.
import { afterAll, beforeAll, expect, it } from "vitest";
import { notifications, payments } from "../../db/schema";
import { loadConfig } from "../../src/config";
import { createAppServer } from "../../src/http/app-server";
import { recordOrderEvent } from "../../src/orders/order-status";
import { createStripeClient } from "../../src/payments/stripe-client";
import { placeOrder, stock } from "../support/orders";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const TOKEN = "app-token-for-the-metrics-test";
const WEBHOOK_SECRET = "whsec_metrics_test";
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t.close());

const app = () =>
  createAppServer({
    db: t.db,
    stripe: createStripeClient(loadConfig({}).stripe),
    stripeWebhookSecret: WEBHOOK_SECRET,
    bodyLimitBytes: 1024 * 1024,
    apiToken: TOKEN,
    triggerApiUrl: "http://127.0.0.1:3030",
  });

/** One sample's value: `name{labels}` with exactly these labels (or none). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(",");
  const line = text.split("\n").find((l) => l.startsWith(wanted ? `${name}{${wanted}} ` : `${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

it("reports orders by status, payments by outcome and failure code, stock per SKU, mails, latency and webhooks", async () => {
  await stock(t.db, { "MET-A": 5, "MET-B": 2 });
  const confirmed = await placeOrder(t.db, "met-1", { "MET-A": 1 });
  await placeOrder(t.db, "met-2", { "MET-B": 1 });
  await t.db.insert(payments).values([
    { orderId: confirmed.id, kind: "charge", idempotencyKey: "met-1-charge", amountCents: 1000, currency: "usd", status: "succeeded" },
    {
      orderId: "met-2",
      kind: "charge",
      idempotencyKey: "met-2-charge",
      amountCents: 1000,
      currency: "usd",
      status: "failed",
      failureCode: "card_declined",
    },
  ]);
  await t.db
    .insert(notifications)
    .values({ orderId: confirmed.id, kind: "confirmation", status: "sent", messageId: "<met-1>", recipient: "a@example.com" });
  await recordOrderEvent(t.db, confirmed.id, "mail.confirmation.sent", {});
  // A webhook with a bad signature, counted as such.
  const server = app();
  const webhook = await server.request("/api/stripe/webhook", {
    method: "POST",
    body: "{}",
    headers: { "stripe-signature": "t=1,v1=bad" },
  });
  expect(webhook.status).toBe(400);

  const answer = await server.request("/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(answer.status).toBe(200);
  const text = await answer.text();
  expect(sample(text, "orders", { status: "pending" })).toBe(2);
  expect(sample(text, "orders_payments", { kind: "charge", status: "succeeded", failure_code: "" })).toBe(1);
  expect(sample(text, "orders_payments", { kind: "charge", status: "failed", failure_code: "card_declined" })).toBe(1);
  expect(sample(text, "orders_stock_available", { sku: "MET-A" })).toBe(5);
  expect(sample(text, "orders_mails", { kind: "confirmation", status: "sent" })).toBe(1);
  expect(sample(text, "orders_latency_seconds_count")).toBe(1);
  expect(sample(text, "orders_stripe_webhooks_total", { type: "unknown", outcome: "bad_signature" })).toBe(1);
});

it("needs the app's token", async () => {
  expect((await app().request("/metrics")).status).toBe(401);
  expect((await app().request("/metrics", { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
});
