CREATE SCHEMA "fulfillment";
--> statement-breakpoint
CREATE TYPE "fulfillment"."notification_kind" AS ENUM('confirmation', 'reminder', 'payment_failed', 'out_of_stock', 'cancelled', 'failed');--> statement-breakpoint
CREATE TYPE "fulfillment"."notification_status" AS ENUM('pending', 'sending', 'sent', 'failed');--> statement-breakpoint
CREATE TYPE "fulfillment"."order_status" AS ENUM('pending', 'reserved', 'paid', 'completed', 'failed', 'payment_failed', 'cancelled');--> statement-breakpoint
CREATE TYPE "fulfillment"."payment_kind" AS ENUM('charge', 'refund');--> statement-breakpoint
CREATE TYPE "fulfillment"."payment_status" AS ENUM('pending', 'processing', 'succeeded', 'failed');--> statement-breakpoint
CREATE TYPE "fulfillment"."reservation_status" AS ENUM('held', 'committed', 'released', 'returned');--> statement-breakpoint
CREATE TABLE "fulfillment"."inbound_events" (
	"name" text NOT NULL,
	"event_id" text NOT NULL,
	"order_id" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inbound_events_name_event_id_pk" PRIMARY KEY("name","event_id")
);
--> statement-breakpoint
CREATE TABLE "fulfillment"."installation" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"namespace" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "installation_single_row" CHECK ("fulfillment"."installation"."id" = 1),
	CONSTRAINT "installation_namespace_shape" CHECK ("fulfillment"."installation"."namespace" ~ '^[a-z0-9]{8,32}$')
);
--> statement-breakpoint
CREATE TABLE "fulfillment"."inventory" (
	"sku" text PRIMARY KEY NOT NULL,
	"on_hand" integer NOT NULL,
	"reserved" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "inventory_reserved_within_on_hand" CHECK ("fulfillment"."inventory"."reserved" >= 0 AND "fulfillment"."inventory"."reserved" <= "fulfillment"."inventory"."on_hand")
);
--> statement-breakpoint
CREATE TABLE "fulfillment"."notifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" text NOT NULL,
	"kind" "fulfillment"."notification_kind" NOT NULL,
	"status" "fulfillment"."notification_status" DEFAULT 'pending' NOT NULL,
	"message_id" text NOT NULL,
	"recipient" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"claimed_until" timestamp with time zone,
	"sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fulfillment"."order_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"type" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fulfillment"."order_items" (
	"order_id" text NOT NULL,
	"sku" text NOT NULL,
	"quantity" integer NOT NULL,
	"unit_price_cents" integer NOT NULL,
	CONSTRAINT "order_items_order_id_sku_pk" PRIMARY KEY("order_id","sku"),
	CONSTRAINT "order_items_quantity_positive" CHECK ("fulfillment"."order_items"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "fulfillment"."orders" (
	"id" text PRIMARY KEY NOT NULL,
	"customer_email" text NOT NULL,
	"customer_name" text,
	"status" "fulfillment"."order_status" DEFAULT 'pending' NOT NULL,
	"total_cents" integer NOT NULL,
	"currency" text NOT NULL,
	"payment_method" text NOT NULL,
	"content_hash" text NOT NULL,
	"failure_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "orders_total_non_negative" CHECK ("fulfillment"."orders"."total_cents" >= 0)
);
--> statement-breakpoint
CREATE TABLE "fulfillment"."payments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" text NOT NULL,
	"kind" "fulfillment"."payment_kind" NOT NULL,
	"idempotency_key" text NOT NULL,
	"provider_id" text,
	"amount_cents" integer NOT NULL,
	"currency" text NOT NULL,
	"status" "fulfillment"."payment_status" DEFAULT 'pending' NOT NULL,
	"failure_code" text,
	"failure_message" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"wait_token_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payments_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "payments_amount_positive" CHECK ("fulfillment"."payments"."amount_cents" > 0)
);
--> statement-breakpoint
CREATE TABLE "fulfillment"."products" (
	"sku" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"price_cents" integer NOT NULL,
	"currency" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "products_price_non_negative" CHECK ("fulfillment"."products"."price_cents" >= 0),
	CONSTRAINT "products_currency_iso" CHECK ("fulfillment"."products"."currency" ~ '^[a-z]{3}$')
);
--> statement-breakpoint
CREATE TABLE "fulfillment"."reservations" (
	"order_id" text NOT NULL,
	"sku" text NOT NULL,
	"quantity" integer NOT NULL,
	"status" "fulfillment"."reservation_status" DEFAULT 'held' NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reservations_order_id_sku_pk" PRIMARY KEY("order_id","sku"),
	CONSTRAINT "reservations_quantity_positive" CHECK ("fulfillment"."reservations"."quantity" > 0)
);
--> statement-breakpoint
ALTER TABLE "fulfillment"."inbound_events" ADD CONSTRAINT "inbound_events_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "fulfillment"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fulfillment"."inventory" ADD CONSTRAINT "inventory_sku_products_sku_fk" FOREIGN KEY ("sku") REFERENCES "fulfillment"."products"("sku") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fulfillment"."notifications" ADD CONSTRAINT "notifications_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "fulfillment"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fulfillment"."order_events" ADD CONSTRAINT "order_events_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "fulfillment"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fulfillment"."order_items" ADD CONSTRAINT "order_items_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "fulfillment"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fulfillment"."order_items" ADD CONSTRAINT "order_items_sku_products_sku_fk" FOREIGN KEY ("sku") REFERENCES "fulfillment"."products"("sku") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fulfillment"."payments" ADD CONSTRAINT "payments_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "fulfillment"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fulfillment"."reservations" ADD CONSTRAINT "reservations_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "fulfillment"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fulfillment"."reservations" ADD CONSTRAINT "reservations_sku_products_sku_fk" FOREIGN KEY ("sku") REFERENCES "fulfillment"."products"("sku") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_order_kind_unique" ON "fulfillment"."notifications" USING btree ("order_id","kind");--> statement-breakpoint
CREATE INDEX "order_events_order_idx" ON "fulfillment"."order_events" USING btree ("order_id","id");--> statement-breakpoint
CREATE INDEX "orders_created_at_idx" ON "fulfillment"."orders" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "orders_status_idx" ON "fulfillment"."orders" USING btree ("status");--> statement-breakpoint
CREATE INDEX "payments_order_idx" ON "fulfillment"."payments" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "payments_provider_idx" ON "fulfillment"."payments" USING btree ("provider_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payments_one_succeeded_charge_per_order" ON "fulfillment"."payments" USING btree ("order_id") WHERE "fulfillment"."payments"."kind" = 'charge' AND "fulfillment"."payments"."status" = 'succeeded';--> statement-breakpoint
CREATE INDEX "reservations_held_expiry_idx" ON "fulfillment"."reservations" USING btree ("expires_at") WHERE "fulfillment"."reservations"."status" = 'held';