// The Stripe stand-in for a test file (local-stand-ins/testing), with a webhook receiver that verifies every delivery the way an
// app would (stripe.webhooks.constructEvent) and keeps the events.
import { Hono } from "hono";
import Stripe from "stripe";
import { listen } from "local-trigger/listen";
import { startStripeStandIn } from "../stripe/stripe-stand-in";

export const WEBHOOK_SECRET = "whsec_test_secret";
export const STAND_IN_TEST_KEY = "sk_test_stand_in_tests";

export async function startStripeForTest(databaseUrl: string, options: { processingDelayMs?: number; failFirstDeliveries?: number } = {}) {
  const received: Stripe.Event[] = [];
  let failuresLeft = options.failFirstDeliveries ?? 0;
  const receiver = new Hono().post("/webhook", async (c) => {
    if (failuresLeft > 0) {
      failuresLeft--;
      return c.text("not now", 500);
    }
    const payload = await c.req.text();
    try {
      received.push(Stripe.webhooks.constructEvent(payload, c.req.header("stripe-signature") ?? "", WEBHOOK_SECRET));
    } catch (error) {
      return c.text(String(error), 400);
    }
    return c.json({ received: true });
  });
  const hook = await listen(receiver, { port: 0, name: "test webhook receiver", portVariable: "-" });
  const standIn = await startStripeStandIn({
    databaseUrl,
    port: 0,
    apiKey: STAND_IN_TEST_KEY,
    webhook: { url: `${hook.url}/webhook`, secret: WEBHOOK_SECRET },
    processingDelayMs: options.processingDelayMs ?? 200,
    tickMs: 20,
  });
  // The `stripe` SDK pointed at the stand-in, as an app would configure it.
  const stripe = new Stripe(STAND_IN_TEST_KEY, { host: "127.0.0.1", port: standIn.port, protocol: "http", maxNetworkRetries: 0 });
  return {
    standIn,
    stripe,
    received,
    /** Waits until a delivered event matches, or fails after `ms`. */
    async waitForEvent(match: (e: Stripe.Event) => boolean, ms = 5_000): Promise<Stripe.Event> {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = received.find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching webhook within ${ms} ms; got ${received.map((e) => e.type).join(", ")}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      await standIn.close();
      await hook.close();
    },
  };
}

export type StripeForTest = Awaited<ReturnType<typeof startStripeForTest>>;
