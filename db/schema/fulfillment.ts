// The shop's tables, in the Postgres schema "fulfillment". Their names and columns are a public contract:
// other tools query them. Money is integer minor units (cents), never floats.
import { sql } from "drizzle-orm";
import { bigserial, check, index, integer, jsonb, pgSchema, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

export const fulfillment = pgSchema("fulfillment");

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();

export const orderStatus = fulfillment.enum("order_status", [
  "pending", // accepted, nothing reserved yet
  "reserved", // every line's stock is held
  "paid", // the charge succeeded
  "completed", // stock sold and the customer told
  "failed", // out of stock, or the workflow could not be run; nothing charged, stock released
  "payment_failed", // Stripe says nothing was charged (declined, refused, not authenticated); stock released
  "cancelled", // cancelled by the customer; refunded and restocked
]);

export const reservationStatus = fulfillment.enum("reservation_status", [
  "held", // counted in inventory.reserved
  "committed", // sold: taken out of on_hand
  "released", // given back before it was sold
  "returned", // sold, then put back on the shelf by a cancellation
]);

export const paymentKind = fulfillment.enum("payment_kind", ["charge", "refund"]);
export const paymentStatus = fulfillment.enum("payment_status", ["pending", "processing", "succeeded", "failed"]);

export const notificationKind = fulfillment.enum("notification_kind", [
  "confirmation",
  "reminder",
  "payment_failed",
  "out_of_stock",
  "cancelled",
  "failed", // the order could not be completed for another reason; nothing charged
]);
export const notificationStatus = fulfillment.enum("notification_status", ["pending", "sending", "sent", "failed"]);
export const operatorAlertStatus = fulfillment.enum("operator_alert_status", [
  "pending", // not sent yet, or sent and to be sent again (next_attempt_at)
  "sent",
  "failed", // given up: the relay refused it for good, or every attempt failed (last_error says why)
]);

export const products = fulfillment.table(
  "products",
  {
    sku: text("sku").primaryKey(),
    name: text("name").notNull(),
    priceCents: integer("price_cents").notNull(),
    currency: text("currency").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    check("products_price_non_negative", sql`${t.priceCents} >= 0`),
    check("products_currency_iso", sql`${t.currency} ~ '^[a-z]{3}$'`),
  ],
);

export const inventory = fulfillment.table(
  "inventory",
  {
    sku: text("sku")
      .primaryKey()
      .references(() => products.sku),
    onHand: integer("on_hand").notNull(),
    reserved: integer("reserved").notNull().default(0),
    updatedAt: updatedAt(),
  },
  // Invariant 1, enforced by the database itself: whatever the code does, it cannot oversell.
  (t) => [check("inventory_reserved_within_on_hand", sql`${t.reserved} >= 0 AND ${t.reserved} <= ${t.onHand}`)],
);

export const orders = fulfillment.table(
  "orders",
  {
    /** The order id the order.created event carries. */
    id: text("id").primaryKey(),
    customerEmail: text("customer_email").notNull(),
    customerName: text("customer_name"),
    status: orderStatus("status").notNull().default("pending"),
    totalCents: integer("total_cents").notNull(),
    currency: text("currency").notNull(),
    paymentMethod: text("payment_method").notNull(),
    /** sha256 of the accepted event's content: the same id with other content is a conflict. */
    contentHash: text("content_hash").notNull(),
    failureReason: text("failure_reason"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check("orders_total_non_negative", sql`${t.totalCents} >= 0`),
    index("orders_created_at_idx").on(t.createdAt),
    index("orders_status_idx").on(t.status),
  ],
);

export const orderItems = fulfillment.table(
  "order_items",
  {
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    sku: text("sku")
      .notNull()
      .references(() => products.sku),
    quantity: integer("quantity").notNull(),
    unitPriceCents: integer("unit_price_cents").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.sku] }), check("order_items_quantity_positive", sql`${t.quantity} > 0`)],
);

export const reservations = fulfillment.table(
  "reservations",
  {
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    sku: text("sku")
      .notNull()
      .references(() => products.sku),
    quantity: integer("quantity").notNull(),
    status: reservationStatus("status").notNull().default("held"),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.sku] }),
    check("reservations_quantity_positive", sql`${t.quantity} > 0`),
    index("reservations_held_expiry_idx")
      .on(t.expiresAt)
      .where(sql`${t.status} = 'held'`),
  ],
);

export const payments = fulfillment.table(
  "payments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    kind: paymentKind("kind").notNull(),
    /** The key sent to Stripe as Idempotency-Key, derived from the order: "order-<id>-charge". */
    idempotencyKey: text("idempotency_key").notNull().unique(),
    /** Stripe's id: the PaymentIntent (pi_…) of a charge, the Refund (re_…) of a refund. */
    providerId: text("provider_id"),
    amountCents: integer("amount_cents").notNull(),
    currency: text("currency").notNull(),
    status: paymentStatus("status").notNull().default("pending"),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    attempts: integer("attempts").notNull().default(0),
    /** A charge Stripe left "processing": the wait token its charge-payment run waits on. Whoever settles
     *  the row (webhook, reconciler, the run itself) completes it. */
    waitTokenId: text("wait_token_id"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check("payments_amount_positive", sql`${t.amountCents} > 0`),
    index("payments_order_idx").on(t.orderId),
    index("payments_provider_idx").on(t.providerId),
    // Invariant 2 in the database: one succeeded charge per order, at most.
    uniqueIndex("payments_one_succeeded_charge_per_order")
      .on(t.orderId)
      .where(sql`${t.kind} = 'charge' AND ${t.status} = 'succeeded'`),
  ],
);

export const notifications = fulfillment.table(
  "notifications",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    kind: notificationKind("kind").notNull(),
    status: notificationStatus("status").notNull().default("pending"),
    /** Deterministic per (order, kind), so a resend after a crash carries the same Message-ID. */
    messageId: text("message_id").notNull(),
    recipient: text("recipient").notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    /** While status is "sending": the sender's lease; a crashed sender's claim lapses at this time. */
    claimedUntil: timestamp("claimed_until", { withTimezone: true }),
    sentAt: timestamp("sent_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  // Invariant 4 in the database: each kind at most once per order.
  (t) => [uniqueIndex("notifications_order_kind_unique").on(t.orderId, t.kind)],
);

export const orderEvents = fulfillment.table(
  "order_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    type: text("type").notNull(),
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index("order_events_order_idx").on(t.orderId, t.id)],
);

/** An order an operator must look at, once per order and condition (the dedup): made in the transaction that
 *  records the condition on the order's timeline, mailed to ALERT_EMAIL at least once, retried with backoff.
 *  The table is the delivery log. */
export const operatorAlerts = fulfillment.table(
  "operator_alerts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    /** What needs a person, as the order's timeline names it (refund.needs_operator, workflow.needs_operator). */
    condition: text("condition").notNull(),
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default({}),
    status: operatorAlertStatus("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    /** When it is sent next; while a sender holds it, when its claim lapses. */
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    lastError: text("last_error"),
    sentAt: timestamp("sent_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("operator_alerts_order_condition_unique").on(t.orderId, t.condition),
    index("operator_alerts_due_idx")
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
  ],
);

/** Events received through the app, by name and event id: an event id names one order, for good. */
export const inboundEvents = fulfillment.table(
  "inbound_events",
  {
    name: text("name").notNull(),
    eventId: text("event_id").notNull(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.name, t.eventId] })],
);

/** One row: what makes this install's requests to shared services its own (Stripe idempotency keys and
 *  metadata carry the namespace, so two installs on one Stripe account never replay each other's keys). */
export const installation = fulfillment.table(
  "installation",
  {
    id: integer("id").primaryKey().default(1),
    namespace: text("namespace").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    check("installation_single_row", sql`${t.id} = 1`),
    check("installation_namespace_shape", sql`${t.namespace} ~ '^[a-z0-9]{8,32}$'`),
  ],
);

export type Order = typeof orders.$inferSelect;
export type OrderStatus = (typeof orderStatus.enumValues)[number];
export type OrderItem = typeof orderItems.$inferSelect;
export type Reservation = typeof reservations.$inferSelect;
export type Payment = typeof payments.$inferSelect;
export type Notification = typeof notifications.$inferSelect;
export type NotificationKind = (typeof notificationKind.enumValues)[number];
export type OperatorAlert = typeof operatorAlerts.$inferSelect;
export type Product = typeof products.$inferSelect;
