// An order's progress as its workflow run tells it in run metadata ({step, percent, ending?}): the steps in
// order, and how an order ends other than confirmed (the ending, set beside the step it stopped at). process-order writes it; the shopper's status page
// (src/storefront) reads it over Trigger.dev's realtime feed. Defined once here for both.
export const ORDER_STEPS = [
  { step: "accepting", percent: 5, label: "Order received" },
  { step: "reserving", percent: 20, label: "Reserving your items" },
  { step: "charging", percent: 45, label: "Charging your card" },
  // Only some payments wait for the bank (3-D Secure, processing): the page shows it once it happens.
  { step: "waiting for the bank", percent: 50, label: "Waiting for your bank", optional: true },
  { step: "committing stock", percent: 70, label: "Setting your items aside" },
  { step: "confirming", percent: 85, label: "Sending your confirmation" },
  { step: "completed", percent: 100, label: "Confirmed" },
] as const;

export type OrderStep = (typeof ORDER_STEPS)[number]["step"];

/** How an order ends when it is not confirmed, as the shopper is told. */
export const ORDER_ENDINGS = {
  out_of_stock: "Some items are out of stock, so the order was not placed. You have not been charged.",
  not_charged: "Your card was not charged, so the order was not placed.",
  cancelled: "The order was cancelled. Anything charged is refunded.",
  payment_unknown: "Your bank has not answered yet. We will confirm the order as soon as it does.",
} as const;

export type OrderEnding = keyof typeof ORDER_ENDINGS;

/** The run metadata of an order's workflow. */
export type OrderProgress = { step: OrderStep; percent: number; ending?: { kind: OrderEnding; reason?: string } };

/** The progress at a step (its percent as listed). */
export function progressAt(step: OrderStep): OrderProgress {
  return { step, percent: ORDER_STEPS.find((s) => s.step === step)!.percent };
}
