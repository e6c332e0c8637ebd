// The settle timer: objects left in flight with a `settles_at` (a "processing" PaymentIntent, a "pending"
// Refund) reach their outcome when that time comes, and their webhooks go out then, as at Stripe.
import { and, eq, isNotNull, lte, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { stripeObjects } from "../db/schema";
import { settlePaymentIntent, type PaymentIntent } from "./payment-intents";
import { settleRefund, type Refund } from "./refunds";
import type { WebhookTarget } from "./webhook-events";

/** Settles the objects whose time has come; returns how many. Runs on a timer in the stand-in. */
export async function settleDueObjects(db: Database, webhook: WebhookTarget): Promise<number> {
  return db.transaction(async (tx) => {
    const due = await tx
      .select()
      .from(stripeObjects)
      .where(and(isNotNull(stripeObjects.settlesAt), lte(stripeObjects.settlesAt, sql`now()`)))
      .limit(50)
      .for("update", { skipLocked: true });
    for (const row of due) {
      if (row.type === "payment_intent") await settlePaymentIntent(tx, webhook, row.data as PaymentIntent);
      else if (row.type === "refund") await settleRefund(tx, webhook, row.data as Refund);
      else {
        // Nothing else is ever given a settles_at; were one, it must not come back every tick.
        console.error(`[stripe stand-in] ${row.type} ${row.id} has a settles_at but nothing settles it; cleared`);
        await tx.update(stripeObjects).set({ settlesAt: null }).where(eq(stripeObjects.id, row.id));
      }
    }
    return due.length;
  });
}
