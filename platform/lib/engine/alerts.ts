// Alerts when a run ends badly (FAILED, CRASHED, TIMED_OUT, SYSTEM_FAILURE, after its last attempt), in
// Trigger.dev's alert webhook shape ("alert.run.failed", the SDK's `Webhook` schema), signed as Trigger.dev
// signs them (x-trigger-signature-hmacsha256: the body's HMAC-SHA256 under the channel's secret, hex), so a
// receiver checks them with the SDK's `webhooks.constructEvent`.
//
// At least once, never twice for one run and channel: the delivery row is made in the transaction that ends
// the run (unique per run and channel), and sent by the timers; a failed send is retried with backoff (the
// row keeps the last error); a platform that dies mid-send sends again, with the same webhook id.
import { createHmac, randomUUID } from "node:crypto";
import { Webhook } from "@trigger.dev/core/v3/schemas";
import { and, eq, sql } from "drizzle-orm";
import type { z } from "zod";
import type { DatabaseOrTransaction } from "../db/client";
import { alertDeliveries, runs, type Run } from "../db/schema";
import { environmentById } from "../environments";
import type { EngineContext } from "./engine-context";
import type { Effects } from "./run-notifier";
import { apiStatus, type EngineStatus } from "./run-statuses";
import { DUE_BATCH, earliest, type DueWork } from "./timers";
import { workerById } from "./workers";

/** Where alerts go: a webhook URL and the secret its deliveries are signed with. */
export type AlertWebhook = { url: string; secret: string };

const ALERTING: readonly EngineStatus[] = ["COMPLETED_WITH_ERRORS", "CRASHED", "TIMED_OUT", "SYSTEM_FAILURE"];
/** Sends tried before a delivery is given up (it stays in the table, failed, with its last error). */
const MAX_ATTEMPTS = 10;
/** How long a receiver gets to answer; a delivery in flight is not picked up again for this long. */
const SEND_TIMEOUT_MS = 10_000;
const IN_FLIGHT_MS = 60_000;
const backoffMs = (attempts: number) => Math.min(1_000 * 2 ** (attempts - 1), 10 * 60_000);
const WEBHOOK_VERSION = "2025-05-01";

const channelOf = (webhook: AlertWebhook) => `webhook:${webhook.url}`;

/** In the transaction that ends a run: an alert per channel, if the run ended badly. */
export async function enqueueAlerts(ctx: EngineContext, tx: DatabaseOrTransaction, effects: Effects, run: Run): Promise<void> {
  const webhooks = ctx.options.alertWebhooks ?? [];
  if (webhooks.length === 0 || !ALERTING.includes(run.status as EngineStatus)) return;
  await tx
    .insert(alertDeliveries)
    .values(webhooks.map((webhook) => ({ id: `alert_${randomUUID().replace(/-/g, "")}`, runId: run.id, channel: channelOf(webhook) })))
    .onConflictDoNothing();
  effects.timers.push(new Date());
}

export function alertDeliveriesDueWork(ctx: EngineContext): DueWork {
  const { db } = ctx;
  const inFlight = new Set<string>();
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
        inFlight.add(delivery.id);
        void send(ctx, delivery).finally(() => inFlight.delete(delivery.id));
      }
    },
  };
}

async function send(ctx: EngineContext, delivery: typeof alertDeliveries.$inferSelect): Promise<void> {
  const webhook = (ctx.options.alertWebhooks ?? []).find((w) => channelOf(w) === delivery.channel);
  const attempts = delivery.attempts + 1;
  let error: string | undefined;
  try {
    if (!webhook) throw new Error(`the channel ${delivery.channel} is no longer configured`);
    const body = JSON.stringify(await alertPayload(ctx, delivery));
    const answer = await fetch(webhook.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-trigger-signature-hmacsha256": createHmac("sha256", webhook.secret).update(body).digest("hex"),
      },
      body,
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    await answer.arrayBuffer().catch(() => undefined);
    if (!answer.ok) error = `the receiver answered ${answer.status}`;
  } catch (thrown) {
    error = thrown instanceof Error ? thrown.message : String(thrown);
  }
  await ctx.db
    .update(alertDeliveries)
    .set(
      error === undefined
        ? { status: "delivered", attempts, deliveredAt: sql`now()`, lastError: null }
        : {
            status: attempts >= MAX_ATTEMPTS || !webhook ? "failed" : "pending",
            attempts,
            lastError: error.slice(0, 500),
            nextAttemptAt: new Date(Date.now() + backoffMs(attempts)),
          },
    )
    .where(and(eq(alertDeliveries.id, delivery.id), eq(alertDeliveries.status, "pending")));
  if (error !== undefined) ctx.notifier.timerChanged(new Date(Date.now() + backoffMs(attempts)));
}

/** The run's alert as Trigger.dev's "alert.run.failed" webhook (checked against the SDK's own schema). */
async function alertPayload(ctx: EngineContext, delivery: typeof alertDeliveries.$inferSelect): Promise<z.output<typeof Webhook>> {
  const [run] = await ctx.db.select().from(runs).where(eq(runs.id, delivery.runId));
  if (!run) throw new Error(`run ${delivery.runId} no longer exists`);
  const env = await environmentById(ctx.db, run.environmentId);
  const worker = run.workerId ? await workerById(ctx, run.workerId) : undefined;
  const task = worker?.tasks.get(run.taskIdentifier);
  const metadata = (worker?.metadata ?? {}) as { packageVersion?: string; cliPackageVersion?: string };
  const ref = env?.projectRef ?? "unknown";
  const payload = {
    id: delivery.id,
    created: delivery.createdAt,
    webhookVersion: WEBHOOK_VERSION,
    type: "alert.run.failed" as const,
    object: {
      task: {
        id: run.taskIdentifier,
        filePath: task?.filePath ?? "unknown",
        ...(task?.exportName ? { exportName: task.exportName } : {}),
        version: worker?.version ?? "unknown",
        sdkVersion: metadata.packageVersion ?? "unknown",
        cliVersion: metadata.cliPackageVersion ?? "unknown",
      },
      run: {
        id: run.friendlyId,
        number: 0,
        status: apiStatus(run),
        createdAt: run.createdAt,
        ...(run.startedAt ? { startedAt: run.startedAt } : {}),
        ...(run.completedAt ? { completedAt: run.completedAt } : {}),
        isTest: run.isTest,
        ...(run.idempotencyKey ? { idempotencyKey: run.idempotencyKey } : {}),
        tags: run.tags,
        error: run.error ?? { type: "STRING_ERROR", raw: `Run ended ${run.status}` },
        isOutOfMemoryError: false,
        machine: "small-1x",
        dashboardUrl: `${ctx.origin}/projects/v3/${ref}/runs/${run.friendlyId}`,
      },
      environment: { id: run.environmentId, type: "DEVELOPMENT" as const, slug: env?.slug ?? "dev" },
      organization: { id: "org_local", slug: "local", name: "Local" },
      project: { id: env?.projectId ?? "unknown", ref, slug: ref, name: env?.projectName ?? ref },
    },
  };
  return Webhook.parse(payload);
}

/** Deliveries of a run's alerts (the log). */
export async function alertDeliveriesOf(db: DatabaseOrTransaction, runId: string) {
  return db.select().from(alertDeliveries).where(eq(alertDeliveries.runId, runId));
}
