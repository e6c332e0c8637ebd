// Every server refuses a body over its limit before reading it whole, with a 413 that names the limit and
// the setting, and writes nothing: the app, the platform (its API and OTLP alike), the Stripe stand-in, and the
// mail catcher (an oversized message is refused at DATA, not stored).
import http from "node:http";
import { count } from "drizzle-orm";
import { listen } from "local-trigger/listen";
import { STAND_IN_TEST_KEY } from "local-stand-ins/testing";
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

/** Streams `bytes` of JSON-ish padding (chunked, no Content-Length) from one reused buffer, as a client that
 *  does not know its size would; the status, or 0 when the server cut the connection first. */
function streamBody(url: string, bytes: number, authorization: string): Promise<number> {
  const chunk = Buffer.alloc(MB, "x");
  return new Promise((resolve) => {
    const request = http.request(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization,
        "transfer-encoding": "chunked",
      },
    });
    let answered = false;
    request.on("response", (response) => {
      answered = true;
      response.resume();
      resolve(response.statusCode ?? 0);
      request.destroy();
    });
    request.on("error", () => {
      if (!answered) resolve(0);
    });
    let sent = 0;
    const write = () => {
      while (!answered && sent < bytes) {
        sent += chunk.length;
        if (!request.write(chunk)) return void request.once("drain", write);
      }
      if (!answered) request.end();
    };
    write();
  });
}
const big = (bytes: number) => JSON.stringify({ padding: "x".repeat(bytes) });
/** A platform on the test database whose body limit is 1 MB. */
const platformWithLimit = (defaultProjectRef: string) =>
  startPlatform({
    databaseUrl: t.url,
    port: 0,
    options: {
      defaultProjectRef,
      dequeue: { holdMs: 0, intervalWithRunMs: 0, intervalWithoutRunMs: 50, maxConcurrentRuns: 5 },
      heartbeatTimeoutMs: 30_000,
      defaultMaxAttempts: 3,
      taskEnvironment: {},
      bodyLimitBytes: 1 * MB,
    },
  });

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
      triggerApiUrl: "http://127.0.0.1:3030",
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
    const platform = await platformWithLimit("proj_limits");
    try {
      for (const path of ["/api/v1/tasks/anything/trigger", "/otel/v1/traces"]) {
        const response = await fetch(`${platform.url}${path}`, {
          method: "POST",
          headers: { authorization: `Bearer ${platform.secretKey}`, "content-type": "application/json" },
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

  it("a chunked body (as the OTLP exporters send theirs) is counted as it is read: whole under the limit, 413 over it", async () => {
    const platform = await platformWithLimit("proj_limitschunked");
    try {
      const post = (body: string) =>
        new Promise<{ status: number; text: string }>((resolve, reject) => {
          const request = http.request(`${platform.url}/otel/v1/logs`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${platform.secretKey}`, "transfer-encoding": "chunked" },
          });
          request.on("response", (response) => {
            let text = "";
            response.setEncoding("utf8");
            response.on("data", (part: string) => (text += part));
            response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
          });
          request.on("error", reject);
          // In pieces, so the server sees more than one chunk.
          for (let at = 0; at < body.length; at += 64 * 1024) request.write(body.slice(at, at + 64 * 1024));
          request.end();
        });
      // Just under 1 MB, in 16 chunks: read whole and parsed (JSON cut short would be a 400), down to the
      // malformed record at its very end.
      const padding = { body: { stringValue: "x".repeat(1_000_000) }, attributes: [] };
      const under = await post(
        JSON.stringify({ resourceLogs: [{ resource: { attributes: [] }, scopeLogs: [{ logRecords: [padding, 42] }] }] }),
      );
      expect(under.status, under.text).toBe(200);
      expect(JSON.parse(under.text)).toMatchObject({ partialSuccess: { rejectedLogRecords: 1 } });
      const over = await post(big(1.5 * MB));
      expect(over.status).toBe(413);
      expect(JSON.parse(over.text)).toEqual({ error: "The request body is over the platform's limit of 1 MB (PLATFORM_BODY_LIMIT_MB)" });
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

  it("memory stays flat: 64 MB bodies streamed to each server are cut off at the limit, never read whole", async () => {
    const platform = await platformWithLimit("proj_limitsmemory");
    const app = await listen(
      createAppServer({
        db: t.db,
        stripe: createStripeClient(loadConfig({}).stripe),
        stripeWebhookSecret: "whsec_x",
        bodyLimitBytes: 1 * MB,
        apiToken: "app-token-for-the-body-limit-test",
        triggerApiUrl: "http://127.0.0.1:3030",
      }),
      { port: 0, name: "the app", portVariable: "-" },
    );
    // Each with its own credentials, so that what stops the body is its size.
    const targets: [string, string][] = [
      [`${platform.url}/otel/v1/traces`, `Bearer ${platform.secretKey}`],
      [`${platform.url}/api/v1/tasks/anything/trigger`, `Bearer ${platform.secretKey}`],
      [`${app.url}/api/events/order.created`, "Bearer app-token-for-the-body-limit-test"],
      [`${s.standIn.url}/v1/payment_intents`, `Bearer ${STAND_IN_TEST_KEY}`],
    ];
    try {
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
      const statuses: number[] = [];
      for (let round = 0; round < 3; round++) {
        for (const [url, authorization] of targets) statuses.push(await streamBody(url, 64 * MB, authorization));
      }
      clearInterval(sampler);
      const grewMb = Math.round((peak - baseline) / MB);
      console.log(`body limits: 12 bodies of 64 MB streamed (768 MB); the process's memory peaked ${grewMb} MB above its start`);
      // Every body was refused (413, or the connection cut once the limit was passed)…
      expect(
        statuses.every((status) => status === 413 || status === 0),
        statuses.join(","),
      ).toBe(true);
      // …and not one was held whole: a server that read them would have grown by 64 MB at least.
      expect(grewMb).toBeLessThan(48);
      expect((await t.db.select({ n: count() }).from(orders))[0]!.n).toBe(0);
    } finally {
      await app.close();
      await platform.close();
    }
  }, 120_000);

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
