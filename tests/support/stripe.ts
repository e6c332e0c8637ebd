// The Stripe stand-in for a test file (local-stand-ins/testing), with the app's own Stripe client pointed at it.
import { STAND_IN_TEST_KEY, startStripeForTest as startStandInForTest, WEBHOOK_SECRET } from "local-stand-ins/testing";
import { loadConfig } from "../../src/config";
import { createStripeClient } from "../../src/payments/stripe-client";

export { WEBHOOK_SECRET };

export async function startStripeForTest(databaseUrl: string, options: Parameters<typeof startStandInForTest>[1] = {}) {
  const started = await startStandInForTest(databaseUrl, options);
  return {
    ...started,
    stripe: createStripeClient(
      loadConfig({ STRIPE_FAKE_PORT: String(started.standIn.port), STRIPE_STAND_IN_KEY: STAND_IN_TEST_KEY }).stripe,
    ),
  };
}

export type StripeForTest = Awaited<ReturnType<typeof startStripeForTest>>;
