// Every way a payment can end, end to end with the real CLI: each case leaves the order in a defined,
// compensated state, and the reconciler (every 2 s here, after 1 s of quiet: RECONCILE_INTERVAL and
// RECONCILE_AFTER, the same settings a deployment has) settles what the workflow could not. Every test
// ends with the invariant checker, quiescent: the order it made has ended, with its mail.
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { orders } from "../../db/schema";
import { acceptOrder } from "../../src/orders/accept-order";
import { checkInvariants } from "../../src/orders/check-invariants";
import { useOrderStack, type OrderView } from "../support/order-stack";

const stack = useOrderStack({ RECONCILE_AFTER: "1s", RECONCILE_INTERVAL: "2s" });
const { post, orderEvent, order, untilTerminal, until, mailsOf, stockOf } = stack;

beforeAll(async () => {
  await stack.fireReconciler(); // its runs then follow one another every minute
});

const faults = () => stack.s.standIn!.faults;
const subjects = async (id: string) => (await mailsOf(id)).map((m) => m.subject ?? "").sort();
const textOf = async (id: string) => (await mailsOf(id)).map((m) => m.text ?? "").join("\n---\n");
const charge = (o: OrderView) => o.payments.find((p) => p.kind === "charge");
const refunds = (o: OrderView) => o.payments.filter((p) => p.kind === "refund");
const quiescentInvariants = async () => expect(await checkInvariants(stack.s.db, { quiescent: true })).toEqual([]);
/** Waits until the order's process-order runs have all ended (so nothing of it is in flight). */
const untilWorkflowIdle = (id: string) =>
  until(
    `order ${id}'s workflow to stop`,
    async () => {
      const o = await order(id);
      const live = o.runs.filter(
        (r) =>
          r.task !== "order-reminder" && ["QUEUED", "DEQUEUED", "EXECUTING", "WAITING", "DELAYED", "PENDING_VERSION"].includes(r.status),
      );
      return live.length === 0 ? o : undefined;
    },
    90_000,
  );

describe("a payment that ends badly ends defined", () => {
  it("an unknown payment method (Stripe: resource_missing) is not charged: stock back, payment_failed, told why; a cancel after it changes nothing", async () => {
    const before = await stockOf("MUG-LOGO");
    const event = orderEvent({ "MUG-LOGO": 1 }, { paymentMethod: "pm_nope" });
    expect((await post("order.created", event)).status).toBe(202);
    const done = await untilTerminal(event.id);
    expect(done).toMatchObject({ status: "payment_failed", failureReason: "resource_missing" });
    expect(charge(done)).toMatchObject({ status: "failed", failureCode: "resource_missing" });
    expect(done.reservations.map((r) => r.status)).toEqual(["released"]);
    expect(await stockOf("MUG-LOGO")).toMatchObject({ onHand: before.onHand, reserved: before.reserved });
    await until("the payment-failed mail", async () => ((await mailsOf(event.id)).length === 1 ? true : undefined));
    expect(await textOf(event.id)).toContain("We could not use the payment method you gave us. Nothing was charged");

    expect((await post("order.cancelled", { id: event.id })).status).toBe(202);
    const afterCancel = await until("cancel-order to end", async () => {
      const o = await order(event.id);
      const run = o.runs.find((r) => r.task === "cancel-order");
      return run && ["COMPLETED", "FAILED"].includes(run.status) ? { o, run } : undefined;
    });
    expect(afterCancel.run.status).toBe("COMPLETED");
    expect(afterCancel.o.status).toBe("payment_failed");
    await quiescentInvariants();
  }, 90_000);

  it("3-D Secure asked of an off-session order: the intent is cancelled, payment_failed (authentication_required), told why", async () => {
    const event = orderEvent({ "CAP-NAVY": 1 }, { paymentMethod: "pm_card_authenticationRequired" });
    await post("order.created", event);
    const done = await untilTerminal(event.id);
    expect(done).toMatchObject({ status: "payment_failed", failureReason: "authentication_required" });
    await until("the mail", async () => ((await mailsOf(event.id)).length === 1 ? true : undefined));
    expect(await textOf(event.id)).toContain("3-D Secure");
    await quiescentInvariants();
  }, 90_000);

  it.each([
    ["status_401", "a refused (wrong or expired) secret key"],
    ["status_500", "Stripe down"],
  ] as const)(
    "%s (%s) through every attempt: the outcome is unknown, so nothing is failed or mailed; once Stripe answers, the reconciler completes the order",
    async (kind, _why) => {
      faults().inject({ kind, path: "/v1/", method: "ANY", times: 10_000 });
      const event = orderEvent({ "STICKER-PACK": 1 });
      await post("order.created", event);
      await until(
        "the charge step to give up",
        async () => {
          const o = await order(event.id);
          return o.runs.some((r) => r.task === "charge-payment" && r.status === "FAILED") ? o : undefined;
        },
        90_000,
      );
      await new Promise((r) => setTimeout(r, 3_000)); // a few reconciler passes, all unable to ask Stripe
      const meanwhile = await order(event.id);
      expect(meanwhile.status).toBe("reserved");
      expect(charge(meanwhile)?.status).toBe("pending");
      expect(meanwhile.reservations.map((r) => r.status)).toEqual(["held"]);
      expect(await mailsOf(event.id)).toHaveLength(0); // never "your card was declined"
      // The workflow ends as payment_unknown (and is restarted by the reconciler); it never fails.
      expect(meanwhile.runs.filter((r) => r.task === "process-order" && r.status === "FAILED")).toEqual([]);

      faults().clear();
      const done = await untilTerminal(event.id, 90_000);
      expect(done.status).toBe("completed");
      expect(done.timeline.some((e) => e.type === "workflow.restarted")).toBe(true);
      expect(done.payments.filter((p) => p.kind === "charge")).toEqual([expect.objectContaining({ status: "succeeded" })]);
      await until("the confirmation", async () => ((await mailsOf(event.id)).length >= 1 ? true : undefined));
      await quiescentInvariants();
    },
    180_000,
  );

  it("a processing charge whose webhooks are all lost: the reconciler asks Stripe, wakes the waiting charge, the order completes", async () => {
    faults().inject({ kind: "webhook_drop", eventType: "payment_intent.", times: 10_000 });
    const event = orderEvent({ "POSTER-A2": 1 }, { paymentMethod: "pm_stand_in_processing" });
    await post("order.created", event);
    const done = await untilTerminal(event.id, 90_000);
    expect(done.status).toBe("completed");
    expect(charge(done)?.status).toBe("succeeded");
    expect(done.runs.filter((r) => r.task === "charge-payment").map((r) => r.status)).toEqual(["COMPLETED"]);
    faults().clear();
    await quiescentInvariants();
  }, 120_000);

  it("charged, but every answer to us lost: the succeeded webhook for a row with no Stripe id yet is matched by its metadata, and the order completes", async () => {
    faults().inject({ kind: "drop_after_processing", path: "/v1/payment_intents", method: "POST", times: 10_000 });
    faults().inject({ kind: "status_500", path: "/v1/payment_intents/search", method: "GET", times: 10_000 });
    const event = orderEvent({ "HOODIE-GRY-M": 1 });
    await post("order.created", event);
    const done = await untilTerminal(event.id, 90_000);
    expect(done.status).toBe("completed");
    expect(charge(done)).toMatchObject({ status: "succeeded", providerId: expect.stringMatching(/^pi_/) });
    expect(done.timeline.map((e) => e.type)).toContain("payment.charge.succeeded");
    faults().clear();
    await quiescentInvariants();
  }, 120_000);

  it.each([
    ["refund_fails", "fails at Stripe: a new refund follows", ["failed", "succeeded"]],
    ["refund_pending", "stays pending at Stripe for a while: asked again until it settles", ["succeeded"]],
  ] as const)(
    "cancelled after completion, and the refund %s %s; the order ends refunded in full",
    async (kind, _why, statuses) => {
      const event = orderEvent({ "MUG-LOGO": 1 });
      await post("order.created", event);
      expect((await untilTerminal(event.id)).status).toBe("completed");
      faults().inject({ kind });
      await post("order.cancelled", { id: event.id });
      const done = await until(
        "a refund that succeeded",
        async () => {
          const o = await order(event.id);
          return refunds(o).some((r) => r.status === "succeeded") ? o : undefined;
        },
        90_000,
      );
      expect(done.status).toBe("cancelled");
      expect(refunds(done).map((r) => r.status)).toEqual(statuses);
      expect(refunds(done).at(-1)!.amountCents).toBe(charge(done)!.amountCents);
      await until("the cancellation mail", async () =>
        (await subjects(event.id)).includes(`Order ${event.id} cancelled`) ? true : undefined,
      );
      await untilWorkflowIdle(event.id);
      await quiescentInvariants();
    },
    120_000,
  );

  it("cancelled while the charge is processing, and the charge succeeds after the cancel: stock back at once, then refunded in full", async () => {
    const before = await stockOf("STICKER-PACK");
    const event = orderEvent({ "STICKER-PACK": 2 }, { paymentMethod: "pm_stand_in_processing" });
    await post("order.created", event);
    await until("the charge to be processing", async () => (charge(await order(event.id))?.status === "processing" ? true : undefined));
    await post("order.cancelled", { id: event.id });
    const done = await until(
      "the late charge's refund",
      async () => {
        const o = await order(event.id);
        return refunds(o).some((r) => r.status === "succeeded") ? o : undefined;
      },
      90_000,
    );
    expect(done.status).toBe("cancelled");
    expect(charge(done)?.status).toBe("succeeded");
    expect(await stockOf("STICKER-PACK")).toMatchObject({ onHand: before.onHand, reserved: before.reserved });
    await untilWorkflowIdle(event.id);
    await until("the cancellation mail", async () =>
      (await subjects(event.id)).includes(`Order ${event.id} cancelled`) ? true : undefined,
    );
    expect((await subjects(event.id)).filter((s) => !s.endsWith("cancelled"))).toEqual([]); // no confirmation, no "declined"
    await quiescentInvariants();
  }, 120_000);
});

describe("events that would have lost an order", () => {
  it("an event id reused for another order is a 409 naming both orders, and the second order is not written", async () => {
    const first = orderEvent({ "MUG-LOGO": 1 });
    const second = orderEvent({ "MUG-LOGO": 1 });
    const send = (body: unknown) =>
      fetch(`${stack.s.appUrl}/api/events/order.created?id=checkout-42-${first.id}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${stack.s.appApiToken}` },
        body: JSON.stringify(body),
      });
    expect((await send(first)).status).toBe(202);
    const conflict = await send(second);
    expect(conflict.status).toBe(409);
    const { error } = (await conflict.json()) as { error: string };
    expect(error).toContain(first.id);
    expect(error).toContain(second.id);
    expect(await stack.s.db.select().from(orders).where(eq(orders.id, second.id))).toHaveLength(0);
    expect((await send(first)).status).toBe(202); // the same event again is fine
    expect((await untilTerminal(first.id)).status).toBe("completed");
    await quiescentInvariants();
  }, 90_000);

  it("an order accepted whose trigger never happened is started by the reconciler and completes", async () => {
    const event = orderEvent({ "POSTER-A2": 1 });
    await acceptOrder(stack.s.db, event); // as if the app died between storing the order and triggering
    const done = await untilTerminal(event.id, 90_000);
    expect(done.status).toBe("completed");
    expect(done.timeline.map((e) => e.type)).toContain("workflow.restarted");
    await quiescentInvariants();
  }, 120_000);
});
