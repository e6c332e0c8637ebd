// Every server refuses a body over its limit before reading it whole, with a 413 that names the limit and
// the setting, and writes nothing: the app, the platform (its API and OTLP alike), the Stripe stand-in, and the
// mail catcher (an oversized message is refused at DATA, not stored).
import { count } from "drizzle-orm";
import { startPlatform } from "local-trigger";
import { caughtMessages } from "local-stand-ins/schema";
import { startMailCatcher } from "local-stand-ins/smtp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orders } from "../../db/schema";
import { createAppServer } from "../../src/http/app-server";
import { createMailTransport } from "../../src/mail/mail-transport";
import { createStripeClient } from "../../src/payments/stripe-client";
import { loadConfig } from "../../src/config";
import { startStripeForTest, type StripeForTest } from "../support/stripe";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const MB = 1024 * 1024;
const big = (bytes: number) => JSON.stringify({ padding: "x".repeat(bytes) });
let t: TestDatabase;
let s: StripeForTest;
beforeAll(async () => {
  t = await createTestDatabase();
  s = await startStripeForTest(t.url);
});
afterAll(async () => {
  await s.close();
  await t.close();
});

describe("a body over the limit is refused with 413, naming the limit and the setting, and nothing is written", () => {
  it("the app", async () => {
    const app = createAppServer({
      db: t.db,
      stripe: createStripeClient(loadConfig({}).stripe),
      stripeWebhookSecret: "whsec_x",
      bodyLimitBytes: 1 * MB,
      apiToken: "app-token-for-the-body-limit-test",
    });
    const response = await app.request("/api/events/order.created", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer app-token-for-the-body-limit-test" },
      body: big(2 * MB),
    });
    expect(response.status).toBe(413);
    expect((await response.json()) as unknown).toEqual({ error: "The request body is over the app's limit of 1 MB (APP_BODY_LIMIT_MB)" });
    expect((await t.db.select({ n: count() }).from(orders))[0]!.n).toBe(0);
  });

  it("the platform: its API and its OTLP endpoint", async () => {
    const platform = await startPlatform({
      databaseUrl: t.url,
      port: 0,
      options: {
        secretKey: "tr_dev_limits",
        defaultProjectRef: "proj_limits",
        dequeue: { holdMs: 0, intervalWithRunMs: 0, intervalWithoutRunMs: 50, maxConcurrentRuns: 5 },
        heartbeatTimeoutMs: 30_000,
        defaultMaxAttempts: 3,
        taskEnvironment: {},
        bodyLimitBytes: 1 * MB,
      },
    });
    try {
      for (const path of ["/api/v1/tasks/anything/trigger", "/otel/v1/traces"]) {
        const response = await fetch(`${platform.url}${path}`, {
          method: "POST",
          headers: { authorization: "Bearer tr_dev_limits", "content-type": "application/json" },
          body: big(2 * MB),
        });
        expect(response.status, path).toBe(413);
        expect(((await response.json()) as { error: string }).error).toBe(
          "The request body is over the platform's limit of 1 MB (PLATFORM_BODY_LIMIT_MB)",
        );
      }
    } finally {
      await platform.close();
    }
  });

  it("the Stripe stand-in", async () => {
    const response = await fetch(`http://127.0.0.1:${s.standIn.port}/v1/payment_intents`, {
      method: "POST",
      headers: { authorization: "Bearer sk_test_limits", "content-type": "application/x-www-form-urlencoded" },
      body: `amount=100&currency=usd&metadata[pad]=${"x".repeat(2 * MB)}`,
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: string }).error).toMatch(/over the Stripe stand-in's limit of 1 MB/);
  });

  it("the mail catcher refuses an oversized message at DATA and stores nothing", async () => {
    const catcher = await startMailCatcher({ databaseUrl: t.url, port: 0 });
    const transport = createMailTransport(catcher.url);
    try {
      await expect(
        transport.sendMail({ from: "a@example.com", to: "b@example.com", subject: "huge", text: "x".repeat(11 * MB) }),
      ).rejects.toThrow(/552|size/i);
      expect((await t.db.select({ n: count() }).from(caughtMessages))[0]!.n).toBe(0);
    } finally {
      transport.close();
      await catcher.close();
    }
  });
});
