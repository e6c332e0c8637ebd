CREATE SCHEMA "stripe_stand_in";
--> statement-breakpoint
CREATE SCHEMA "mail_catcher";
--> statement-breakpoint
CREATE TABLE "stripe_stand_in"."idempotency_keys" (
	"key" text PRIMARY KEY NOT NULL,
	"request_fingerprint" text NOT NULL,
	"state" text NOT NULL,
	"response_status" integer,
	"response_body" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stripe_stand_in"."objects" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"data" jsonb NOT NULL,
	"settles_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stripe_stand_in"."webhook_deliveries" (
	"event_id" text PRIMARY KEY NOT NULL,
	"url" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	"last_error" text
);
--> statement-breakpoint
CREATE TABLE "mail_catcher"."messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"message_id" text,
	"envelope_from" text NOT NULL,
	"envelope_to" text[] NOT NULL,
	"from_address" text,
	"to_address" text,
	"subject" text,
	"text" text,
	"html" text,
	"headers" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "objects_type_idx" ON "stripe_stand_in"."objects" USING btree ("type","created_at");--> statement-breakpoint
CREATE INDEX "objects_settles_at_idx" ON "stripe_stand_in"."objects" USING btree ("settles_at");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due_idx" ON "stripe_stand_in"."webhook_deliveries" USING btree ("next_attempt_at");--> statement-breakpoint
CREATE INDEX "messages_message_id_idx" ON "mail_catcher"."messages" USING btree ("message_id");--> statement-breakpoint
CREATE INDEX "messages_received_at_idx" ON "mail_catcher"."messages" USING btree ("received_at");