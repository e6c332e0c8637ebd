ALTER TYPE "fulfillment"."notification_kind" ADD VALUE 'failed';--> statement-breakpoint
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
ALTER TABLE "fulfillment"."payments" ADD COLUMN "wait_token_id" text;--> statement-breakpoint
ALTER TABLE "fulfillment"."inbound_events" ADD CONSTRAINT "inbound_events_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "fulfillment"."orders"("id") ON DELETE no action ON UPDATE no action;