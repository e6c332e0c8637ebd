// The order.cancelled event: the customer (or support) withdraws an order.
import { z } from "zod";
import { orderId } from "./order-created";

export const OrderCancelled = z.strictObject({
  id: orderId,
  reason: z.string().trim().min(1).max(500, "must be at most 500 characters").default("requested by customer"),
});

export type OrderCancelledEvent = z.output<typeof OrderCancelled>;
