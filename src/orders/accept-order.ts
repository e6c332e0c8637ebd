// Accepting an order.created event: validate it, price it from the catalog, store it. Idempotent by order
// id: the same event again returns the stored order; the same id with other content is a conflict.
import { createHash } from "node:crypto";
import { eq, inArray } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../../db/client";
import { orderEvents, orderItems, orders, products, type Order, type OrderItem } from "../../db/schema";
import { OrderCreated, type OrderCreatedEvent } from "../events/order-created";
import { InvalidInputError, parseInput, type InputIssue } from "../input-error";
import { OrderConflictError } from "./order-errors";

export type AcceptedOrder = { order: Order; items: OrderItem[]; created: boolean };

export async function acceptOrder(db: DatabaseOrTransaction, input: unknown): Promise<AcceptedOrder> {
  const event = parseInput(OrderCreated, input, "order.created event");
  const contentHash = hashOrderContent(event);

  return db.transaction(async (tx) => {
    const catalog = await tx
      .select()
      .from(products)
      .where(
        inArray(
          products.sku,
          event.lines.map((l) => l.sku),
        ),
      );
    const bySku = new Map(catalog.map((p) => [p.sku, p]));
    const issues: InputIssue[] = [];
    event.lines.forEach((line, index) => {
      const product = bySku.get(line.sku);
      if (!product) issues.push({ field: `lines[${index}].sku`, message: `unknown SKU ${line.sku}` });
      else if (product.currency !== event.currency)
        issues.push({ field: "currency", message: `${line.sku} is sold in ${product.currency}, not ${event.currency}` });
    });
    if (issues.length > 0) throw new InvalidInputError("order.created event", issues);

    const items = event.lines.map((line) => ({
      orderId: event.id,
      sku: line.sku,
      quantity: line.quantity,
      unitPriceCents: bySku.get(line.sku)!.priceCents,
    }));
    const [inserted] = await tx
      .insert(orders)
      .values({
        id: event.id,
        customerEmail: event.customer.email,
        customerName: event.customer.name ?? null,
        totalCents: items.reduce((sum, i) => sum + i.quantity * i.unitPriceCents, 0),
        currency: event.currency,
        paymentMethod: event.paymentMethod,
        contentHash,
      })
      .onConflictDoNothing({ target: orders.id })
      .returning();

    if (!inserted) {
      const [existing] = await tx.select().from(orders).where(eq(orders.id, event.id));
      if (!existing || existing.contentHash !== contentHash) throw new OrderConflictError(event.id);
      return { order: existing, items: await tx.select().from(orderItems).where(eq(orderItems.orderId, event.id)), created: false };
    }
    const storedItems = await tx.insert(orderItems).values(items).returning();
    await tx.insert(orderEvents).values({ orderId: event.id, type: "accepted", detail: { lines: event.lines } });
    return { order: inserted, items: storedItems, created: true };
  });
}

/** A stable fingerprint of what the customer asked for (line order does not matter). */
function hashOrderContent(event: OrderCreatedEvent): string {
  const canonical = {
    email: event.customer.email.toLowerCase(),
    name: event.customer.name ?? null,
    currency: event.currency,
    paymentMethod: event.paymentMethod,
    lines: [...event.lines].sort((a, b) => a.sku.localeCompare(b.sku)).map((l) => [l.sku, l.quantity]),
  };
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex");
}
