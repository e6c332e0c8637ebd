// The order app's own operator alerts (issue 15), on real Postgres, the Stripe stand-in and the mail catcher:
// an order that needs a person (Stripe refused its refund, or failed every one; its workflow keeps failing
// after the payment) is flagged once per order and condition, however often or concurrently the step runs,
// and mailed to ALERT_EMAIL once, retried with backoff while the relay refuses.
import { and, eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { caughtMessages } from "local-stand-ins/schema";
import { startMailCatcher, type MailCatcher } from "local-stand-ins/smtp";
import { operatorAlerts, orderEvents, type OperatorAlert } from "../../db/schema";
import { reserveStock } from "../../src/inventory/reserve-stock";
import { createMailTransport, type MailTransport } from "../../src/mail/mail-transport";
import { alertMessageId, sendOperatorAlerts, type OperatorAlertOptions } from "../../src/mail/send-operator-alerts";
import { markOrderCancelled } from "../../src/orders/cancel-order";
import { REFUND_NEEDS_OPERATOR, WORKFLOW_NEEDS_OPERATOR } from "../../src/orders/operator-alerts";
import { reconcileOrder, recordRestart } from "../../src/orders/reconcile-order";
import { chargeOrder } from "../../src/payments/charge-order";
import { MAX_REFUND_ATTEMPTS, refundOrder, syncRefunds } from "../../src/payments/refund-order";
import { placeOrder, stock } from "../support/orders";
import { startStripeForTest, type StripeForTest } from "../support/stripe";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

let t: TestDatabase;
let s: StripeForTest;
let catcher: MailCatcher;
let transport: MailTransport;
let options: OperatorAlertOptions;
const OPERATORS = ["ops@example.com", "oncall@example.com"];
let n = 0;

beforeAll(async () => {
  t = await createTestDatabase();
  s = await startStripeForTest(t.url);
  catcher = await startMailCatcher({ databaseUrl: t.url, port: 0 });
  transport = createMailTransport(catcher.url);
  options = {
    transport,
    from: '"Order desk" <orders@shop.localhost>',
    to: OPERATORS,
    orderPageUrl: (id) => `http://dashboard.test/orders/${id}`,
  };
  await stock(t.db, { "OPS-A": 1000 }, 1250);
});
afterEach(() => {
  s.standIn.faults.clear();
  catcher.refusals.clear();
});
afterAll(async () => {
  transport.close();
  await catcher.close();
  await s.close();
  await t.close();
});

/** A cancelled order whose charge succeeded: it is owed a refund. */
async function chargedThenCancelled() {
  const id = `ops-${++n}`;
  await placeOrder(t.db, id, { "OPS-A": 2 });
  await reserveStock(t.db, id, { ttlMs: 3_600_000 });
  const charged = await chargeOrder(t.db, s.stripe, id);
  await markOrderCancelled(t.db, id, "customer asked");
  return { id, intentId: charged.payment.providerId! };
}
const alertsOf = (orderId: string) => t.db.select().from(operatorAlerts).where(eq(operatorAlerts.orderId, orderId));
const eventsOf = async (orderId: string, type: string) =>
  t.db
    .select()
    .from(orderEvents)
    .where(and(eq(orderEvents.orderId, orderId), eq(orderEvents.type, type)));
const mailsOf = (alert: OperatorAlert) =>
  t.db
    .select()
    .from(caughtMessages)
    .where(eq(caughtMessages.messageId, alertMessageId(alert)));
/** As if the backoff had passed. */
const makeDue = (alert: OperatorAlert) =>
  t.db
    .update(operatorAlerts)
    .set({ nextAttemptAt: sql`now()` })
    .where(eq(operatorAlerts.id, alert.id));

/** `count` orders whose charge was refunded outside the app, each flagged once. */
async function flaggedOrders(count: number) {
  const flagged: OperatorAlert[] = [];
  for (let i = 0; i < count; i++) {
    const { id, intentId } = await chargedThenCancelled();
    await s.stripe.refunds.create({ payment_intent: intentId });
    await refundOrder(t.db, s.stripe, id);
    flagged.push((await alertsOf(id))[0]!);
  }
  return flagged;
}
/** As if `seconds` had passed for every alert still pending (a claim's lease runs out with them). */
const timePasses = (seconds: number) =>
  t.db
    .update(operatorAlerts)
    .set({ nextAttemptAt: sql`${operatorAlerts.nextAttemptAt} - make_interval(secs => ${seconds})` })
    .where(eq(operatorAlerts.status, "pending"));
/** A transport that runs `meanwhile` before each send (what happens while the send takes its time). */
function sendingSlowly(smtpUrl: string, meanwhile: () => Promise<unknown>): MailTransport {
  const slow = createMailTransport(smtpUrl);
  const send = slow.sendMail.bind(slow);
  slow.sendMail = (async (mail: Parameters<typeof send>[0]) => {
    await meanwhile();
    return send(mail);
  }) as typeof slow.sendMail;
  return slow;
}

describe("operator alerts", () => {
  it("Stripe refused the refund (the charge was refunded outside the app): flagged once under 10 concurrent calls, mailed once after the relay's refusal", async () => {
    const { id, intentId } = await chargedThenCancelled();
    await s.stripe.refunds.create({ payment_intent: intentId });
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => refundOrder(t.db, s.stripe, id)));
    expect(new Set(outcomes.map((o) => o.status))).toEqual(new Set(["needs_operator"]));
    const [alert, ...more] = await alertsOf(id);
    expect(more).toEqual([]);
    expect(alert).toMatchObject({ condition: REFUND_NEEDS_OPERATOR, status: "pending", detail: { reason: "refunded outside this app" } });
    expect(await eventsOf(id, REFUND_NEEDS_OPERATOR)).toHaveLength(1);

    catcher.refusals.refuseNext(1);
    expect(await sendOperatorAlerts(t.db, options)).toMatchObject({ sent: [], retrying: [`${id} ${REFUND_NEEDS_OPERATOR}`] });
    const [refused] = await alertsOf(id);
    expect(refused).toMatchObject({ status: "pending", attempts: 1, lastError: expect.stringMatching(/451/) });
    expect(refused!.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 20_000); // backoff
    expect((await sendOperatorAlerts(t.db, options)).sent).toEqual([]); // not due yet
    expect(await mailsOf(alert!)).toEqual([]);

    await makeDue(alert!);
    expect((await sendOperatorAlerts(t.db, options)).sent).toEqual([`${id} ${REFUND_NEEDS_OPERATOR}`]);
    const [mail, ...again] = await mailsOf(alert!);
    expect(again).toEqual([]);
    expect(mail).toMatchObject({
      subject: `Order ${id} needs an operator: ${REFUND_NEEDS_OPERATOR}`,
      envelopeTo: expect.arrayContaining(OPERATORS),
      html: null, // text only
    });
    expect(mail!.headers["x-order-id"]).toBe(id);
    expect(mail!.text).toContain(`Order:      ${id}`);
    expect(mail!.text).toContain("Status:     cancelled (customer asked)");
    expect(mail!.text).toContain("Total:      $25.00");
    expect(mail!.text).toContain(`Customer:   ${id}@example.com`);
    expect(mail!.text).toContain(`Order page: http://dashboard.test/orders/${id}`);
    expect(mail!.text).toContain("reason: refunded outside this app");
    expect(await alertsOf(id)).toEqual([expect.objectContaining({ status: "sent", attempts: 2, lastError: null })]);

    // Asked again (a retried refund run, the next pass): nothing new to flag, nothing to send.
    await refundOrder(t.db, s.stripe, id);
    await makeDue(alert!);
    expect((await sendOperatorAlerts(t.db, options)).sent).toEqual([]);
    expect(await mailsOf(alert!)).toHaveLength(1);
  });

  it("an order Stripe refused a refund of before operator alerts existed is flagged when its refund is asked for again", async () => {
    const { id, intentId } = await chargedThenCancelled();
    await s.stripe.refunds.create({ payment_intent: intentId });
    expect(await refundOrder(t.db, s.stripe, id)).toMatchObject({ status: "needs_operator" });
    await t.db.delete(operatorAlerts).where(eq(operatorAlerts.orderId, id)); // as it was before
    for (let call = 0; call < 2; call++) expect(await refundOrder(t.db, s.stripe, id)).toMatchObject({ status: "needs_operator" });
    expect(await alertsOf(id)).toEqual([
      expect.objectContaining({ condition: REFUND_NEEDS_OPERATOR, status: "pending", detail: { reason: "refunded outside this app" } }),
    ]);
    expect((await sendOperatorAlerts(t.db, options)).sent).toContain(`${id} ${REFUND_NEEDS_OPERATOR}`);
  });

  it(`Stripe failed every refund (${MAX_REFUND_ATTEMPTS}): flagged once, however often the refund task asks again`, async () => {
    const { id } = await chargedThenCancelled();
    s.standIn.faults.inject({ kind: "refund_fails", times: MAX_REFUND_ATTEMPTS });
    for (let attempt = 1; attempt <= MAX_REFUND_ATTEMPTS; attempt++) {
      expect(await refundOrder(t.db, s.stripe, id)).toMatchObject({ status: "processing" });
      await expect.poll(async () => (await syncRefunds(t.db, s.stripe, id)).map((r) => r.status), { timeout: 5_000 }).toEqual(["failed"]);
    }
    expect(await alertsOf(id)).toEqual([]); // not yet: five refunds failed, none asked for after them
    for (let call = 0; call < 3; call++) expect(await refundOrder(t.db, s.stripe, id)).toMatchObject({ status: "needs_operator" });
    expect(await alertsOf(id)).toEqual([
      expect.objectContaining({
        condition: REFUND_NEEDS_OPERATOR,
        detail: { reason: "Stripe failed every refund", attempts: MAX_REFUND_ATTEMPTS },
      }),
    ]);
    expect(await eventsOf(id, REFUND_NEEDS_OPERATOR)).toHaveLength(1);
    const [alert] = await alertsOf(id);
    expect((await sendOperatorAlerts(t.db, options)).sent).toContain(`${id} ${REFUND_NEEDS_OPERATOR}`);
    expect((await mailsOf(alert!))[0]!.text).toContain("Stripe failed every refund");
  });

  it("a paid order whose workflow keeps failing is flagged once by the reconciler; without ALERT_EMAIL its alert waits", async () => {
    const id = `ops-${++n}`;
    await placeOrder(t.db, id, { "OPS-A": 1 });
    await reserveStock(t.db, id, { ttlMs: 3_600_000 });
    await chargeOrder(t.db, s.stripe, id);
    for (let restart = 1; restart <= 2; restart++) await recordRestart(t.db, id, `run_${restart}`);
    const first = await reconcileOrder(t.db, s.stripe, id, { maxRestarts: 1 });
    expect(first).toMatchObject({
      status: "paid",
      restartWorkflow: false,
      did: ["workflow failed after payment 2 times: left for an operator"],
    });
    expect((await reconcileOrder(t.db, s.stripe, id, { maxRestarts: 1 })).did).toEqual([]);
    const [alert, ...more] = await alertsOf(id);
    expect(more).toEqual([]);
    expect(alert).toMatchObject({ condition: WORKFLOW_NEEDS_OPERATOR, detail: { restarts: 2 } });
    expect(await eventsOf(id, WORKFLOW_NEEDS_OPERATOR)).toHaveLength(1);

    expect(await sendOperatorAlerts(t.db, { ...options, to: [] })).toEqual({ sent: [], retrying: [], givenUp: [] });
    expect(await alertsOf(id)).toEqual([expect.objectContaining({ status: "pending", attempts: 0 })]);
    expect((await sendOperatorAlerts(t.db, options)).sent).toContain(`${id} ${WORKFLOW_NEEDS_OPERATOR}`);
    expect((await mailsOf(alert!))[0]!.text).toContain("its workflow keeps failing after the payment");
  });

  it("a dead relay is retried later; an alert a sender claimed and never finished is sent once its claim lapses", async () => {
    const { id, intentId } = await chargedThenCancelled();
    await s.stripe.refunds.create({ payment_intent: intentId });
    await refundOrder(t.db, s.stripe, id);
    const [alert] = await alertsOf(id);
    const dead = createMailTransport("smtp://127.0.0.1:1");
    expect((await sendOperatorAlerts(t.db, { ...options, transport: dead })).retrying).toContain(`${id} ${REFUND_NEEDS_OPERATOR}`);
    dead.close();
    // As if a sender had claimed it and died: its claim holds it for a while, then lapses.
    await t.db
      .update(operatorAlerts)
      .set({ nextAttemptAt: sql`now() + interval '1 minute'` })
      .where(eq(operatorAlerts.id, alert!.id));
    expect((await sendOperatorAlerts(t.db, options)).sent).toEqual([]);
    await makeDue(alert!);
    expect((await sendOperatorAlerts(t.db, options)).sent).toContain(`${id} ${REFUND_NEEDS_OPERATOR}`);
    expect(await mailsOf(alert!)).toHaveLength(1);
    expect(await alertsOf(id)).toEqual([expect.objectContaining({ status: "sent", attempts: 2 })]);
  });
  it("two senders at once, one of them slow (each of its sends takes 25 s): every alert mailed exactly once", async () => {
    const flagged = await flaggedOrders(3);
    for (const alert of flagged) await makeDue(alert);
    const passesOfB: string[][] = [];
    // While the slow sender sends, time passes and the other sender makes a pass over what is due.
    const slow = sendingSlowly(catcher.url, async () => {
      await timePasses(25);
      passesOfB.push((await sendOperatorAlerts(t.db, options)).sent);
    });
    try {
      const sentBySlow = (await sendOperatorAlerts(t.db, { ...options, transport: slow })).sent;
      const labels = flagged.map((a) => `${a.orderId} ${a.condition}`);
      expect(new Set([...sentBySlow, ...passesOfB.flat()].filter((l) => labels.includes(l)))).toEqual(new Set(labels));
      expect(sentBySlow.filter((l) => labels.includes(l))).toHaveLength(1); // it held one alert at a time
    } finally {
      slow.close();
    }
    for (const alert of flagged) {
      expect(await mailsOf(alert)).toHaveLength(1);
      expect(await alertsOf(alert.orderId)).toEqual([expect.objectContaining({ status: "sent", attempts: 1, lastError: null })]);
    }
  });

  it("a sender whose claim lapsed mid-send cannot undo what the next claim settled", async () => {
    const [alert] = await flaggedOrders(1);
    await makeDue(alert!);
    let passOfB: Awaited<ReturnType<typeof sendOperatorAlerts>> | undefined;
    // The relay hangs past the claim's lease, another sender sends the alert, then this send fails.
    const dead = sendingSlowly("smtp://127.0.0.1:1", async () => {
      await timePasses(70);
      passOfB = await sendOperatorAlerts(t.db, options);
    });
    try {
      const lapsed = await sendOperatorAlerts(t.db, { ...options, transport: dead });
      expect(lapsed).toEqual({ sent: [], retrying: [], givenUp: [] }); // its failure settled nothing
    } finally {
      dead.close();
    }
    expect(passOfB!.sent).toContain(`${alert!.orderId} ${alert!.condition}`);
    expect(await alertsOf(alert!.orderId)).toEqual([expect.objectContaining({ status: "sent", attempts: 2, lastError: null })]);
    expect(await mailsOf(alert!)).toHaveLength(1);
  });
});
