// Alerts when a run ends badly (FAILED, CRASHED, TIMED_OUT, SYSTEM_FAILURE, after its last attempt), in
// Trigger.dev's shape (alert-payload.ts), to each configured channel: a signed webhook (alert-webhook.ts)
// and an e-mail (alert-email.ts).
//
// At least once, never twice for one run and channel: the delivery row is made in the transaction that ends
// the run (unique per run and channel), and sent by the timers; a failed send is retried with backoff (the
// row keeps the last error); a platform that dies mid-send sends again, with the same webhook id and
// Message-ID.
import { randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../db/client";
import { alertDeliveries, type Run } from "../db/schema";
import type { PlatformOptions } from "../platform-options";
import { emailChannel } from "./alert-email";
import { runAlert, type RunAlert } from "./alert-payload";
import { webhookChannel } from "./alert-webhook";
import type { EngineContext } from "./engine-context";
import type { Effects } from "./run-notifier";
import { DEAD_LETTER_API_STATUSES, ENGINE_STATUSES_OF, type EngineStatus } from "./run-statuses";
import { DUE_BATCH, earliest, type DueWork } from "./timers";

/** Where alerts go. `send` throws to be retried; an error with `permanent: true` gives the delivery up.
 *  `close` lets go of what the channel holds open (the e-mail channel's pooled connections). */
export type AlertChannel = { key: string; send: (alert: RunAlert) => Promise<void>; close?: () => void };

/** A run alerts when it ends as the dead-letter view lists it: failed after its last attempt. */
const ALERTING: readonly EngineStatus[] = DEAD_LETTER_API_STATUSES.flatMap((status) => ENGINE_STATUSES_OF[status]);
/** Sends tried before a delivery is given up (it stays in the table, failed, with its last error). */
const MAX_ATTEMPTS = 10;
/** A delivery in flight is not picked up again for this long (a send times out well before). */
const IN_FLIGHT_MS = 60_000;
const backoffMs = (attempts: number) => Math.min(1_000 * 2 ** (attempts - 1), 10 * 60_000);

/** The channels configured: each webhook, and the e-mail. */
export function alertChannels(options: PlatformOptions): AlertChannel[] {
  return [...(options.alertWebhooks ?? []).map(webhookChannel), ...(options.alertEmail ? [emailChannel(options.alertEmail)] : [])];
}

/** In the transaction that ends a run: an alert per channel, if the run ended badly. */
export async function enqueueAlerts(ctx: EngineContext, tx: DatabaseOrTransaction, effects: Effects, run: Run): Promise<void> {
  const channels = alertChannels(ctx.options);
  if (channels.length === 0 || !ALERTING.includes(run.status as EngineStatus)) return;
  await tx
    .insert(alertDeliveries)
    .values(channels.map((channel) => ({ id: `alert_${randomUUID().replace(/-/g, "")}`, runId: run.id, channel: channel.key })))
    .onConflictDoNothing();
  effects.timers.push(new Date());
}

export function alertDeliveriesDueWork(ctx: EngineContext): DueWork {
  const { db } = ctx;
  // The channels the sends share (one pool of SMTP connections), closed when the timers stop.
  const channels = alertChannels(ctx.options);
  const inFlight = new Map<string, Promise<void>>();
  return {
    name: "alert deliveries",
    nextDue: () => earliest(db, alertDeliveries, alertDeliveries.nextAttemptAt, eq(alertDeliveries.status, "pending")),
    run: async () => {
      const due = await db
        .update(alertDeliveries)
        // Claimed for the send: not picked up again while it is in flight (a crash lets it go after a minute).
        .set({ nextAttemptAt: sql`now() + make_interval(secs => ${IN_FLIGHT_MS / 1000})` })
        .where(
          sql`${alertDeliveries.id} IN (SELECT id FROM trigger_platform.alert_deliveries
                 WHERE status = 'pending' AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT ${DUE_BATCH} FOR UPDATE SKIP LOCKED)`,
        )
        .returning();
      // Sent beside the timer loop, which must not wait on a receiver (waits and delays are due meanwhile).
      for (const delivery of due) {
        if (inFlight.has(delivery.id)) continue;
        inFlight.set(
          delivery.id,
          send(ctx, channels, delivery).finally(() => inFlight.delete(delivery.id)),
        );
      }
    },
    stop: async () => {
      await Promise.allSettled(inFlight.values());
      for (const channel of channels) channel.close?.();
    },
  };
}

async function send(ctx: EngineContext, channels: AlertChannel[], delivery: typeof alertDeliveries.$inferSelect): Promise<void> {
  const channel = channels.find((c) => c.key === delivery.channel);
  const attempts = delivery.attempts + 1;
  let error: string | undefined;
  let permanent = !channel;
  try {
    if (!channel) throw new Error(`the channel ${delivery.channel} is no longer configured`);
    await channel.send(await runAlert(ctx, delivery));
  } catch (thrown) {
    error = thrown instanceof Error ? thrown.message : String(thrown);
    permanent ||= (thrown as { permanent?: unknown }).permanent === true;
  }
  await ctx.db
    .update(alertDeliveries)
    .set(
      error === undefined
        ? { status: "delivered", attempts, deliveredAt: sql`now()`, lastError: null }
        : {
            status: attempts >= MAX_ATTEMPTS || permanent ? "failed" : "pending",
            attempts,
            lastError: error.slice(0, 500),
            nextAttemptAt: new Date(Date.now() + backoffMs(attempts)),
          },
    )
    .where(and(eq(alertDeliveries.id, delivery.id), eq(alertDeliveries.status, "pending")));
  if (error !== undefined) ctx.notifier.timerChanged(new Date(Date.now() + backoffMs(attempts)));
}

/** Deliveries of a run's alerts (the log). */
export async function alertDeliveriesOf(db: DatabaseOrTransaction, runId: string) {
  return db.select().from(alertDeliveries).where(eq(alertDeliveries.runId, runId));
}
