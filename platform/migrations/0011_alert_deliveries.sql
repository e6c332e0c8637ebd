CREATE TABLE "trigger_platform"."alert_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"channel" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "alert_deliveries_run_channel_unique" ON "trigger_platform"."alert_deliveries" USING btree ("run_id","channel");--> statement-breakpoint
CREATE INDEX "alert_deliveries_due_idx" ON "trigger_platform"."alert_deliveries" USING btree ("next_attempt_at") WHERE "trigger_platform"."alert_deliveries"."status" = 'pending';