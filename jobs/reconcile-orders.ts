// Every minute, the one sweeper: orders that nothing is working on are brought to where they belong, by
// what Stripe's records say (src/orders/reconcile-order.ts decides). A charge or refund our rows cannot
// tell is looked up and settled, and its waiting run woken; an order that was given up gets its stock
// back, its refund and its final mail; an order that stopped half-way (its run crashed, its trigger was
// lost, its payment's outcome was unknown) has its workflow restarted, which goes on from the steps that
// finished; an order that held stock past RESERVATION_TTL without Stripe ever charging it is given up.
// It waits RECONCILE_AFTER of quiet before touching an order, so it never races a run at work.
import { idempotencyKeys, logger, queue, runs, schedules, tasks, wait } from "@trigger.dev/sdk";
import { EVENTS } from "../src/events/catalogue";
import { startRefund, wakeChargeWaiter } from "../src/events/payment-follow-ups";
import { notify } from "../src/mail/notify";
import { sendOperatorAlerts } from "../src/mail/send-operator-alerts";
import { orderCreatedEventOf } from "../src/orders/order-created-event";
import { findOrdersToReconcile, reconcileOrder, recordRestart } from "../src/orders/reconcile-order";
import { dependencies, orderTag } from "./job-dependencies";

export const RECONCILE_ORDERS = "reconcile-orders";

/** Run statuses in which a run may still act on its order. */
const LIVE = ["PENDING_VERSION", "QUEUED", "DEQUEUED", "EXECUTING", "WAITING", "DELAYED"] as const;
/** Runs of an order that do not work on it now: the reminder waits a day, this task is not the order's. */
const NOT_AT_WORK = new Set(["order-reminder", RECONCILE_ORDERS]);

async function hasLiveRun(orderId: string): Promise<boolean> {
  for await (const run of runs.list({ tag: orderTag(orderId), status: [...LIVE] })) {
    if (!NOT_AT_WORK.has(run.taskIdentifier)) return true;
  }
  return false;
}

export const reconcileOrders = schedules.task({
  id: RECONCILE_ORDERS,
  cron: "* * * * *",
  // One at a time: a run's passes may reach into the next minute.
  queue: queue({ name: "reconciler", concurrencyLimit: 1 }),
  run: async () => {
    // A pass every RECONCILE_INTERVAL until the next tick's run (cron cannot go below a minute).
    const { config } = dependencies();
    const intervalMs = config.orders.reconcileInterval.ms;
    const passes = Math.max(1, Math.floor(60_000 / intervalMs));
    const acted: Record<string, string[]> = {};
    let looked = 0;
    for (let pass = 1; pass <= passes; pass++) {
      const result = await reconcilePass();
      looked += result.looked;
      Object.assign(acted, result.acted);
      if (pass < passes) await wait.for({ seconds: intervalMs / 1000 });
    }
    return { passes, looked, acted };
  },
});

async function reconcileOne(orderId: string): Promise<string[]> {
  const { db, stripe, mail } = dependencies();
  const r = await reconcileOrder(db, stripe, orderId, { workflowLive: await hasLiveRun(orderId) });
  const did = [...r.did];
  if (r.wake && (await wakeChargeWaiter(r.wake))) did.push("woke the run waiting on the charge");
  if (r.refundDue) did.push(`refund run ${await startRefund(db, orderId)}`);
  if (r.mail) did.push(`mail ${r.mail}: ${(await notify(db, orderId, r.mail, mail)).outcome}`);
  if (r.restartWorkflow) {
    const event = await orderCreatedEventOf(db, orderId);
    const key = await idempotencyKeys.create(`order-${orderId}-restart-${r.restarts + 1}`, { scope: "global" });
    const handle = await tasks.trigger(EVENTS["order.created"].task, event, { idempotencyKey: key, tags: [orderTag(orderId)] });
    await recordRestart(db, orderId, handle.id);
    did.push(`workflow restarted (${handle.id}) from ${r.status}`);
  }
  if (r.stripeUnreachable) did.push("Stripe could not be asked; money left as it is");
  return did;
}

async function reconcilePass() {
  const { db, config } = dependencies();
  const orderIds = await findOrdersToReconcile(db, config.orders.reconcileAfter.ms);
  const acted: Record<string, string[]> = {};
  for (const orderId of orderIds) {
    try {
      const did = await reconcileOne(orderId);
      if (did.length > 0) acted[orderId] = did;
    } catch (error) {
      // One order's trouble (a mail the relay refuses, the platform busy) never stops the pass.
      logger.error("could not reconcile this order; the next pass tries again", {
        orderId,
        error: error instanceof Error ? error.message : String(error),
      });
      acted[orderId] = [`error: ${error instanceof Error ? error.message : String(error)}`];
    }
  }
  if (Object.keys(acted).length > 0) logger.info("reconciled", { orders: acted });
  await mailOperatorAlerts();
  return { looked: orderIds.length, acted };
}

/** Orders flagged for an operator are mailed here (and retried here) when no step mailed them at once. */
async function mailOperatorAlerts(): Promise<void> {
  const { db, operatorAlerts } = dependencies();
  try {
    const alerts = await sendOperatorAlerts(db, operatorAlerts);
    if (alerts.sent.length > 0) logger.info("operator alerts sent", { alerts: alerts.sent });
    if (alerts.retrying.length + alerts.givenUp.length > 0) logger.warn("operator alerts not delivered", alerts);
  } catch (error) {
    logger.error("could not send the operator alerts; the next pass tries again", {
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
