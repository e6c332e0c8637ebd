// Order events (each order's timeline) are kept ORDER_EVENT_RETENTION. An order's timeline goes as a whole, once
// the order is in a final status, its newest event is older than that, and nothing of it still waits on money
// or a person (a refund owed, a payment unsettled, an operator alert not sent): no timeline is cut in two, and
// nothing of an order still at work, or that an operator must square, is touched. Oldest events first (their ids
// grow with time), in small transactions that lock their orders with SKIP LOCKED under short timeouts, so an
// order changing status meanwhile keeps its timeline and nobody waits on the sweep. Called by the scheduled task
// jobs/sweep-order-events.ts.
import { inArray, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { operatorAlerts, orders, payments } from "../../db/schema";
import { UNSETTLED } from "../payments/payment-rows";
import { refundOwedSql } from "../payments/refund-order";
import { TERMINAL_STATUSES } from "./order-status";

export type SweepOptions = {
  olderThanMs: number;
  /** Orders per transaction. */
  batchOrders?: number;
  /** Stops after this long (the rest waits for the next run): a task run has a maximum duration. */
  budgetMs?: number;
};
export type SweptEvents = { orders: number; events: number; transactions: number; finished: boolean };

const SCAN_EVENTS = 2_000;
const LOCK_TIMEOUT_MS = 1_000;
const STATEMENT_TIMEOUT_MS = 10_000;

export async function sweepOrderEvents(db: Database, options: SweepOptions): Promise<SweptEvents> {
  const { olderThanMs, batchOrders = 200, budgetMs = 4 * 60_000 } = options;
  const cutoff = sql`now() - make_interval(secs => ${olderThanMs / 1000})`;
  const stopAt = Date.now() + budgetMs;
  const swept: SweptEvents = { orders: 0, events: 0, transactions: 0, finished: false };
  // Ids are bigserial: kept as the driver gives them (strings), compared by Postgres.
  let cursor = "0";
  for (;;) {
    const page = await db.execute<{ id: string; order_id: string; old: boolean }>(
      sql`SELECT id::text AS id, order_id, created_at < ${cutoff} AS old FROM fulfillment.order_events
           WHERE id > ${cursor}::bigint ORDER BY id LIMIT ${SCAN_EVENTS}`,
    );
    if (page.length === 0) break;
    cursor = page.at(-1)!.id;
    const orderIds = [...new Set(page.filter((e) => e.old).map((e) => e.order_id))];
    for (let i = 0; i < orderIds.length; i += batchOrders) {
      if (Date.now() > stopAt) return swept;
      const [done] = await db.transaction(async (tx) => {
        await tx.execute(sql.raw(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT_MS}ms'`));
        await tx.execute(sql.raw(`SET LOCAL statement_timeout = '${STATEMENT_TIMEOUT_MS}ms'`));
        return tx.execute<{ orders: number; events: number }>(
          sql`WITH gone AS (
                SELECT ${orders.id} FROM ${orders}
                 WHERE ${inArray(orders.id, orderIds.slice(i, i + batchOrders))} AND ${inArray(orders.status, TERMINAL_STATUSES)}
                   AND NOT EXISTS (SELECT 1 FROM fulfillment.order_events y WHERE y.order_id = ${orders.id} AND y.created_at >= ${cutoff})
                   AND NOT ${refundOwedSql(orders.id)}
                   AND NOT EXISTS (SELECT 1 FROM ${payments} WHERE ${payments.orderId} = ${orders.id} AND ${inArray(payments.status, UNSETTLED)})
                   AND NOT EXISTS (SELECT 1 FROM ${operatorAlerts} WHERE ${operatorAlerts.orderId} = ${orders.id} AND ${operatorAlerts.status} <> 'sent')
                 FOR UPDATE SKIP LOCKED),
              d AS (DELETE FROM fulfillment.order_events e USING gone WHERE e.order_id = gone.id RETURNING e.order_id)
              SELECT count(DISTINCT order_id)::int AS orders, count(*)::int AS events FROM d`,
        );
      });
      swept.orders += done?.orders ?? 0;
      swept.events += done?.events ?? 0;
      swept.transactions += 1;
    }
    // Event ids grow with time: past the first young one, every later event is young too.
    if (page.length < SCAN_EVENTS || !page.at(-1)!.old) break;
  }
  swept.finished = true;
  return swept;
}
