// Events, as Stripe records them, and their delivery to the configured webhook URL: signed with the
// `stripe` SDK's own signer (verifiable by stripe.webhooks.constructEvent) and retried with backoff until
// the endpoint answers 2xx, across restarts of the stand-in.
import { and, asc, isNull, lte, sql, eq } from "drizzle-orm";
import Stripe from "stripe";
import type { Database, DatabaseOrTransaction } from "../../../db/client";
import { stripeObjects, webhookDeliveries, type StripeObject } from "../../../db/schema";
import { insertObject, stripeId, unixNow } from "./object-store";

export type WebhookTarget = { url: string | undefined; secret: string };

export async function recordEvent(
  db: DatabaseOrTransaction,
  target: WebhookTarget,
  type: string,
  object: StripeObject,
  idempotencyKey: string | null,
): Promise<void> {
  const event: StripeObject = {
    id: stripeId("evt"),
    object: "event",
    api_version: Stripe.API_VERSION,
    created: unixNow(),
    data: { object },
    livemode: false,
    pending_webhooks: target.url ? 1 : 0,
    request: { id: null, idempotency_key: idempotencyKey },
    type,
  };
  await insertObject(db, event);
  if (target.url) await db.insert(webhookDeliveries).values({ eventId: event.id, url: target.url });
}

const MAX_BACKOFF_MS = 60_000;

/** Delivers due webhook events; returns how many it attempted. */
export async function deliverDueWebhooks(db: Database, secret: string, limit = 20): Promise<number> {
  return db.transaction(async (tx) => {
    const due = await tx
      .select({ eventId: webhookDeliveries.eventId, url: webhookDeliveries.url, attempts: webhookDeliveries.attempts, data: stripeObjects.data })
      .from(webhookDeliveries)
      .innerJoin(stripeObjects, eq(stripeObjects.id, webhookDeliveries.eventId))
      .where(and(isNull(webhookDeliveries.deliveredAt), lte(webhookDeliveries.nextAttemptAt, sql`now()`)))
      .orderBy(asc(webhookDeliveries.nextAttemptAt))
      .limit(limit)
      .for("update", { skipLocked: true });
    for (const delivery of due) {
      const payload = JSON.stringify(delivery.data, null, 2);
      const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret });
      let failure: string | null = null;
      try {
        const response = await fetch(delivery.url, {
          method: "POST",
          headers: { "content-type": "application/json; charset=utf-8", "stripe-signature": signature, "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)" },
          body: payload,
          signal: AbortSignal.timeout(10_000),
        });
        if (!response.ok) failure = `HTTP ${response.status}`;
      } catch (error) {
        failure = error instanceof Error ? error.message : String(error);
      }
      const backoff = Math.min(MAX_BACKOFF_MS, 500 * 2 ** delivery.attempts);
      await tx
        .update(webhookDeliveries)
        .set(
          failure === null
            ? { deliveredAt: sql`now()`, attempts: delivery.attempts + 1, lastError: null }
            : { attempts: delivery.attempts + 1, lastError: failure, nextAttemptAt: sql`now() + make_interval(secs => ${backoff / 1000})` },
        )
        .where(eq(webhookDeliveries.eventId, delivery.eventId));
    }
    return due.length;
  });
}
