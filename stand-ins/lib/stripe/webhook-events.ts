// Events, as Stripe records them, and their delivery to the configured webhook URL: signed with the
// `stripe` SDK's own signer (verifiable by stripe.webhooks.constructEvent) and retried with backoff until
// the endpoint answers 2xx, across restarts of the stand-in. Webhook faults (faults.ts) drop, delay or
// duplicate a first delivery.
import { and, asc, isNull, lte, sql, eq } from "drizzle-orm";
import Stripe from "stripe";
import type { Database, DatabaseOrTransaction } from "../db/client";
import { stripeObjects, webhookDeliveries, type StripeObject } from "../db/schema";
import type { FaultPlan } from "./faults";
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
  // clock_timestamp, not the transaction's now(): events recorded together (refund.updated, then
  // charge.refunded) go out in the order they happened.
  if (target.url) await db.insert(webhookDeliveries).values({ eventId: event.id, url: target.url, nextAttemptAt: sql`clock_timestamp()` });
}

const MAX_BACKOFF_MS = 60_000;

type DueDelivery = { eventId: string; url: string; attempts: number; lastError: string | null; data: StripeObject };

/**
 * Delivers due webhook events; returns how many it looked at. Webhook faults from `faults` apply to an
 * event's first delivery only (never sent, no note yet), so a delayed event is not delayed again.
 */
export async function deliverDueWebhooks(
  db: Database,
  secret: string,
  options: { faults?: FaultPlan; limit?: number } = {},
): Promise<number> {
  return db.transaction(async (tx) => {
    const due: DueDelivery[] = await tx
      .select({
        eventId: webhookDeliveries.eventId,
        url: webhookDeliveries.url,
        attempts: webhookDeliveries.attempts,
        lastError: webhookDeliveries.lastError,
        data: stripeObjects.data,
      })
      .from(webhookDeliveries)
      .innerJoin(stripeObjects, eq(stripeObjects.id, webhookDeliveries.eventId))
      .where(and(isNull(webhookDeliveries.deliveredAt), lte(webhookDeliveries.nextAttemptAt, sql`now()`)))
      .orderBy(asc(webhookDeliveries.nextAttemptAt))
      .limit(options.limit ?? 20)
      .for("update", { skipLocked: true });
    for (const delivery of due) {
      const firstDelivery = delivery.attempts === 0 && delivery.lastError === null;
      const fault = firstDelivery ? options.faults?.takeForWebhook(String(delivery.data["type"])) : undefined;
      const thisDelivery = eq(webhookDeliveries.eventId, delivery.eventId);
      if (fault?.kind === "webhook_drop") {
        await tx
          .update(webhookDeliveries)
          .set({ deliveredAt: sql`now()`, lastError: "dropped by the webhook_drop fault: never sent" })
          .where(thisDelivery);
        continue;
      }
      if (fault?.kind === "webhook_delay") {
        await tx
          .update(webhookDeliveries)
          .set({
            nextAttemptAt: sql`now() + make_interval(secs => ${fault.delayMs / 1000})`,
            lastError: `held back ${fault.delayMs} ms by the webhook_delay fault`,
          })
          .where(thisDelivery);
        continue;
      }
      const failure = await send(delivery, secret);
      // The copy's answer is ignored: the endpoint got the event twice, or the first send failed and is retried anyway.
      if (fault?.kind === "webhook_duplicate") await send(delivery, secret);
      const backoff = Math.min(MAX_BACKOFF_MS, 500 * 2 ** delivery.attempts);
      await tx
        .update(webhookDeliveries)
        .set(
          failure === null
            ? { deliveredAt: sql`now()`, attempts: delivery.attempts + 1, lastError: null }
            : { attempts: delivery.attempts + 1, lastError: failure, nextAttemptAt: sql`now() + make_interval(secs => ${backoff / 1000})` },
        )
        .where(thisDelivery);
    }
    return due.length;
  });
}

/** One signed POST of the event; the failure in words, or null when the endpoint answered 2xx. */
async function send(delivery: DueDelivery, secret: string): Promise<string | null> {
  const payload = JSON.stringify(delivery.data, null, 2);
  const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret });
  try {
    const response = await fetch(delivery.url, {
      method: "POST",
      headers: {
        "content-type": "application/json; charset=utf-8",
        "stripe-signature": signature,
        "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
      },
      body: payload,
      signal: AbortSignal.timeout(10_000),
    });
    return response.ok ? null : `HTTP ${response.status}`;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
