// What the dashboard's Test page offers to trigger each task with: a fresh order.created for
// process-order (a new order id each time, so each test is its own order), and the shapes of the others.
import type { OrderCreatedInput } from "./order-created";

export function exampleTaskPayloads(): Record<string, unknown> {
  const orderId = `ord-test-${Date.now().toString(36)}`;
  const order: OrderCreatedInput = {
    id: orderId,
    customer: { email: "ada@example.com", name: "Ada Lovelace" },
    lines: [
      { sku: "MUG-LOGO", quantity: 1 },
      { sku: "STICKER-PACK", quantity: 2 },
    ],
    currency: "usd",
    paymentMethod: "pm_card_visa",
  };
  return {
    "process-order": order,
    "cancel-order": { id: "ord-…", reason: "customer asked" },
    "reserve-inventory": { orderId: "ord-…" },
    "charge-payment": { orderId: "ord-…" },
    "send-notification": { orderId: "ord-…", kind: "confirmation" },
    "order-reminder": { orderId: "ord-…" },
  };
}
