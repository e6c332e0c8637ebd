// The invariants of DESIGN.md, checked over the whole database. Tests, the e2e suite and the benchmarks
// all end with this one checker; it returns every violation it finds, in words a person can act on.
import { sql } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../../db/client";

export type InvariantOptions = {
  /** Nothing is in flight any more: every order must have reached its end (3), with its final mail (4),
   *  and every charge at Stripe must be known to us (7). */
  quiescent?: boolean;
  /** Stripe's records are the stand-in's tables (default true; false against real Stripe). */
  standInRecords?: boolean;
};

type Row = Record<string, unknown>;

async function rows(db: DatabaseOrTransaction, query: ReturnType<typeof sql>): Promise<Row[]> {
  return (await db.execute(query)) as unknown as Row[];
}

export async function checkInvariants(db: DatabaseOrTransaction, options: InvariantOptions = {}): Promise<string[]> {
  const violations: string[] = [];
  const report = (rule: string, found: Row[], describe: (r: Row) => string) =>
    found.forEach((r) => violations.push(`${rule}: ${describe(r)}`));

  // 1. No oversell, and the reserved counter agrees with the held reservations.
  report(
    "1 no oversell",
    await rows(db, sql`SELECT sku, on_hand, reserved FROM fulfillment.inventory WHERE reserved < 0 OR reserved > on_hand`),
    (r) => `${r.sku} has reserved=${r.reserved} with on_hand=${r.on_hand}`,
  );
  report(
    "1 no oversell",
    await rows(
      db,
      sql`SELECT i.sku, i.reserved, coalesce(h.held, 0) AS held FROM fulfillment.inventory i
          LEFT JOIN (SELECT sku, sum(quantity)::int AS held FROM fulfillment.reservations WHERE status = 'held' GROUP BY sku) h ON h.sku = i.sku
          WHERE i.reserved <> coalesce(h.held, 0)`,
    ),
    (r) => `${r.sku} counts reserved=${r.reserved} but its held reservations add up to ${r.held}`,
  );

  // 2. At most one successful charge per order, in our table and at Stripe; none without reserved stock.
  report(
    "2 one charge",
    await rows(
      db,
      sql`SELECT order_id, count(*)::int AS n FROM fulfillment.payments WHERE kind = 'charge' AND status = 'succeeded' GROUP BY order_id HAVING count(*) > 1`,
    ),
    (r) => `order ${r.order_id} has ${r.n} succeeded charges`,
  );
  report(
    "2 one charge",
    await rows(
      db,
      sql`SELECT data -> 'metadata' ->> 'order_id' AS order_id, count(*)::int AS n FROM stripe_stand_in.objects
          WHERE type = 'payment_intent' AND data ->> 'status' = 'succeeded' AND data -> 'metadata' ->> 'order_id' IS NOT NULL
          GROUP BY 1 HAVING count(*) > 1`,
    ),
    (r) => `order ${r.order_id} has ${r.n} succeeded PaymentIntents at Stripe`,
  );
  report(
    "2 one charge",
    await rows(
      db,
      sql`SELECT p.order_id FROM fulfillment.payments p WHERE p.kind = 'charge' AND p.status = 'succeeded'
          AND NOT EXISTS (SELECT 1 FROM fulfillment.reservations r WHERE r.order_id = p.order_id)`,
    ),
    (r) => `order ${r.order_id} was charged without ever reserving stock`,
  );

  // 3. No lost order (only meaningful once nothing is in flight).
  if (options.quiescent) {
    report(
      "3 no lost order",
      await rows(
        db,
        sql`SELECT id, status FROM fulfillment.orders WHERE status NOT IN ('completed', 'failed', 'payment_failed', 'cancelled')`,
      ),
      (r) => `order ${r.id} is still ${r.status}`,
    );
  }

  // 4. Each mail kind at most once per order (also in the catcher), but for a resend after its sender died
  //    mid-send (recorded as mail.<kind>.resent, same Message-ID); the mails sent match the final status.
  report(
    "4 mail once",
    await rows(
      db,
      sql`SELECT m.message_id, count(*)::int AS n,
                 (SELECT count(*)::int FROM fulfillment.order_events e WHERE e.type LIKE 'mail.%.resent' AND e.detail ->> 'messageId' = m.message_id) AS resent
            FROM mail_catcher.messages m WHERE m.message_id IS NOT NULL
           GROUP BY m.message_id
          HAVING count(*) > 1 + (SELECT count(*) FROM fulfillment.order_events e WHERE e.type LIKE 'mail.%.resent' AND e.detail ->> 'messageId' = m.message_id)`,
    ),
    (r) => `message ${r.message_id} was delivered ${r.n} times (${r.resent} resend(s) after a sender died mid-send)`,
  );
  report(
    "4 mail matches status",
    await rows(
      db,
      sql`SELECT n.order_id FROM fulfillment.notifications n WHERE n.kind = 'payment_failed' AND n.status = 'sent'
          AND EXISTS (SELECT 1 FROM fulfillment.payments p WHERE p.order_id = n.order_id AND p.kind = 'charge' AND p.status <> 'failed')`,
    ),
    (r) => `order ${r.order_id} was told nothing was charged while its charge is not known to have failed`,
  );
  report(
    "4 confirmation sent",
    await rows(
      db,
      sql`SELECT o.id FROM fulfillment.orders o WHERE o.status = 'completed' AND NOT EXISTS
          (SELECT 1 FROM fulfillment.notifications n WHERE n.order_id = o.id AND n.kind = 'confirmation' AND n.status = 'sent')`,
    ),
    (r) => `order ${r.id} is completed but its confirmation was never sent`,
  );
  if (options.quiescent) {
    // Only once nothing is in flight: the confirmation goes out a moment before the order is completed.
    report(
      "4 mail matches status",
      await rows(
        db,
        sql`SELECT n.order_id, n.kind, o.status FROM fulfillment.notifications n JOIN fulfillment.orders o ON o.id = n.order_id
            WHERE n.status = 'sent' AND NOT CASE n.kind
              WHEN 'confirmation' THEN o.status IN ('completed', 'cancelled')
              WHEN 'reminder' THEN o.status IN ('completed', 'cancelled')
              WHEN 'payment_failed' THEN o.status = 'payment_failed'
              WHEN 'out_of_stock' THEN o.status = 'failed'
              WHEN 'failed' THEN o.status = 'failed'
              WHEN 'cancelled' THEN o.status = 'cancelled' END`,
      ),
      (r) => `order ${r.order_id} is ${r.status} but was sent the ${r.kind} mail`,
    );
    report(
      "4 final mail sent",
      await rows(
        db,
        sql`SELECT o.id, o.status, CASE o.status WHEN 'cancelled' THEN 'cancelled' WHEN 'payment_failed' THEN 'payment_failed'
              ELSE (CASE WHEN o.failure_reason = 'out_of_stock' THEN 'out_of_stock' ELSE 'failed' END) END AS kind
            FROM fulfillment.orders o WHERE o.status IN ('failed', 'payment_failed', 'cancelled') AND NOT EXISTS
            (SELECT 1 FROM fulfillment.notifications n WHERE n.order_id = o.id AND n.status = 'sent' AND n.kind::text =
              CASE o.status WHEN 'cancelled' THEN 'cancelled' WHEN 'payment_failed' THEN 'payment_failed'
              ELSE (CASE WHEN o.failure_reason = 'out_of_stock' THEN 'out_of_stock' ELSE 'failed' END) END)`,
      ),
      (r) => `order ${r.id} ended ${r.status} but its ${r.kind} mail was never sent`,
    );
  }

  // 5. A finished order holds no stock it is not selling, and an order not completed keeps no money.
  report(
    "5 clean end",
    await rows(
      db,
      sql`SELECT DISTINCT o.id, o.status FROM fulfillment.orders o JOIN fulfillment.reservations r ON r.order_id = o.id
          WHERE (o.status IN ('failed', 'payment_failed', 'cancelled') AND r.status IN ('held', 'committed'))
             OR (o.status = 'completed' AND r.status = 'held')`,
    ),
    (r) => `order ${r.id} is ${r.status} but still holds stock`,
  );
  report(
    "5 clean end",
    await rows(
      db,
      sql`SELECT DISTINCT o.id FROM fulfillment.orders o JOIN fulfillment.reservations r ON r.order_id = o.id
          WHERE o.status = 'completed' AND r.status <> 'committed'`,
    ),
    (r) => `order ${r.id} is completed but not all its lines were sold (committed)`,
  );
  report(
    "5 clean end",
    await rows(
      db,
      sql`SELECT o.id, o.status, c.amount_cents AS charged,
            (SELECT coalesce(sum(r.amount_cents), 0)::int FROM fulfillment.payments r WHERE r.order_id = o.id AND r.kind = 'refund' AND r.status = 'succeeded') AS refunded
          FROM fulfillment.orders o JOIN fulfillment.payments c ON c.order_id = o.id AND c.kind = 'charge' AND c.status = 'succeeded'
          WHERE o.status IN ('failed', 'payment_failed', 'cancelled')
            AND c.amount_cents <> (SELECT coalesce(sum(r.amount_cents), 0) FROM fulfillment.payments r WHERE r.order_id = o.id AND r.kind = 'refund' AND r.status = 'succeeded')`,
    ),
    (r) => `order ${r.id} is ${r.status} but ${r.refunded} of its ${r.charged} charged were refunded`,
  );

  // 6. One order per accepted event: the timeline accepts an order once.
  report(
    "6 one workflow",
    await rows(
      db,
      sql`SELECT order_id, count(*)::int AS n FROM fulfillment.order_events WHERE type = 'accepted' GROUP BY order_id HAVING count(*) > 1`,
    ),
    (r) => `order ${r.order_id} was accepted ${r.n} times`,
  );

  // 7. Money agrees with Stripe: every succeeded charge and refund in our rows is one at Stripe, for the
  //    same amount, and (once nothing is in flight) every one at Stripe for our orders is one of our rows.
  if (options.standInRecords !== false) {
    report(
      "4 mail matches status",
      await rows(
        db,
        sql`SELECT n.order_id FROM fulfillment.notifications n WHERE n.kind = 'payment_failed' AND n.status = 'sent'
            AND EXISTS (SELECT 1 FROM stripe_stand_in.objects s WHERE s.type = 'payment_intent' AND s.data ->> 'status' = 'succeeded'
              AND s.data -> 'metadata' ->> 'order_id' = n.order_id
              AND coalesce(s.data -> 'metadata' ->> 'install', (SELECT namespace FROM fulfillment.installation)) = (SELECT namespace FROM fulfillment.installation))`,
      ),
      (r) => `order ${r.order_id} was told nothing was charged, but Stripe has a succeeded charge for it`,
    );
    const stripeSide = sql`SELECT o.id AS stripe_id, o.type, (o.data ->> 'amount')::int AS amount, o.data -> 'metadata' ->> 'order_id' AS order_id
      FROM stripe_stand_in.objects o
      WHERE o.type IN ('payment_intent', 'refund') AND o.data ->> 'status' = 'succeeded'
        AND coalesce(o.data -> 'metadata' ->> 'install', (SELECT namespace FROM fulfillment.installation)) = (SELECT namespace FROM fulfillment.installation)
        AND EXISTS (SELECT 1 FROM fulfillment.orders x WHERE x.id = o.data -> 'metadata' ->> 'order_id')`;
    report(
      "7 money agrees with Stripe",
      await rows(
        db,
        sql`SELECT p.order_id, p.kind, p.provider_id, p.amount_cents, s.amount FROM fulfillment.payments p
            LEFT JOIN (${stripeSide}) s ON s.stripe_id = p.provider_id
            WHERE p.status = 'succeeded' AND (s.stripe_id IS NULL OR s.amount <> p.amount_cents)`,
      ),
      (r) =>
        `order ${r.order_id}: our ${r.kind} ${r.provider_id} of ${r.amount_cents} is ${r.amount === null ? "not a succeeded object at Stripe" : `${r.amount} at Stripe`}`,
    );
    if (options.quiescent) {
      report(
        "7 money agrees with Stripe",
        await rows(db, sql`SELECT order_id, kind, status, provider_id FROM fulfillment.payments WHERE status IN ('pending', 'processing')`),
        (r) => `order ${r.order_id}: our ${r.kind} ${r.provider_id ?? "(never answered)"} is still ${r.status}`,
      );
      report(
        "7 money agrees with Stripe",
        await rows(
          db,
          sql`SELECT s.* FROM (${stripeSide}) s WHERE (SELECT count(*) FROM fulfillment.payments p WHERE p.provider_id = s.stripe_id AND p.status = 'succeeded') <> 1`,
        ),
        (r) => `order ${r.order_id}: Stripe's succeeded ${r.type} ${r.stripe_id} is not exactly one succeeded row of ours`,
      );
    }
  }
  return violations;
}
