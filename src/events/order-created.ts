// The order.created event: what a shop front sends when a customer checks out. Prices are not part of it:
// they come from the catalog, so a client cannot set its own price.
import { z } from "zod";

export const ORDER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const orderId = z
  .string({ error: "must be a string" })
  .regex(ORDER_ID_PATTERN, "must be 1-64 letters, digits, '_' or '-', starting with a letter or digit");

export const OrderLine = z.strictObject({
  sku: z.string({ error: "must be a string" }).regex(/^[A-Z0-9][A-Z0-9_-]{0,63}$/, "must be an upper-case SKU like MUG-LOGO"),
  quantity: z
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(1000, "must be at most 1000"),
});

export const OrderCreated = z.strictObject({
  id: orderId,
  customer: z.strictObject({
    email: z.email({ error: "must be an e-mail address" }).max(254, "must be at most 254 characters"),
    name: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters").optional(),
  }),
  lines: z
    .array(OrderLine, { error: "must be a list of {sku, quantity}" })
    .min(1, "must have at least one line")
    .max(50, "must have at most 50 lines")
    .superRefine((lines, ctx) => {
      const seen = new Set<string>();
      lines.forEach((line, index) => {
        if (seen.has(line.sku)) {
          ctx.addIssue({ code: "custom", path: [index, "sku"], message: `${line.sku} appears twice; put the total in one line` });
        }
        seen.add(line.sku);
      });
    }),
  currency: z.string({ error: "must be a string" }).regex(/^[a-z]{3}$/, "must be a lower-case ISO 4217 code like usd"),
  /** A Stripe PaymentMethod id; test ones like pm_card_chargeDeclined drive the failure paths. */
  paymentMethod: z
    .string()
    .regex(/^pm_[A-Za-z0-9_]+$/, "must be a Stripe PaymentMethod id like pm_card_visa")
    .default("pm_card_visa"),
});

export type OrderCreatedInput = z.input<typeof OrderCreated>;
export type OrderCreatedEvent = z.output<typeof OrderCreated>;
