// Stripe Idempotency-Keys derived from the order, never random: every retry, replay or duplicate of a
// step for one order sends the same key, so Stripe performs the operation once.
export const chargeKey = (orderId: string) => `order-${orderId}-charge`;
export const refundKey = (orderId: string) => `order-${orderId}-refund`;
/** The wait token a "processing" charge waits on and the Stripe webhook completes (jobs/charge-payment.ts). */
export const paymentSettledTokenKey = (orderId: string) => `payment-settled-${orderId}`;
