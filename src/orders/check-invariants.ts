// The invariants of DESIGN.md, checked over the whole database. Tests, the e2e suite and the benchmarks
// all end with this one checker; it returns every violation it finds, in words a person can act on.
import { sql } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../../db/client";

export type InvariantOptions = {
  /** Nothing is in flight any more: every order must have reached a terminal status (invariant 3). */
  quiescent?: boolean;
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
      await rows(db, sql`SELECT id, status FROM fulfillment.orders WHERE status NOT IN ('completed', 'failed', 'payment_failed', 'cancelled')`),
      (r) => `order ${r.id} is still ${r.status}`,
    );
  }

  // 4. Each mail kind at most once per order (also in the catcher), and a completed order's confirmation sent.
  report(
    "4 mail once",
    await rows(
      db,
      sql`SELECT message_id, count(*)::int AS n FROM mail_catcher.messages WHERE message_id IS NOT NULL GROUP BY message_id HAVING count(*) > 1`,
    ),
    (r) => `message ${r.message_id} was delivered ${r.n} times`,
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

  // 5. A failed or cancelled order holds no stock and no unrefunded charge.
  report(
    "5 clean failure",
    await rows(
      db,
      sql`SELECT DISTINCT o.id, o.status FROM fulfillment.orders o JOIN fulfillment.reservations r ON r.order_id = o.id
          WHERE o.status IN ('failed', 'payment_failed', 'cancelled') AND r.status IN ('held', 'committed')`,
    ),
    (r) => `order ${r.id} is ${r.status} but still holds stock`,
  );
  report(
    "5 clean failure",
    await rows(
      db,
      sql`SELECT o.id, o.status FROM fulfillment.orders o
          WHERE o.status IN ('failed', 'payment_failed', 'cancelled')
          AND EXISTS (SELECT 1 FROM fulfillment.payments c WHERE c.order_id = o.id AND c.kind = 'charge' AND c.status = 'succeeded')
          AND NOT EXISTS (SELECT 1 FROM fulfillment.payments r WHERE r.order_id = o.id AND r.kind = 'refund' AND r.status = 'succeeded')`,
    ),
    (r) => `order ${r.id} is ${r.status} but its charge was not refunded`,
  );
  return violations;
}
