// What a failed Stripe call tells us about the money. Two answers only: Stripe said the request did
// nothing (a card decline, a request it refused as invalid), or we do not know (network, 5xx, 429, a
// concurrent request with the key in flight, a key Stripe would not accept). The first is final; the
// second is never called a failure: it is asked again, of Stripe, until known.
import Stripe from "stripe";

/** Stripe's answer proves that this request moved no money. `code` is Stripe's decline_code or code. */
export type NothingCharged = { kind: "nothing_charged"; code: string; message: string; intentId: string | null };

/** The outcome is not known (yet): retry with the same key, or look the object up at Stripe. */
export class PaymentRetryableError extends Error {
  override name = "PaymentRetryableError";
  constructor(
    readonly orderId: string,
    message: string,
    readonly statusCode?: number,
    readonly code?: string,
  ) {
    super(`Payment for order ${orderId}: outcome unknown${statusCode ? ` (HTTP ${statusCode})` : ""}: ${message}`);
  }
}

/** Stripe's codes for refusals that never leave money moved (its idempotency layer stores no result). */
const REFUSED_NOTHING_DONE = (error: Stripe.errors.StripeError) =>
  error instanceof Stripe.errors.StripeInvalidRequestError &&
  error.code !== "idempotency_error" &&
  (error.statusCode === 400 || error.statusCode === 404);

/** Maps any error from a Stripe call that would move money to "nothing charged" or "unknown". */
export function classifyStripeError(orderId: string, error: unknown): NothingCharged | PaymentRetryableError {
  if (error instanceof Stripe.errors.StripeCardError) {
    return {
      kind: "nothing_charged",
      code: error.decline_code || error.code || "card_declined",
      message: error.message,
      intentId: intentIdOf(error),
    };
  }
  if (error instanceof Stripe.errors.StripeError) {
    if (REFUSED_NOTHING_DONE(error))
      return { kind: "nothing_charged", code: error.code ?? "invalid_request", message: error.message, intentId: intentIdOf(error) };
    return new PaymentRetryableError(orderId, error.message, error.statusCode, error.code ?? error.rawType ?? error.type);
  }
  return new PaymentRetryableError(orderId, error instanceof Error ? error.message : String(error));
}

function intentIdOf(error: Stripe.errors.StripeError): string | null {
  return error.payment_intent?.id ?? null;
}
