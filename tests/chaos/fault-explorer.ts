// The fault explorer: the whole stack of `npm start` (real CLI, platform, stand-ins, app) on a fresh
// database, the seeded plan of orders and faults played against it (tests/chaos/fault-plan.ts), then every
// fault cleared and the system left to settle (the reconciler every 2 s, after 1 s of quiet: settings, not
// test branches) until the invariants hold after quiescence, or the deadline passes. A failure names the
// seed and prints the timeline of every order a violation names.
import fs from "node:fs";
import os from "node:os";
import { eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { caughtMessages } from "local-stand-ins/schema";
import { runs, snapshots } from "local-trigger/schema";
import { orderEvents, orders, payments } from "../../db/schema";
import { seedCatalog } from "../../db/seed";
import { loadConfig } from "../../src/config";
import { freePort } from "local-trigger/listen";
import { checkInvariants } from "../../src/orders/check-invariants";
import { TERMINAL_STATUSES } from "../../src/orders/order-status";
import { orderTag } from "../../src/orders/order-tag";
import { killWatchdog } from "local-trigger/dev-cli";
import { copyRepository } from "../../src/stack/repository-copy";
import { bootStack } from "../../src/stack/stack";
import { fireReconciler } from "../support/reconciler";
import { CHAOS_CATALOG, describePlan, planFaults, type FaultPlan, type PlannedFault, type PlannedOrder } from "./fault-plan";

export type ExploreOptions = {
  seed: number;
  orders: number;
  /** A fresh, migrated database for this exploration. */
  databaseUrl: string;
  log?: (line: string) => void;
  /** How long after the last fault the system gets to settle. */
  settleTimeoutMs?: number;
  /** Also print the timelines of this many of the slowest orders (a passing run can be slow). */
  showSlowest?: number;
};

export type ExploreReport = {
  seed: number;
  plan: FaultPlan;
  violations: string[];
  /** Orders by final status. */
  outcomes: Record<string, number>;
  settledInMs: number;
  /** Timelines of the orders the violations name (empty when none). */
  timelines: string[];
};

/** The stack's settings for exploring: short timeouts and a reconciler that looks every 2 s. */
export const CHAOS_SETTINGS = {
  RECONCILE_AFTER: "1s",
  RECONCILE_INTERVAL: "2s",
  RESERVATION_TTL: "20s",
  STRIPE_TIMEOUT: "1500ms",
  ORDER_REMINDER_DELAY: "2s",
  // A run whose CLI died while the platform was down (its watchdog could not report it) is found by its
  // stopped heartbeat: 15 s instead of 90 s, so that a plan with both does not wait a minute and a half.
  PLATFORM_HEARTBEAT_TIMEOUT: "15s",
} as const;

export async function exploreFaults(options: ExploreOptions): Promise<ExploreReport> {
  const log = options.log ?? (() => {});
  const plan = planFaults(options.seed, options.orders);
  describePlan(plan).forEach((line) => log(line));

  const [app, platform, stripe, smtp] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const config = loadConfig({
    ...CHAOS_SETTINGS,
    DATABASE_URL: options.databaseUrl,
    APP_PORT: String(app),
    PLATFORM_PORT: String(platform),
    STRIPE_FAKE_PORT: String(stripe),
    SMTP_CATCHER_PORT: String(smtp),
  });
  const projectDir = copyRepository();
  const stack = await bootStack(config, (line) => log(`  [stack] ${line}`), { projectDir });
  try {
    await seedCatalog(stack.db, CHAOS_CATALOG);
    await fireReconciler(stack);
    const started = Date.now();
    await Promise.all([...plan.orders.map((o) => playOrder(o)), ...plan.faults.map((f) => playFault(f))]);
    log(`plan played in ${((Date.now() - started) / 1000).toFixed(1)} s; faults cleared, settling`);
    stack.standIn!.faults.clear();
    stack.catcher!.refusals.clear();

    const settleStarted = Date.now();
    const deadline = settleStarted + (options.settleTimeoutMs ?? 360_000);
    let violations = await checkInvariants(stack.db, { quiescent: true });
    let reportedAt = settleStarted;
    while (violations.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2_000));
      violations = await checkInvariants(stack.db, { quiescent: true });
      if (violations.length > 0 && Date.now() - reportedAt >= UNSETTLED_REPORT_EVERY_MS) {
        reportedAt = Date.now();
        (await unsettledReport(stack.db, violations)).forEach((line) => log(line));
      }
    }
    const settledInMs = Date.now() - settleStarted;
    if (violations.length === 0) {
      // Quiet for a moment more: a late webhook or a second refund must not break what held.
      await new Promise((r) => setTimeout(r, 3_000));
      violations = await checkInvariants(stack.db, { quiescent: true });
    }
    const outcomes = await outcomesOf(stack.db, plan);
    log(
      `settled in ${(settledInMs / 1000).toFixed(1)} s: ${Object.entries(outcomes)
        .map(([s, n]) => `${s} ${n}`)
        .join(", ")}`,
    );
    const slowest = await slowestOrders(stack.db, plan, Math.max(3, options.showSlowest ?? 0));
    log(
      `slowest to end: ${slowest
        .slice(0, 3)
        .map((o) => `${o.id} ${o.seconds.toFixed(1)} s (${o.status})`)
        .join(", ")}`,
    );
    if (options.showSlowest)
      (
        await timelinesOf(
          stack.db,
          slowest.slice(0, options.showSlowest).map((o) => o.id),
        )
      ).forEach((line) => log(line));
    const names = (v: string, id: string) => new RegExp(`(order ${id}|<${id}\\.)(?![\\w-])`).test(v);
    const named = [...new Set(violations.flatMap((v) => plan.orders.filter((o) => names(v, o.id)).map((o) => o.id)))];
    const timelines =
      violations.length > 0 ? await timelinesOf(stack.db, named.length > 0 ? named : plan.orders.map((o) => o.id).slice(0, 5)) : [];
    return { seed: plan.seed, plan, violations, outcomes, settledInMs, timelines };
  } finally {
    await stack.stop();
    killWatchdog(projectDir);
    fs.rmSync(projectDir, { recursive: true, force: true });
  }

  async function playOrder(o: PlannedOrder) {
    await sleep(o.atMs);
    const event = { id: o.id, customer: { email: `${o.id}@example.com` }, lines: o.lines, currency: "usd", paymentMethod: o.paymentMethod };
    const sends = [postEvent("order.created", event), ...(o.duplicate ? [postEvent("order.created", event)] : [])];
    await Promise.all(sends);
    if (o.cancel) {
      if (o.cancel.after === "end") await untilEnded(o.id);
      await sleep(o.cancel.afterMs);
      await postEvent("order.cancelled", { id: o.id, reason: "changed my mind" });
    }
  }

  async function playFault(f: PlannedFault) {
    await sleep(f.atMs);
    switch (f.kind) {
      case "stripe":
        stack.standIn!.faults.inject(f.spec);
        return;
      case "smtp_refuse":
        stack.catcher!.refusals.refuseFor(f.forMs);
        return;
      case "kill_cli":
        log("  SIGKILL the CLI and its task processes");
        await stack.cli()!.stop("crash");
        await sleep(f.downMs);
        await stack.launchCli();
        log("  CLI relaunched");
        return;
      case "restart_platform":
        await stack.restartPlatform(f.downMs);
        log("  platform restarted");
        return;
    }
  }

  /** Until the order has ended; after two minutes the cancel goes anyway (it then races the workflow). */
  async function untilEnded(id: string) {
    const terminal: readonly string[] = TERMINAL_STATUSES;
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(250)) {
      const [row] = await stack.db.select({ status: orders.status }).from(orders).where(eq(orders.id, id));
      if (row && terminal.includes(row.status)) return;
    }
  }

  /** A shop's client: retries a 5xx (the platform may be restarting) with the same event, as it should. */
  async function postEvent(name: string, body: unknown) {
    for (let attempt = 1; ; attempt++) {
      const response = await fetch(`${stack.app.url}/api/events/${name}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${stack.appApiToken}` },
        body: JSON.stringify(body),
      }).catch(() => undefined);
      if (response && response.status < 500) {
        if (response.status >= 400)
          throw new Error(`${name} ${JSON.stringify(body)} was refused: ${response.status} ${await response.text()}`);
        return;
      }
      if (attempt === 8) return; // left to the reconciler: an accepted order it never saw started
      await sleep(500 * attempt);
    }
  }
}

/** While settling drags on, what is still open is printed this often (a slow settle is a bug to find). */
const UNSETTLED_REPORT_EVERY_MS = 30_000;

/** The invariants still broken and every run not yet finished, with its latest snapshot and lease. */
async function unsettledReport(db: Database, violations: string[]): Promise<string[]> {
  const open = await db.execute<{
    friendly_id: string;
    task_identifier: string;
    status: string;
    tags: string[];
    created_at: string;
    lease_until: string | null;
    available_at: string | null;
    latest: string | null;
    latest_at: string | null;
  }>(sql`
    SELECT r.friendly_id, r.task_identifier, r.status, r.tags, r.created_at::text, r.lease_until::text, r.available_at::text,
           s.execution_status || ': ' || s.description AS latest, s.created_at::text AS latest_at
    FROM trigger_platform.runs r
    LEFT JOIN LATERAL (SELECT * FROM trigger_platform.snapshots WHERE run_id = r.id ORDER BY seq DESC LIMIT 1) s ON true
    WHERE r.completed_at IS NULL ORDER BY r.created_at`);
  return [
    // The machine's load too: on a starved machine every lease is at risk, and that is worth seeing beside the runs.
    `still settling at ${new Date().toISOString().slice(11, 23)}: ${violations.length} violation(s), ${open.length} run(s) open, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
    ...violations.slice(0, 5).map((v) => `  violation: ${v}`),
    ...open.map(
      (r) =>
        `  ${r.friendly_id} ${r.task_identifier} ${r.status} [${r.tags.join(",")}] created ${r.created_at.slice(11, 23)} lease ${r.lease_until?.slice(11, 23) ?? "-"} available ${r.available_at?.slice(11, 23) ?? "-"} latest ${r.latest_at?.slice(11, 23) ?? "-"} ${r.latest ?? "-"}`,
    ),
  ];
}

/** Orders by final status, a cancelled one by the status it was cancelled from ("cancelled from completed"). */
async function outcomesOf(db: Database, plan: FaultPlan): Promise<Record<string, number>> {
  const rows = await db.execute<{ outcome: string }>(sql`
    SELECT CASE WHEN o.status = 'cancelled' THEN 'cancelled from ' || coalesce((
      SELECT replace(e.type, 'status.', '') FROM fulfillment.order_events e
      WHERE e.order_id = o.id AND e.type LIKE 'status.%' AND e.type <> 'status.cancelled' ORDER BY e.id DESC LIMIT 1), 'pending')
    ELSE o.status::text END AS outcome
    FROM fulfillment.orders o WHERE o.id IN ${plan.orders.map((o) => o.id)}`);
  const outcomes: Record<string, number> = {};
  for (const { outcome } of rows) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  return outcomes;
}

/** The orders that took longest from acceptance to their last status. */
async function slowestOrders(db: Database, plan: FaultPlan, count: number) {
  const rows = await db.execute<{ id: string; status: string; seconds: number }>(sql`
    SELECT o.id, o.status, extract(epoch FROM max(e.created_at) - o.created_at)::float AS seconds
    FROM fulfillment.orders o JOIN fulfillment.order_events e ON e.order_id = o.id AND e.type LIKE 'status.%'
    WHERE o.id IN ${plan.orders.map((o) => o.id)} GROUP BY o.id ORDER BY seconds DESC LIMIT ${count}`);
  return [...rows];
}

/** Each order as it went: its timeline, payments, mails and runs, in time order. */
async function timelinesOf(db: Database, orderIds: string[]): Promise<string[]> {
  const lines: string[] = [];
  for (const id of orderIds) {
    const [order] = await db.select().from(orders).where(eq(orders.id, id));
    lines.push(
      `order ${id}: ${order ? `${order.status}${order.failureReason ? ` (${order.failureReason})` : ""}, paying with ${order.paymentMethod}` : "never accepted"}`,
    );
    const events = await db.select().from(orderEvents).where(eq(orderEvents.orderId, id)).orderBy(orderEvents.id);
    for (const e of events) lines.push(`  ${e.createdAt.toISOString().slice(11, 23)} ${e.type} ${JSON.stringify(e.detail)}`);
    for (const p of await db.select().from(payments).where(eq(payments.orderId, id))) {
      lines.push(
        `  payment ${p.kind} ${p.status} ${p.providerId ?? "-"} ${p.amountCents} attempts=${p.attempts}${p.failureCode ? ` ${p.failureCode}` : ""}`,
      );
    }
    for (const m of await db
      .select()
      .from(caughtMessages)
      .where(eq(caughtMessages.toAddress, `${id}@example.com`)))
      lines.push(`  mail ${m.receivedAt.toISOString().slice(11, 23)} ${m.subject}`);
    for (const r of await db
      .select()
      .from(runs)
      .where(sql`${runs.tags} @> ARRAY[${orderTag(id)}]::text[]`)
      .orderBy(runs.createdAt)) {
      lines.push(`  run ${r.friendlyId} ${r.taskIdentifier} ${r.status} (created ${r.createdAt.toISOString().slice(11, 23)})`);
      // Where a slow run spent its time: each of its snapshots, when it was taken.
      for (const snap of await db.select().from(snapshots).where(eq(snapshots.runId, r.id)).orderBy(snapshots.seq))
        lines.push(`    ${snap.createdAt.toISOString().slice(11, 23)} ${snap.executionStatus} ${snap.description}`);
    }
  }
  return lines;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
