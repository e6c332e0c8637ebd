import { describe, expect, it } from "vitest";
import { OrderCreated } from "../../src/events/order-created";
import { InvalidInputError, parseInput } from "../../src/input-error";

const valid = {
  id: "ord-1",
  customer: { email: "ada@example.com", name: "Ada" },
  lines: [{ sku: "MUG-LOGO", quantity: 2 }],
  currency: "usd",
};

function fieldsOf(input: unknown): string[] {
  try {
    parseInput(OrderCreated, input, "order.created event");
  } catch (error) {
    if (error instanceof InvalidInputError) return error.issues.map((i) => i.field);
    throw error;
  }
  return [];
}

describe("the order.created schema", () => {
  it("accepts a valid event and defaults the payment method", () => {
    expect(parseInput(OrderCreated, valid, "event").paymentMethod).toBe("pm_card_visa");
  });

  it.each([
    [{ ...valid, id: "" }, ["id"]],
    [{ ...valid, id: "has space" }, ["id"]],
    [{ ...valid, customer: { email: "not-an-email" } }, ["customer.email"]],
    [{ ...valid, lines: [] }, ["lines"]],
    [{ ...valid, lines: [{ sku: "MUG-LOGO", quantity: 0 }] }, ["lines[0].quantity"]],
    [{ ...valid, lines: [{ sku: "MUG-LOGO", quantity: 1.5 }] }, ["lines[0].quantity"]],
    [{ ...valid, lines: [{ sku: "mug", quantity: 1 }] }, ["lines[0].sku"]],
    [{ ...valid, lines: [{ sku: "MUG-LOGO", quantity: 1, priceCents: 1 }] }, ["lines[0]"]],
    [
      {
        ...valid,
        lines: [
          { sku: "MUG-LOGO", quantity: 1 },
          { sku: "MUG-LOGO", quantity: 2 },
        ],
      },
      ["lines[1].sku"],
    ],
    [{ ...valid, currency: "USD" }, ["currency"]],
    [{ ...valid, paymentMethod: "visa" }, ["paymentMethod"]],
    [{ ...valid, total: 5 }, ["(root)"]],
  ])("names the bad field of %j", (input, fields) => {
    expect(fieldsOf(input)).toEqual(fields);
  });

  it("says which rule was broken", () => {
    expect(() => parseInput(OrderCreated, { ...valid, lines: [{ sku: "MUG-LOGO", quantity: 0 }] }, "order.created event")).toThrow(
      "Invalid order.created event: lines[0].quantity: must be at least 1",
    );
  });
});
