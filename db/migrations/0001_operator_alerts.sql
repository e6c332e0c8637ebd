CREATE TYPE "fulfillment"."operator_alert_status" AS ENUM('pending', 'sent', 'failed');--> statement-breakpoint
CREATE TABLE "fulfillment"."operator_alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" text NOT NULL,
	"condition" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" "fulfillment"."operator_alert_status" DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "fulfillment"."operator_alerts" ADD CONSTRAINT "operator_alerts_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "fulfillment"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "operator_alerts_order_condition_unique" ON "fulfillment"."operator_alerts" USING btree ("order_id","condition");--> statement-breakpoint
CREATE INDEX "operator_alerts_due_idx" ON "fulfillment"."operator_alerts" USING btree ("next_attempt_at") WHERE "fulfillment"."operator_alerts"."status" = 'pending';