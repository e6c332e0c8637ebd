// The real `stripe` SDK, pointed at real Stripe (STRIPE_SECRET_KEY set) or at the local stand-in.
import Stripe from "stripe";
import { LOCALHOST, type Config } from "../config";

export type StripeClient = Stripe;

export function createStripeClient(stripe: Config["stripe"]): Stripe {
  return new Stripe(stripe.secretKey, {
    // Retrying is the job's decision (Trigger.dev's backoff, visible in the run), always with the same
    // idempotency key; the SDK's own retries would hide it.
    maxNetworkRetries: 0,
    timeout: stripe.timeoutMs,
    telemetry: false,
    ...(stripe.useStandIn ? { host: LOCALHOST, port: stripe.standInPort, protocol: "http" as const } : {}),
  });
}
