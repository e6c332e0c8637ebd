// The direct baseline: the workflow's domain steps called in this process, one after the other, with no
// Trigger.dev in between — accept → reserve → charge on the Stripe stand-in → commit the stock → send the
// confirmation to the mail catcher → completed — on the same Postgres and the same stand-ins as the stack.
import type { Database } from "../db/client";
import { loadConfig } from "../src/config";
import type { OrderCreatedInput } from "../src/events/order-created";
import { commitStock } from "../src/inventory/commit-stock";
import { reserveStock } from "../src/inventory/reserve-stock";
import { createMailTransport } from "../src/mail/mail-transport";
import { notify } from "../src/mail/notify";
import { acceptOrder } from "../src/orders/accept-order";
import { transitionOrder } from "../src/orders/order-status";
import { chargeOrder } from "../src/payments/charge-order";
import { createStripeClient } from "../src/payments/stripe-client";
import { cpuBetween, sampleProcesses } from "./process-cpu";
import { round, summary } from "./stats";
import { withInstallSecrets } from "../src/stack/app-secrets";

/** What the direct baseline's CPU is spent in: this process (the domain steps), Postgres, and the stack's
 *  process, where the Stripe stand-in and the mail catcher answer (its platform and app are idle meanwhile). */
const DIRECT_CPU_ROLES = new Set(["bench process", "postgres", "stack (app, stand-ins, platform)"]);

export type DirectResult = Awaited<ReturnType<typeof measureDirect>>;

/** Orders/s with `concurrency` workers, each fulfilling orders one after another for `seconds`; each order's
 *  latency, and the CPU per order of every process the steps used. */
export async function measureDirect(
  db: Database,
  stack: { stripe: number; smtp: number; dataDir: string },
  concurrency: number,
  seconds: number,
  makeOrder: () => OrderCreatedInput,
) {
  // The stack's own install: its stand-in's key and its mail catcher's login.
  const { config } = withInstallSecrets(
    loadConfig({ STRIPE_FAKE_PORT: String(stack.stripe), SMTP_CATCHER_PORT: String(stack.smtp), DATA_DIR: stack.dataDir }),
  );
  const stripe = createStripeClient(config.stripe);
  const mail = { transport: createMailTransport(config.mail.smtpUrl), from: config.mail.from };
  const fulfil = async (order: OrderCreatedInput) => {
    await acceptOrder(db, order);
    await reserveStock(db, order.id, { ttlMs: config.orders.reservationTtl.ms });
    const charged = await chargeOrder(db, stripe, order.id);
    if (charged.status !== "succeeded") throw new Error(`the direct baseline's charge of ${order.id} is ${charged.status}`);
    await commitStock(db, order.id);
    await notify(db, order.id, "confirmation", mail);
    await transitionOrder(db, order.id, "completed");
  };
  let done = 0;
  const latencyMs: number[] = [];
  const cpuBefore = sampleProcesses();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const orderStarted = performance.now();
        await fulfil(makeOrder());
        latencyMs.push(performance.now() - orderStarted);
        done++;
      }
    }),
  );
  const wallMs = performance.now() - started;
  const cpuMs = cpuBetween(cpuBefore, sampleProcesses(), wallMs)
    .filter((c) => DIRECT_CPU_ROLES.has(c.role))
    .reduce((sum, c) => sum + c.cpuMs, 0);
  mail.transport.close();
  return {
    concurrency,
    orders: done,
    ordersPerSecond: round(done / (wallMs / 1000)),
    latencyMs: summary(latencyMs),
    cpuMsPerOrder: round(cpuMs / Math.max(1, done)),
  };
}
