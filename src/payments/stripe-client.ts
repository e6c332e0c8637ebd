// The real `stripe` SDK, pointed at real Stripe (STRIPE_SECRET_KEY set) or at the local stand-in.
import Stripe from "stripe";
import { LOCALHOST, type Config } from "../config";

export type StripeClient = Stripe;

export function createStripeClient(stripe: Config["stripe"]): Stripe {
  const client = new Stripe(stripe.secretKey, {
    // Retrying is the job's decision (Trigger.dev's backoff, visible in the run), always with the same
    // idempotency key; the SDK's own retries would hide it.
    maxNetworkRetries: 0,
    timeout: stripe.timeoutMs,
    telemetry: false,
    ...(stripe.useStandIn ? { host: LOCALHOST, port: stripe.standInPort, protocol: "http" as const } : {}),
  });
  formatStripeErrorStacksPlainly();
  return withoutCallSiteStacks(client);
}

/** The stack formatters this module installed (so a second client does not wrap its own). */
const plainFormatters = new WeakSet<object>();

/**
 * When a request fails (a declined card), the SDK reads its error's stack to append the caller's frames, and a
 * Trigger.dev worker's source-map support then parses the maps of the bundle chunk the SDK is in: about 26 MB kept
 * for the life of the task process, per process that ever saw a decline. A decline is an answer, not a bug to
 * trace through our sources: a Stripe error's frames are formatted as V8 formats them (bundle positions), every
 * other error's by whatever formatter was installed before.
 */
function formatStripeErrorStacksPlainly(): void {
  const installed = Error.prepareStackTrace;
  if (installed === undefined || plainFormatters.has(installed)) return; // V8's own format is plain already
  const formatter = (error: Error, sites: NodeJS.CallSite[]): unknown =>
    error instanceof Stripe.errors.StripeError
      ? [String(error), ...sites.map((site) => `    at ${site}`)].join("\n")
      : installed(error, sites);
  plainFormatters.add(formatter);
  Error.prepareStackTrace = formatter;
}

/**
 * The SDK captures a stack trace on every request (`new Error().stack`), to append the caller's frames to the
 * request's failure, if it fails. A Trigger.dev worker source-maps every stack it formats: the first one parses
 * the maps of the bundle's chunks on the stack, about 45 MB kept for the life of each task process (npm run
 * bench: 6 warm processes), and every later one maps its frames again. The methods of the client's top-level API
 * resources (paymentIntents, refunds…) run with no frames captured instead; namespaced ones (`checkout.sessions`)
 * and the later pages of an auto-paginated list are left as they are, and none is used here. What a failure loses:
 * the caller's frames after its "Originating from:" line (it reads just "Error"), and the stack of an error the SDK
 * makes before the request is sent (a refused argument). Its type, code and message are untouched.
 */
function withoutCallSiteStacks(client: Stripe): Stripe {
  const resources = new Map<PropertyKey, unknown>();
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      // API resources only (paymentIntents, refunds…): `errors`, `webhooks` and the rest stay as they are.
      if (!(value instanceof Stripe.StripeResource)) return value;
      if (!resources.has(property)) resources.set(property, resourceWithoutCallSiteStacks(value));
      return resources.get(property);
    },
  });
}

function resourceWithoutCallSiteStacks<T extends object>(resource: T): T {
  return new Proxy(resource, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
          return Reflect.apply(value, target, args);
        } finally {
          Error.stackTraceLimit = limit;
        }
      };
    },
  });
}
