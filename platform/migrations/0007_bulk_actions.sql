CREATE TABLE "trigger_platform"."bulk_action_runs" (
	"bulk_action_id" text NOT NULL,
	"run_id" text NOT NULL,
	"succeeded" boolean NOT NULL,
	"listed_run_id" text,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bulk_action_runs_bulk_action_id_run_id_pk" PRIMARY KEY("bulk_action_id","run_id")
);
--> statement-breakpoint
CREATE TABLE "trigger_platform"."bulk_actions" (
	"id" text PRIMARY KEY NOT NULL,
	"friendly_id" text NOT NULL,
	"environment_id" text NOT NULL,
	"name" text,
	"type" text NOT NULL,
	"status" text DEFAULT 'PENDING' NOT NULL,
	"selection" jsonb NOT NULL,
	"cursor_run_id" text,
	"next_chunk_at" timestamp with time zone,
	"total_count" integer NOT NULL,
	"success_count" integer DEFAULT 0 NOT NULL,
	"failure_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "bulk_actions_friendly_id_unique" UNIQUE("friendly_id")
);
--> statement-breakpoint
ALTER TABLE "trigger_platform"."bulk_action_runs" ADD CONSTRAINT "bulk_action_runs_bulk_action_id_bulk_actions_id_fk" FOREIGN KEY ("bulk_action_id") REFERENCES "trigger_platform"."bulk_actions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trigger_platform"."bulk_actions" ADD CONSTRAINT "bulk_actions_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "trigger_platform"."environments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "bulk_action_runs_listed_idx" ON "trigger_platform"."bulk_action_runs" USING btree ("listed_run_id");--> statement-breakpoint
CREATE INDEX "bulk_actions_environment_created_idx" ON "trigger_platform"."bulk_actions" USING btree ("environment_id","created_at","id");--> statement-breakpoint
CREATE INDEX "bulk_actions_due_idx" ON "trigger_platform"."bulk_actions" USING btree ("next_chunk_at") WHERE "trigger_platform"."bulk_actions"."status" = 'PENDING';