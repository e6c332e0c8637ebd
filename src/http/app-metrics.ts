// The app's metrics, in Prometheus' text format (prom-client), served at GET /metrics with the app's token.
// Read from the database when scraped: orders by status, payments (charges and refunds) by status and
// failure code, stock per SKU, mails by kind and status, and the order latency (accepted → confirmation
// sent) as a histogram over every order that has both. Counted as they happen: Stripe webhook deliveries.
import { sql } from "drizzle-orm";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Database } from "../../db/client";

/** Seconds from an order's acceptance to its confirmation mail. */
const LATENCY_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600];

export type WebhookOutcome = "handled" | "ignored" | "bad_signature" | "retry_later";

export class AppMetrics {
  readonly registry = new Registry();
  private readonly webhooks = new Counter({
    name: "orders_stripe_webhooks_total",
    help: "Stripe webhook deliveries, by event type and what became of them",
    labelNames: ["type", "outcome"],
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: "orders_latency_seconds",
    help: "From an order accepted to its confirmation mail sent, over every confirmed order",
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  constructor(private readonly db: Database) {
    const gauge = (name: string, help: string, labelNames: string[], rows: () => Promise<Array<Record<string, string | number>>>) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const row of await rows()) {
            const { n, ...labels } = row;
            this.set(labels as Record<string, string>, Number(n));
          }
        },
      });
    gauge("orders", "Orders by status", ["status"], () =>
      this.rows(sql`SELECT status::text, count(*)::int AS n FROM fulfillment.orders GROUP BY 1`),
    );
    gauge("orders_payments", "Charges and refunds by status and failure code", ["kind", "status", "failure_code"], () =>
      this.rows(
        sql`SELECT kind::text, status::text, coalesce(failure_code, '') AS failure_code, count(*)::int AS n FROM fulfillment.payments GROUP BY 1, 2, 3`,
      ),
    );
    gauge("orders_stock_available", "Units on hand not reserved, per SKU", ["sku"], () =>
      this.rows(sql`SELECT sku, (on_hand - reserved)::int AS n FROM fulfillment.inventory`),
    );
    gauge("orders_mails", "Mails by kind and status (sent, failed, pending)", ["kind", "status"], () =>
      this.rows(sql`SELECT kind::text, status::text, count(*)::int AS n FROM fulfillment.notifications GROUP BY 1, 2`),
    );
  }

  webhookDelivered(type: string, outcome: WebhookOutcome): void {
    this.webhooks.inc({ type, outcome });
  }

  /** Prometheus' text format of every metric. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    // The latency histogram is rebuilt from the orders' timelines (it counts every confirmed order, kept in
    // the database, so a restart loses nothing); before the registry reads it, which it does in parallel.
    const latencies = await this.rows(
      sql`SELECT extract(epoch FROM min(created_at) FILTER (WHERE type = 'mail.confirmation.sent')
                                  - min(created_at) FILTER (WHERE type = 'accepted'))::float8 AS n
            FROM fulfillment.order_events WHERE type IN ('accepted', 'mail.confirmation.sent')
           GROUP BY order_id HAVING count(*) FILTER (WHERE type = 'mail.confirmation.sent') > 0
                                AND count(*) FILTER (WHERE type = 'accepted') > 0`,
    );
    this.latency.reset();
    for (const { n } of latencies) this.latency.observe(Math.max(0, Number(n)));
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private async rows(query: ReturnType<typeof sql>): Promise<Array<Record<string, string | number>>> {
    return [...(await this.db.execute<Record<string, string | number>>(query))];
  }
}
