// What a failed Stripe call means for the workflow: final (a decline, a bad request) or worth retrying
// with the same idempotency key (network, 5xx, 429, a concurrent request with the key in flight).
import Stripe from "stripe";

/** The card was declined. Final: retrying the same PaymentIntent key replays the same decline. */
export class PaymentDeclinedError extends Error {
  override name = "PaymentDeclinedError";
  constructor(
    readonly orderId: string,
    /** Stripe's decline_code when it has one (insufficient_funds, lost_card, …), else its error code. */
    readonly code: string,
    message: string,
  ) {
    super(`Payment for order ${orderId} declined (${code}): ${message}`);
  }
}

/** A transient failure: the charge may or may not have happened; retry with the same key to find out. */
export class PaymentRetryableError extends Error {
  override name = "PaymentRetryableError";
  constructor(
    readonly orderId: string,
    message: string,
    readonly statusCode?: number,
  ) {
    super(`Payment for order ${orderId} hit a transient error${statusCode ? ` (HTTP ${statusCode})` : ""}: ${message}`);
  }
}

/** Stripe refused the request itself (bad parameters, an idempotency key reused with other parameters, auth). */
export class PaymentRejectedError extends Error {
  override name = "PaymentRejectedError";
  constructor(
    readonly orderId: string,
    readonly code: string,
    message: string,
  ) {
    super(`Stripe rejected the request for order ${orderId} (${code}): ${message}`);
  }
}

/** Maps any error from a Stripe call to one of the three above. */
export function classifyStripeError(orderId: string, error: unknown): PaymentDeclinedError | PaymentRetryableError | PaymentRejectedError {
  if (error instanceof Stripe.errors.StripeCardError) {
    return new PaymentDeclinedError(orderId, error.decline_code || error.code || "card_declined", error.message);
  }
  if (error instanceof Stripe.errors.StripeError) {
    const status = error.statusCode;
    const transient =
      error instanceof Stripe.errors.StripeConnectionError ||
      error instanceof Stripe.errors.StripeRateLimitError ||
      error instanceof Stripe.errors.StripeAPIError ||
      status === undefined ||
      status === 409 || // idempotency_key_in_use: the first request with this key is still running
      status === 429 ||
      status >= 500;
    if (transient) return new PaymentRetryableError(orderId, error.message, status);
    return new PaymentRejectedError(orderId, error.code ?? error.rawType ?? error.type, error.message);
  }
  return new PaymentRetryableError(orderId, error instanceof Error ? error.message : String(error));
}
