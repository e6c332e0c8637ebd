// The order workflow end to end: `npm start`'s stack (platform, stand-ins, app, the real CLI running
// jobs/), orders fired through the app's HTTP API, faults injected into the stand-ins. Every test ends with
// the invariant checker over the whole database.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { orders, payments } from "../../db/schema";
import { useOrderStack } from "../support/order-stack";

const stack = useOrderStack();
const { post, orderEvent, order, untilTerminal, until, mailsOf, stockOf } = stack;

describe("an order", () => {
  it("completes: one charge, one confirmation, then one reminder; latency from event to confirmation mail", async () => {
    const before = await stockOf("MUG-LOGO");
    const event = orderEvent({ "MUG-LOGO": 2 });
    const sentAt = Date.now();
    const accepted = await post("order.created", event);
    expect(accepted.status).toBe(202);
    expect(accepted.body.runId).toMatch(/^run_/);
    const done = await untilTerminal(event.id);
    expect(done.status).toBe("completed");
    expect(done.payments).toEqual([expect.objectContaining({ kind: "charge", status: "succeeded" })]);
    const [confirmation] = await mailsOf(event.id);
    console.log(`event → confirmation mail caught: ${confirmation!.receivedAt.getTime() - sentAt} ms`);
    expect((await stockOf("MUG-LOGO")).onHand).toBe(before.onHand - 2);
    // The reminder comes ORDER_REMINDER_DELAY (3 s here) later, once.
    const mails = await until("the reminder", async () => {
      const m = await mailsOf(event.id);
      return m.length >= 2 ? m : undefined;
    });
    expect(mails.map((m) => m.subject).sort()).toEqual([`How is order ${event.id}?`, `Order ${event.id} confirmed`]);
    // Read after the reminder went out: the order turns completed a moment before process-order triggers
    // the reminder, so the view read at "completed" may not list that run yet.
    const runsAtTheEnd = (await order(event.id)).runs;
    expect(runsAtTheEnd.map((r) => r.task).sort()).toEqual(
      expect.arrayContaining(["process-order", "reserve-inventory", "charge-payment", "send-notification", "order-reminder"]),
    );
  }, 90_000);

  it("out of stock: failed, nothing charged, the customer told", async () => {
    const event = orderEvent({ "LIMITED-PRINT": 26 });
    await post("order.created", event);
    const done = await untilTerminal(event.id);
    expect(done).toMatchObject({ status: "failed", failureReason: "out_of_stock", payments: [] });
    await until("the out-of-stock mail", async () => ((await mailsOf(event.id)).length === 1 ? true : undefined));
  }, 60_000);

  it("a declined card: payment_failed, no retries, stock released, the customer told", async () => {
    const before = await stockOf("CAP-NAVY");
    const event = orderEvent({ "CAP-NAVY": 3 }, { paymentMethod: "pm_card_chargeDeclinedInsufficientFunds" });
    await post("order.created", event);
    const done = await untilTerminal(event.id);
    expect(done).toMatchObject({ status: "payment_failed", failureReason: "insufficient_funds" });
    expect(done.payments).toEqual([expect.objectContaining({ status: "failed" })]);
    expect(await stockOf("CAP-NAVY")).toMatchObject({ onHand: before.onHand, reserved: before.reserved });
    await until("the payment-failed mail", async () => ((await mailsOf(event.id)).length === 1 ? true : undefined));
  }, 60_000);

  it("Stripe answering 500, then charged-but-the-answer-lost: retried with the same key, charged once", async () => {
    stack.s.standIn!.faults.inject({ kind: "status_500", path: "/v1/payment_intents", times: 1 });
    stack.s.standIn!.faults.inject({ kind: "drop_after_processing", path: "/v1/payment_intents", times: 2 });
    const event = orderEvent({ "STICKER-PACK": 1 });
    await post("order.created", event);
    const done = await untilTerminal(event.id, 90_000);
    expect(done.status).toBe("completed");
    const intents = await stack.s.db.execute(
      `SELECT id FROM stripe_stand_in.objects WHERE type = 'payment_intent' AND data -> 'metadata' ->> 'order_id' = '${event.id}'`,
    );
    expect(intents).toHaveLength(1);
  }, 120_000);

  it("the same order.created twice is one workflow and one charge", async () => {
    const event = orderEvent({ "STICKER-PACK": 2 });
    const [a, b] = await Promise.all([post("order.created", event), post("order.created", event)]);
    expect(a.body.runId).toBe(b.body.runId);
    const done = await untilTerminal(event.id);
    expect(done.runs.filter((r) => r.task === "process-order")).toHaveLength(1);
    expect(done.payments.filter((p) => p.kind === "charge")).toHaveLength(1);
  }, 60_000);

  it("cancelled after payment: refunded, restocked, its reminder cancelled", async () => {
    const before = await stockOf("HOODIE-GRY-M");
    const event = orderEvent({ "HOODIE-GRY-M": 1 });
    await post("order.created", event);
    expect((await untilTerminal(event.id)).status).toBe("completed");
    await post("order.cancelled", { id: event.id });
    const cancelled = await until("the refund", async () => {
      const o = await order(event.id);
      return o.status === "cancelled" && o.payments.some((p) => p.kind === "refund" && p.status === "succeeded") ? o : undefined;
    });
    expect(await stockOf("HOODIE-GRY-M")).toMatchObject({ onHand: before.onHand, reserved: before.reserved });
    await new Promise((r) => setTimeout(r, 4_000)); // past the reminder's delay
    const mails = (await mailsOf(event.id)).map((m) => m.subject);
    expect(mails).toContain(`Order ${event.id} cancelled`);
    expect(mails.some((m) => m?.startsWith("How is order"))).toBe(false);
    expect(cancelled.runs.find((r) => r.task === "order-reminder")?.status).toBe("CANCELED");
  }, 90_000);

  it("SMTP refusing for a while: the confirmation is retried, sent once, the order completes", async () => {
    stack.s.catcher!.refusals.refuseFor(3_000);
    const event = orderEvent({ "POSTER-A2": 1 });
    await post("order.created", event);
    const done = await untilTerminal(event.id, 90_000);
    expect(done.status).toBe("completed");
    expect(done.notifications.filter((x) => x.kind === "confirmation")).toEqual([expect.objectContaining({ status: "sent" })]);
    expect((await mailsOf(event.id)).filter((m) => m.subject?.includes("confirmed"))).toHaveLength(1);
  }, 120_000);

  it("a bad event is a 400 naming the field, and writes nothing", async () => {
    const bad = { ...orderEvent({ "MUG-LOGO": 0 }), customer: { email: "not-an-email" } };
    const response = await post("order.created", bad);
    expect(response.status).toBe(400);
    expect(response.body.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: "lines[0].quantity" }),
        expect.objectContaining({ field: "customer.email" }),
      ]),
    );
    const unknown = await post("order.created", orderEvent({ "NO-SUCH-THING": 1 }));
    expect(unknown.status).toBe(400);
    expect(await stack.s.db.select().from(orders).where(eq(orders.id, bad.id))).toHaveLength(0);
    expect((await post("order.shipped", {})).status).toBe(400);
    expect(await stack.s.db.select().from(payments).where(eq(payments.orderId, bad.id))).toHaveLength(0);
  });
});
