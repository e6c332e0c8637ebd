// State of the Stripe stand-in (schema "stripe_stand_in"), so that it survives restarts. Objects are kept
// as the JSON Stripe would return; the columns beside them are what the stand-in looks them up by.
import { index, integer, jsonb, pgSchema, text, timestamp } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";

export const stripeStandIn = pgSchema("stripe_stand_in");

/** A Stripe API object as JSON (a PaymentIntent, a Refund, an Event, an error body). */
export type StripeObject = Record<string, unknown> & { id: string; object: string };

export const stripeObjects = stripeStandIn.table(
  "objects",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    data: jsonb("data").$type<StripeObject>().notNull(),
    /** For a PaymentIntent in "processing": when it settles (and its webhook fires). */
    settlesAt: timestamp("settles_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("objects_type_idx").on(t.type, t.createdAt), index("objects_settles_at_idx").on(t.settlesAt)],
);

/** Stripe's idempotency layer: the first response to a key, replayed to every later request with it. */
export const idempotencyKeys = stripeStandIn.table("idempotency_keys", {
  key: text("key").primaryKey(),
  /** method, path and the parsed parameters, hashed: a reuse with other parameters is an idempotency_error. */
  requestFingerprint: text("request_fingerprint").notNull(),
  /** "in_flight" while the first request runs (a concurrent one gets 409), then "done". */
  state: text("state").$type<"in_flight" | "done">().notNull(),
  responseStatus: integer("response_status"),
  responseBody: jsonb("response_body").$type<Record<string, unknown>>(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Webhook deliveries of Events, retried until the endpoint answers 2xx. */
export const webhookDeliveries = stripeStandIn.table(
  "webhook_deliveries",
  {
    eventId: text("event_id").primaryKey(),
    url: text("url").notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
    lastError: text("last_error"),
  },
  // Partial: the delivery loop asks for undelivered ones ten times a second; an index of every delivery made it
  // walk past all the delivered ones each time, slower with each order (npm run bench:retention's statements).
  (t) => [
    index("webhook_deliveries_due_idx")
      .on(t.nextAttemptAt)
      .where(sql`${t.deliveredAt} IS NULL`),
  ],
);

export type StripeObjectRow = typeof stripeObjects.$inferSelect;
