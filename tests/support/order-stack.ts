// The whole stack of `npm start` for an e2e test file: its own database and free ports, the real CLI in a
// private copy of this repository (so a developer's own `npm start` is untouched).
import fs from "node:fs";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { caughtMessages } from "local-stand-ins/schema";
import { inventory } from "../../db/schema";
import { TERMINAL_STATUSES } from "../../src/orders/order-status";
import { loadConfig } from "../../src/config";
import { checkInvariants } from "../../src/orders/check-invariants";
import { bootStack } from "../../src/stack/stack";
import { killWatchdog } from "local-trigger/dev-cli";
import { copyRepository } from "../../src/stack/repository-copy";
import { freePort } from "local-trigger/listen";
import { fireReconciler } from "./reconciler";
import { createTestDatabase } from "./test-database";

export async function startOrderStack(env: Record<string, string> = {}) {
  const database = await createTestDatabase();
  const [app, platform, stripe, smtp] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const config = loadConfig({
    DATABASE_URL: database.url,
    APP_PORT: String(app),
    PLATFORM_PORT: String(platform),
    STRIPE_FAKE_PORT: String(stripe),
    SMTP_CATCHER_PORT: String(smtp),
    TRIGGER_PROJECT_REF: "proj_orderfulfillment",
    ORDER_REMINDER_DELAY: "3s",
    ...env,
  });
  const projectDir = copyRepository();
  const lines: string[] = [];
  const stack = await bootStack(config, (line) => lines.push(line), { projectDir });
  return {
    ...stack,
    database,
    appUrl: stack.app.url,
    async close() {
      await stack.stop();
      killWatchdog(projectDir);
      await database.close();
      fs.rmSync(projectDir, { recursive: true, force: true });
    },
  };
}

export type OrderStack = Awaited<ReturnType<typeof startOrderStack>>;

/** For an e2e file: the stack started before its tests and stopped after; every test ends with the
 *  invariant checker over the whole database (and the stand-ins' faults cleared). */
export function useOrderStack(env: Record<string, string> = {}) {
  const state: { stack?: OrderStack } = {};
  beforeAll(async () => {
    state.stack = await startOrderStack(env);
  }, 180_000);
  afterEach(async () => {
    state.stack!.standIn?.faults.clear();
    state.stack!.catcher?.refusals.clear();
    expect(await checkInvariants(state.stack!.db)).toEqual([]);
  });
  afterAll(async () => {
    await state.stack?.close();
  });
  let n = 0;
  /** What the app's API takes: JSON, and the stack's app token. */
  const appHeaders = () => ({ "content-type": "application/json", authorization: `Bearer ${state.stack!.appApiToken}` });
  const order = async (id: string): Promise<OrderView> =>
    (await (await fetch(`${state.stack!.appUrl}/api/orders/${id}`, { headers: appHeaders() })).json()) as OrderView;
  return {
    get s(): OrderStack {
      return state.stack!;
    },
    /** Fires an event at the app's HTTP API. */
    async post(name: string, body: unknown) {
      const response = await fetch(`${state.stack!.appUrl}/api/events/${name}`, {
        method: "POST",
        headers: appHeaders(),
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    /** An order.created payload with a fresh id; the customer's e-mail is `<id>@example.com`. */
    orderEvent(lines: Record<string, number>, extra: Record<string, unknown> = {}) {
      const id = `e2e-${Date.now().toString(36)}-${++n}`;
      return {
        id,
        customer: { email: `${id}@example.com` },
        lines: Object.entries(lines).map(([sku, quantity]) => ({ sku, quantity })),
        currency: "usd",
        ...extra,
      };
    },
    /** The order as GET /api/orders/:id shows it. */
    order,
    /** Waits until the order has reached a terminal status. */
    untilTerminal: (id: string, ms = 60_000) =>
      until(
        `order ${id} to end`,
        async () => {
          const o = await order(id);
          return (TERMINAL_STATUSES as readonly string[]).includes(o.status) ? o : undefined;
        },
        ms,
      ),
    until,
    mailsOf: (id: string) =>
      state
        .stack!.db.select()
        .from(caughtMessages)
        .where(eq(caughtMessages.toAddress, `${id}@example.com`)),
    stockOf: async (sku: string) => (await state.stack!.db.select().from(inventory).where(eq(inventory.sku, sku)))[0]!,
    /** Fires the reconciler's schedule now instead of waiting for the minute. */
    fireReconciler: () => fireReconciler(state.stack!),
  };
}

export type OrderView = {
  id: string;
  status: string;
  failureReason: string | null;
  payments: { kind: string; status: string; providerId: string | null; failureCode: string | null; amountCents: number }[];
  reservations: { sku: string; status: string }[];
  notifications: { kind: string; status: string }[];
  timeline: { type: string }[];
  runs: { id: string; task: string; status: string }[];
};

/** Polls `probe` until it returns a value, or fails naming `what` after `ms`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
