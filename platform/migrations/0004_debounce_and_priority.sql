ALTER TABLE "trigger_platform"."runs" ADD COLUMN "priority_ms" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "trigger_platform"."runs" ADD COLUMN "debounce_key" text;--> statement-breakpoint
CREATE UNIQUE INDEX "runs_debounce_key_unique" ON "trigger_platform"."runs" USING btree ("environment_id","task_identifier","debounce_key");