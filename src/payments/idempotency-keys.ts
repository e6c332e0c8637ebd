// Stripe Idempotency-Keys and metadata derived from the order and this install, never random: every retry,
// replay or duplicate of a step for one order sends the same key, so Stripe performs the operation once.
// A payments row keeps the key it was opened with; these make the key of a new row.
export const chargeKey = (namespace: string, orderId: string) => `${namespace}-order-${orderId}-charge`;
/** The n-th refund of an order's charge (a refund Stripe fails is followed by a new one). */
export const refundKey = (namespace: string, orderId: string, attempt: number) =>
  `${namespace}-order-${orderId}-refund${attempt > 1 ? `-${attempt}` : ""}`;

/** Metadata on every PaymentIntent and Refund we create: how Stripe's records are traced back to ours. */
export const stripeMetadata = (namespace: string, orderId: string) => ({ order_id: orderId, install: namespace });
export type StripeMetadata = ReturnType<typeof stripeMetadata>;
