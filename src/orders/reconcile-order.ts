// The reconciler's look at one order that nothing is working on (no live run of its own): Stripe's records
// settle its money, and the order is brought to where it belongs. It returns what is left to do through
// Trigger.dev (restart the workflow, start a refund, wake a waiting run, send the final mail), which the
// scheduled task does; this module only touches the database and asks Stripe.
import { and, count, eq, lt, sql } from "drizzle-orm";
import type Stripe from "stripe";
import type { Database } from "../../db/client";
import {
  notifications,
  orderEvents,
  orders,
  payments,
  reservations,
  type NotificationKind,
  type Order,
  type Payment,
} from "../../db/schema";
import { giveBackStock } from "../inventory/give-back-stock";
import { NOT_COMPLETED, settlePayment, UNSETTLED } from "../payments/payment-rows";
import { reconcileCharge } from "../payments/reconcile-charge";
import { owesRefund, syncRefunds } from "../payments/refund-order";
import { flagForOperator, WORKFLOW_NEEDS_OPERATOR } from "./operator-alerts";
import { isAbandoned, lockOrder, recordOrderEvent, transitionOrder, transitionOrderIfAllowed } from "./order-status";
import { OrderNotFoundError } from "./order-errors";

export type ReconcileOptions = {
  now?: Date;
  /** A run of the order is at work: only its money is settled from Stripe (always safe, and what wakes a
   *  run waiting on a charge whose webhook was lost); what becomes of the order is that run's to decide. */
  workflowLive?: boolean;
  /** A pending order whose workflow was restarted this often without taking is failed. */
  maxRestarts?: number;
  /** Stripe's search may miss an intent this young: "Stripe has none" is only believed of older rows. */
  searchLagMs?: number;
};

export type Reconciliation = {
  orderId: string;
  status: Order["status"];
  /** What was done here, in words, for the run's log. */
  did: string[];
  /** Start the workflow again: it continues from the steps that finished. */
  restartWorkflow: boolean;
  refundDue: boolean;
  /** A settled charge whose run may still be waiting on its token. */
  wake?: Payment;
  /** The order's final mail, not sent yet. */
  mail?: NotificationKind;
  /** Stripe could not be asked; nothing about money was decided. */
  stripeUnreachable: boolean;
  /** How often the workflow was restarted before. */
  restarts: number;
};

export const WORKFLOW_RESTARTED = "workflow.restarted";

export async function reconcileOrder(
  db: Database,
  stripe: Stripe,
  orderId: string,
  options: ReconcileOptions = {},
): Promise<Reconciliation> {
  const now = options.now ?? new Date();
  const result: Reconciliation = {
    orderId,
    status: "pending",
    did: [],
    restartWorkflow: false,
    refundDue: false,
    stripeUnreachable: false,
    restarts: 0,
  };

  // Money first: Stripe's records settle whatever our rows cannot tell.
  const charge = await reconcileCharge(db, stripe, orderId).catch(() => undefined);
  if (!charge) result.stripeUnreachable = true;
  else if (charge.status === "settled") result.wake = charge.payment;
  await syncRefunds(db, stripe, orderId).catch(() => (result.stripeUnreachable = true));

  let order = await readOrderRow(db, orderId);
  result.status = order.status;
  if (options.workflowLive) return result;
  // Stripe's search may miss an intent sent this recently: "Stripe has none" is believed only of a row
  // whose last send (every attempt touches updated_at) is older than that.
  const unsentForSure = (p: Payment) => now.getTime() - p.updatedAt.getTime() > (options.searchLagMs ?? 120_000);
  if (order.status === "reserved" && charge && !result.stripeUnreachable) {
    const expired = await reservationExpired(db, orderId, now);
    if (expired && (charge.status === "no_charge" || (charge.status === "not_found" && unsentForSure(charge.payment)))) {
      if (await giveUpUnpaid(db, orderId)) result.did.push("reservation expired unpaid: stock released, payment_failed");
      order = await readOrderRow(db, orderId);
    }
  }
  // Given up (cancelled) with a charge Stripe never received: the row is settled as never sent.
  if (isAbandoned(order.status) && charge?.status === "not_found" && unsentForSure(charge.payment)) {
    await settlePayment(db, charge.payment.id, {
      status: "failed",
      providerId: null,
      failureCode: NOT_COMPLETED,
      failureMessage: "Stripe has no PaymentIntent for this charge",
    });
    result.did.push("charge never reached Stripe: settled as not charged");
  }
  result.status = order.status;

  if (isAbandoned(order.status)) {
    const stock = await giveBackStock(db, orderId, `order ${order.status}`);
    if (stock.released + stock.returned > 0) result.did.push(`gave back stock (${stock.released} held, ${stock.returned} sold lines)`);
    result.refundDue = await owesRefund(db, orderId);
    result.mail = await missingFinalMail(db, order);
    return result;
  }

  const [{ restarts } = { restarts: 0 }] = await db
    .select({ restarts: count() })
    .from(orderEvents)
    .where(and(eq(orderEvents.orderId, orderId), eq(orderEvents.type, WORKFLOW_RESTARTED)));
  result.restarts = restarts;
  const maxRestarts = options.maxRestarts ?? 5;
  if (order.status === "paid" && restarts >= maxRestarts * 2) {
    // Charged and its stock held, but the workflow keeps failing after the payment (a mail the relay
    // refuses for good, a bug): restarting again will not help. A person decides: the order is flagged.
    if (await flagForOperator(db, orderId, WORKFLOW_NEEDS_OPERATOR, { restarts }))
      result.did.push(`workflow failed after payment ${restarts} times: left for an operator`);
    return result;
  }
  if (order.status === "pending") {
    if (restarts >= maxRestarts) {
      await transitionOrderIfAllowed(db, orderId, "failed", { reason: "workflow_not_started" });
      result.status = "failed";
      result.did.push(`workflow did not take after ${restarts} restarts: failed`);
      result.mail = await missingFinalMail(db, await readOrderRow(db, orderId));
      return result;
    }
  }
  // pending, reserved or paid with nobody working on it: the workflow goes on from where it stopped,
  // unless the charge is still processing at Stripe (its webhook or the next look settles it).
  if (charge?.status === "processing" || result.stripeUnreachable) return result;
  result.restartWorkflow = true;
  return result;
}

/**
 * Gives up an order that held its stock past its time without Stripe ever receiving its charge: in one
 * transaction under the order's lock (the lock every charge settlement takes first), re-checked there, so a
 * webhook settling the charge meanwhile wins, and a crash leaves all of it or none.
 */
async function giveUpUnpaid(db: Database, orderId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const order = await lockOrder(tx, orderId);
    if (order.status !== "reserved") return false;
    const [charge] = await tx
      .select()
      .from(payments)
      .where(and(eq(payments.orderId, orderId), eq(payments.kind, "charge")));
    if (charge && !UNSETTLED.includes(charge.status)) return false;
    if (charge)
      await settlePayment(tx, charge.id, {
        status: "failed",
        providerId: null,
        failureCode: NOT_COMPLETED,
        failureMessage: "Stripe has no PaymentIntent for this charge",
      });
    await giveBackStock(tx, orderId, "reservation expired before payment");
    await transitionOrder(tx, orderId, "payment_failed", { reason: NOT_COMPLETED });
    return true;
  });
}

/** Records a restart (a restart counts towards maxRestarts, and marks the order active again). */
export async function recordRestart(db: Database, orderId: string, runId: string): Promise<void> {
  await recordOrderEvent(db, orderId, WORKFLOW_RESTARTED, { runId });
}

/** The mail an order given up ends with, by its status and reason: one rule, for the lookup and the sweep. */
const finalMailKind = (o: typeof orders) => sql<NotificationKind | null>`CASE ${o.status}
  WHEN 'cancelled' THEN 'cancelled'::fulfillment.notification_kind
  WHEN 'payment_failed' THEN 'payment_failed'::fulfillment.notification_kind
  WHEN 'failed' THEN (CASE WHEN ${o.failureReason} = 'out_of_stock' THEN 'out_of_stock' ELSE 'failed' END)::fulfillment.notification_kind
  END`;
const finalMailSent = (o: typeof orders) =>
  sql`EXISTS (SELECT 1 FROM ${notifications} n WHERE n.order_id = ${o.id} AND n.status = 'sent' AND n.kind = ${finalMailKind(o)})`;

/** The mail an abandoned order ends with, if it has not gone out. */
async function missingFinalMail(db: Database, order: Order): Promise<NotificationKind | undefined> {
  const [row] = await db
    .select({ kind: finalMailKind(orders), sent: sql<boolean>`${finalMailSent(orders)}` })
    .from(orders)
    .where(eq(orders.id, order.id));
  return row?.kind && !row.sent ? row.kind : undefined;
}

async function reservationExpired(db: Database, orderId: string, now: Date): Promise<boolean> {
  const [row] = await db
    .select({ n: count() })
    .from(reservations)
    .where(and(eq(reservations.orderId, orderId), eq(reservations.status, "held"), lt(reservations.expiresAt, now)));
  return (row?.n ?? 0) > 0;
}

async function readOrderRow(db: Database, orderId: string): Promise<Order> {
  const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
  if (!order) throw new OrderNotFoundError(orderId);
  return order;
}

/**
 * Orders the reconciler looks at: not finished and quiet (no event in their timeline) for `quietMs`;
 * given up but still holding stock or owing a refund; or with a charge or refund Stripe has not settled.
 */
export async function findOrdersToReconcile(db: Database, quietMs: number, limit = 100): Promise<string[]> {
  const rows = await db.execute<{ id: string }>(sql`
    WITH candidates AS (
      SELECT id FROM fulfillment.orders WHERE status IN ('pending', 'reserved', 'paid')
      UNION SELECT r.order_id FROM fulfillment.reservations r JOIN fulfillment.orders o ON o.id = r.order_id
        WHERE r.status = 'held' AND o.status NOT IN ('pending', 'reserved', 'paid')
      UNION SELECT r.order_id FROM fulfillment.reservations r JOIN fulfillment.orders o ON o.id = r.order_id
        WHERE r.status = 'committed' AND o.status = 'cancelled'
      UNION SELECT order_id FROM fulfillment.payments WHERE status IN ('pending', 'processing')
      UNION SELECT c.order_id FROM fulfillment.payments c JOIN fulfillment.orders o ON o.id = c.order_id
        WHERE c.kind = 'charge' AND c.status = 'succeeded' AND o.status IN ('failed', 'payment_failed', 'cancelled')
          AND c.amount_cents > (SELECT coalesce(sum(r.amount_cents), 0) FROM fulfillment.payments r WHERE r.order_id = c.order_id AND r.kind = 'refund' AND r.status = 'succeeded')
      UNION SELECT id FROM ${orders} WHERE status IN ('failed', 'payment_failed', 'cancelled') AND updated_at > now() - interval '1 day' AND NOT ${finalMailSent(orders)}
    )
    SELECT c.id FROM candidates c JOIN fulfillment.orders o ON o.id = c.id
    WHERE greatest(o.updated_at,
        coalesce((SELECT max(e.created_at) FROM fulfillment.order_events e WHERE e.order_id = o.id), o.updated_at),
        coalesce((SELECT max(p.updated_at) FROM fulfillment.payments p WHERE p.order_id = o.id), o.updated_at)) < now() - make_interval(secs => ${quietMs / 1000})
    ORDER BY o.updated_at LIMIT ${limit}`);
  return rows.map((r) => r.id);
}
