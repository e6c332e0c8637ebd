// The order workflow under concurrency and crashes: 60 orders racing for 25 units, the CLI killed in the
// middle of a batch of orders, a payment settled by webhook, a cancellation racing a charge in flight.
// Every test ends with the invariant checker over the whole database.
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { caughtMessages } from "local-stand-ins/schema";
import { inventory, orders, payments } from "../../db/schema";
import { TERMINAL_STATUSES } from "../../src/orders/order-status";
import { useOrderStack } from "../support/order-stack";

const stack = useOrderStack();
const { orderEvent } = stack;

async function post(name: string, body: unknown) {
  const response = await stack.post(name, body);
  if (response.status !== 202) throw new Error(`${name}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

async function allTerminal(ids: string[], ms: number) {
  const deadline = Date.now() + ms;
  for (;;) {
    const rows = await stack.s.db.select({ id: orders.id, status: orders.status }).from(orders).where(inArray(orders.id, ids));
    if (rows.length === ids.length && rows.every((r) => (TERMINAL_STATUSES as readonly string[]).includes(r.status))) return rows;
    if (Date.now() > deadline)
      throw new Error(
        `not all terminal after ${ms} ms: ${JSON.stringify(rows.filter((r) => !(TERMINAL_STATUSES as readonly string[]).includes(r.status)))}`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("under load", () => {
  it("60 concurrent orders for 25 units: exactly 25 sold, every order terminal", async () => {
    const events = Array.from({ length: 60 }, () => orderEvent({ "LIMITED-PRINT": 1 }));
    const started = Date.now();
    await Promise.all(events.map((e) => post("order.created", e)));
    const rows = await allTerminal(
      events.map((e) => e.id),
      240_000,
    );
    console.log(`60 orders for 25 units drained in ${Date.now() - started} ms`);
    expect(rows.filter((r) => r.status === "completed")).toHaveLength(25);
    expect(rows.filter((r) => r.status === "failed")).toHaveLength(35);
    const [print] = await stack.s.db.select().from(inventory).where(eq(inventory.sku, "LIMITED-PRINT"));
    expect(print).toMatchObject({ onHand: 0, reserved: 0 });
  }, 300_000);

  it("the CLI killed in the middle of a batch of orders: after a restart every order is terminal, once", async () => {
    const events = Array.from({ length: 12 }, () => orderEvent({ "TSHIRT-BLK-M": 1 }));
    await Promise.all(events.map((e) => post("order.created", e)));
    // Let some orders get going, then kill the CLI and its task processes (its watchdog reports them).
    for (let i = 0; i < 60; i++) {
      const charged = await stack.s.db
        .select({ id: payments.id })
        .from(payments)
        .where(
          inArray(
            payments.orderId,
            events.map((e) => e.id),
          ),
        );
      if (charged.length >= 2) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    await stack.s.cli()!.stop("crash");
    await new Promise((r) => setTimeout(r, 2_000));
    await stack.s.launchCli();
    const rows = await allTerminal(
      events.map((e) => e.id),
      240_000,
    );
    expect(rows.every((r) => r.status === "completed")).toBe(true);
    // No duplicate mail: one confirmation per order in the catcher.
    const mails = await stack.s.db
      .select()
      .from(caughtMessages)
      .where(
        inArray(
          caughtMessages.toAddress,
          events.map((e) => `${e.id}@example.com`),
        ),
      );
    expect(mails.filter((m) => m.subject?.includes("confirmed"))).toHaveLength(12);
  }, 300_000);
});

describe("payments settled later", () => {
  it("a 'processing' charge waits on a token that the Stripe webhook completes", async () => {
    const event = orderEvent({ "MUG-LOGO": 1 }, { paymentMethod: "pm_stand_in_processing" });
    await post("order.created", event);
    const [row] = await allTerminal([event.id], 60_000);
    expect(row!.status).toBe("completed");
    const charges = await stack.s.db.select().from(payments).where(eq(payments.orderId, event.id));
    expect(charges).toEqual([expect.objectContaining({ kind: "charge", status: "succeeded" })]);
  }, 90_000);

  it("cancelled while its charge is processing at Stripe: the charge is waited for, then refunded", async () => {
    const before = (await stack.s.db.select().from(inventory).where(eq(inventory.sku, "CAP-NAVY")))[0]!;
    const event = orderEvent({ "CAP-NAVY": 1 }, { paymentMethod: "pm_stand_in_processing" });
    await post("order.created", event);
    for (let i = 0; i < 100; i++) {
      const [p] = await stack.s.db.select().from(payments).where(eq(payments.orderId, event.id));
      if (p?.status === "processing") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await post("order.cancelled", { id: event.id });
    const deadline = Date.now() + 60_000;
    let rows = await stack.s.db.select().from(payments).where(eq(payments.orderId, event.id));
    while (!rows.some((p) => p.kind === "refund" && p.status === "succeeded") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      rows = await stack.s.db.select().from(payments).where(eq(payments.orderId, event.id));
    }
    expect(rows.find((p) => p.kind === "charge")?.status).toBe("succeeded");
    expect(rows.find((p) => p.kind === "refund")?.status).toBe("succeeded");
    const [o] = await stack.s.db.select().from(orders).where(eq(orders.id, event.id));
    expect(o!.status).toBe("cancelled");
    const after = (await stack.s.db.select().from(inventory).where(eq(inventory.sku, "CAP-NAVY")))[0]!;
    expect(after).toMatchObject({ onHand: before.onHand, reserved: before.reserved });
  }, 90_000);
});
