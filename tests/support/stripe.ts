// The Stripe stand-in for a test file (local-stand-ins/testing), with the app's own Stripe client pointed at it.
import { startStripeForTest as startStandInForTest, WEBHOOK_SECRET } from "local-stand-ins/testing";
import { loadConfig } from "../../src/config";
import { createStripeClient } from "../../src/payments/stripe-client";

export { WEBHOOK_SECRET };

export async function startStripeForTest(databaseUrl: string, options: Parameters<typeof startStandInForTest>[1] = {}) {
  const started = await startStandInForTest(databaseUrl, options);
  return { ...started, stripe: createStripeClient(loadConfig({ STRIPE_FAKE_PORT: String(started.standIn.port) }).stripe) };
}

export type StripeForTest = Awaited<ReturnType<typeof startStripeForTest>>;
