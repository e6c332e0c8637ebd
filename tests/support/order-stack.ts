// The whole stack of `npm start` for an e2e test file: its own database and free ports, the real CLI in a
// private copy of this repository (so a developer's own `npm start` is untouched).
import fs from "node:fs";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { loadConfig } from "../../src/config";
import { checkInvariants } from "../../src/orders/check-invariants";
import { bootStack } from "../../src/stack/stack";
import { copyRepository, killWatchdog } from "../../src/stack/dev-cli";
import { freePort } from "../../src/listen";
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
    config,
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
  return {
    get s(): OrderStack {
      return state.stack!;
    },
    /** Fires an event at the app's HTTP API. */
    async post(name: string, body: unknown) {
      const response = await fetch(`${state.stack!.appUrl}/api/events/${name}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    /** An order.created payload with a fresh id; the customer's e-mail is `<id>@example.com`. */
    orderEvent(lines: Record<string, number>, extra: Record<string, unknown> = {}) {
      const id = `e2e-${Date.now().toString(36)}-${++n}`;
      return { id, customer: { email: `${id}@example.com` }, lines: Object.entries(lines).map(([sku, quantity]) => ({ sku, quantity })), currency: "usd", ...extra };
    },
  };
}
