// Load for the full-stack benchmark: order.created events POSTed to the app (which runs sendEvent), at a
// fixed offered rate or keeping a backlog in flight, and a watcher that sees each order's confirmation
// arrive in the mail catcher and each order reach its end. Everything it reads is what a user could see.
import { sql } from "drizzle-orm";
import type { Database } from "../db/client";
import type { OrderCreatedInput } from "../src/events/order-created";
import { TERMINAL_STATUSES } from "../src/orders/order-status";

export type Accepted = { id: string; acceptedAt: number };

let counter = 0;
/** A one-line order of `sku` for a fresh customer; ids sort by the order they were made in. */
export function benchOrder(prefix: string, sku: string): OrderCreatedInput {
  const id = `${prefix}-${Date.now().toString(36)}-${(++counter).toString().padStart(6, "0")}`;
  return { id, customer: { email: `${id}@bench.example` }, lines: [{ sku, quantity: 1 }], currency: "usd" };
}

/** POST /api/events/order.created; resolves when the app has accepted it (202), with that moment. */
/** The app's API and the token it takes. */
export type AppEndpoint = { url: string; token: string };

export async function fireOrder(app: AppEndpoint, order: OrderCreatedInput): Promise<Accepted> {
  const response = await fetch(`${app.url}/api/events/order.created`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${app.token}` },
    body: JSON.stringify(order),
  });
  const acceptedAt = Date.now();
  if (response.status !== 202) throw new Error(`order ${order.id} was not accepted: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
  return { id: order.id, acceptedAt };
}

/** A burst: `count` orders, `inParallel` at a time, each group sent as soon as the last was accepted. */
export async function fireBurst(
  app: AppEndpoint,
  count: number,
  inParallel: number,
  makeOrder: () => OrderCreatedInput,
): Promise<Accepted[]> {
  const accepted: Accepted[] = [];
  for (let i = 0; i < count; i += inParallel) {
    accepted.push(...(await Promise.all(Array.from({ length: Math.min(inParallel, count - i) }, () => fireOrder(app, makeOrder())))));
  }
  return accepted;
}

/** Offered load: one order every 1/rate seconds for `seconds` (or until `stop`), each sent without waiting for the
 *  last. */
export async function fireAtRate(
  app: AppEndpoint,
  rate: number,
  seconds: number,
  makeOrder: () => OrderCreatedInput,
  stop?: AbortSignal,
): Promise<Accepted[]> {
  const count = Math.round(rate * seconds);
  const started = performance.now();
  const sends: Promise<Accepted>[] = [];
  for (let i = 0; i < count && !stop?.aborted; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sends.push(fireOrder(app, makeOrder()));
  }
  return Promise.all(sends);
}

/**
 * As fast as the stack goes: keeps `backlog` orders accepted but not yet confirmed, topping up as
 * confirmations arrive, for `seconds`. Returns every order it sent (the last ones still in flight).
 */
export async function fireWithBacklog(
  app: AppEndpoint,
  watcher: OrderWatcher,
  backlog: number,
  seconds: number,
  makeOrder: () => OrderCreatedInput,
): Promise<Accepted[]> {
  const sent: Accepted[] = [];
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    const inFlight = sent.length - sent.filter((a) => watcher.confirmedAt(a.id) !== undefined).length;
    const toSend = backlog - inFlight;
    if (toSend > 0) sent.push(...(await fireBurst(app, toSend, toSend, makeOrder)));
    await new Promise((r) => setTimeout(r, 50));
  }
  return sent;
}

/**
 * Polls the database every 100 ms for new confirmation mails in the catcher (their `received_at` is when
 * the mail was caught) and for orders that reached a terminal status.
 */
export class OrderWatcher {
  private lastMessageId = 0;
  private readonly confirmed = new Map<string, number>();
  private readonly ended = new Map<string, string>();
  private readonly watched = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();

  constructor(private readonly db: Database) {}

  start(): void {
    this.timer = setInterval(() => {
      this.polling = this.polling.then(() => this.poll()).catch((error: unknown) => console.error("watcher:", error));
    }, 100);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.polling;
  }

  /** Orders whose terminal status is wanted (confirmations are seen for every order). */
  watch(ids: string[]): void {
    ids.forEach((id) => this.watched.add(id));
  }

  confirmedAt(id: string): number | undefined {
    return this.confirmed.get(id);
  }

  statusOf(id: string): string | undefined {
    return this.ended.get(id);
  }

  private async poll(): Promise<void> {
    const mails = await this.db.execute<{ id: number; subject: string; received_ms: number }>(
      sql`SELECT id::int AS id, subject, (extract(epoch FROM received_at) * 1000)::float8 AS received_ms
          FROM mail_catcher.messages WHERE id > ${this.lastMessageId} ORDER BY id`,
    );
    for (const mail of mails) {
      this.lastMessageId = Math.max(this.lastMessageId, mail.id);
      const confirmed = /^Order (\S+) confirmed$/.exec(mail.subject);
      if (confirmed) this.confirmed.set(confirmed[1]!, mail.received_ms);
    }
    if (this.watched.size === 0) return;
    const ended = await this.db.execute<{ id: string; status: string }>(
      sql`SELECT id, status FROM fulfillment.orders
          WHERE id = ANY(string_to_array(${[...this.watched].join(",")}, ',')) AND status::text = ANY(string_to_array(${TERMINAL_STATUSES.join(",")}, ','))`,
    );
    for (const row of ended) {
      this.ended.set(row.id, row.status);
      this.watched.delete(row.id);
    }
  }

  /** Resolves when every order has a confirmation (or, with `terminal`, has ended however it ended). */
  async waitFor(ids: string[], what: "confirmed" | "terminal", timeoutMs: number, onProgress?: (done: number) => void): Promise<void> {
    if (what === "terminal") this.watch(ids);
    const deadline = Date.now() + timeoutMs;
    const isDone = (id: string) => (what === "confirmed" ? this.confirmed.has(id) : this.ended.has(id));
    for (;;) {
      const done = ids.filter(isDone).length;
      onProgress?.(done);
      if (done === ids.length) return;
      if (Date.now() > deadline) throw new Error(`only ${done} of ${ids.length} orders ${what} within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Event accepted → confirmation caught, for each order that has one. */
export function latencies(accepted: Accepted[], watcher: OrderWatcher): number[] {
  return accepted.flatMap((a) => {
    const at = watcher.confirmedAt(a.id);
    return at === undefined ? [] : [at - a.acceptedAt];
  });
}
