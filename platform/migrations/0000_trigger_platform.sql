CREATE SCHEMA "trigger_platform";
--> statement-breakpoint
CREATE TABLE "trigger_platform"."attempts" (
	"run_id" text NOT NULL,
	"number" integer NOT NULL,
	"status" text NOT NULL,
	"error" jsonb,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "attempts_run_id_number_pk" PRIMARY KEY("run_id","number")
);
--> statement-breakpoint
CREATE TABLE "trigger_platform"."batches" (
	"id" text PRIMARY KEY NOT NULL,
	"friendly_id" text NOT NULL,
	"environment_id" text NOT NULL,
	"parent_run_id" text,
	"resume_parent_on_completion" boolean DEFAULT false NOT NULL,
	"expected_count" integer NOT NULL,
	"status" text DEFAULT 'PENDING' NOT NULL,
	"idempotency_key" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "batches_friendly_id_unique" UNIQUE("friendly_id")
);
--> statement-breakpoint
CREATE TABLE "trigger_platform"."environments" (
	"id" text PRIMARY KEY NOT NULL,
	"project_ref" text NOT NULL,
	"slug" text NOT NULL,
	"api_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "environments_api_key_unique" UNIQUE("api_key")
);
--> statement-breakpoint
CREATE TABLE "trigger_platform"."projects" (
	"ref" text PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "projects_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "trigger_platform"."run_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"kind" text NOT NULL,
	"trace_id" text,
	"span_id" text,
	"parent_span_id" text,
	"name" text NOT NULL,
	"level" text,
	"start_time" timestamp with time zone NOT NULL,
	"duration_ms" integer,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"is_error" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "trigger_platform"."run_waitpoints" (
	"run_id" text NOT NULL,
	"waitpoint_id" text NOT NULL,
	"batch_id" text,
	"batch_index" integer,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "run_waitpoints_run_id_waitpoint_id_pk" PRIMARY KEY("run_id","waitpoint_id")
);
--> statement-breakpoint
CREATE TABLE "trigger_platform"."runs" (
	"id" text PRIMARY KEY NOT NULL,
	"friendly_id" text NOT NULL,
	"environment_id" text NOT NULL,
	"task_identifier" text NOT NULL,
	"status" text NOT NULL,
	"payload" text,
	"payload_type" text DEFAULT 'application/json' NOT NULL,
	"output" text,
	"output_type" text,
	"error" jsonb,
	"idempotency_key" text,
	"idempotency_key_expires_at" timestamp with time zone,
	"idempotency_key_options" jsonb,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"metadata" text,
	"metadata_type" text DEFAULT 'application/json' NOT NULL,
	"queue" text NOT NULL,
	"concurrency_key" text,
	"max_attempts" integer,
	"attempt_number" integer DEFAULT 0 NOT NULL,
	"max_duration_seconds" integer,
	"delay_until" timestamp with time zone,
	"ttl" text,
	"expire_at" timestamp with time zone,
	"available_at" timestamp with time zone,
	"lease_until" timestamp with time zone,
	"locked_to_worker_id" text,
	"worker_id" text,
	"parent_run_id" text,
	"root_run_id" text,
	"depth" integer DEFAULT 0 NOT NULL,
	"resume_parent_on_completion" boolean DEFAULT false NOT NULL,
	"batch_id" text,
	"batch_index" integer,
	"schedule_id" text,
	"is_test" boolean DEFAULT false NOT NULL,
	"replayed_from_id" text,
	"trace_context" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"trace_id" text NOT NULL,
	"span_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	CONSTRAINT "runs_friendly_id_unique" UNIQUE("friendly_id")
);
--> statement-breakpoint
CREATE TABLE "trigger_platform"."schedules" (
	"id" text PRIMARY KEY NOT NULL,
	"friendly_id" text NOT NULL,
	"environment_id" text NOT NULL,
	"task_identifier" text NOT NULL,
	"type" text NOT NULL,
	"cron" text NOT NULL,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"external_id" text,
	"deduplication_key" text,
	"active" boolean DEFAULT true NOT NULL,
	"next_run_at" timestamp with time zone,
	"last_run_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "schedules_friendly_id_unique" UNIQUE("friendly_id")
);
--> statement-breakpoint
CREATE TABLE "trigger_platform"."snapshots" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"friendly_id" text NOT NULL,
	"run_id" text NOT NULL,
	"execution_status" text NOT NULL,
	"description" text NOT NULL,
	"attempt_number" integer,
	"completed_waitpoints" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "snapshots_id_unique" UNIQUE("id"),
	CONSTRAINT "snapshots_friendly_id_unique" UNIQUE("friendly_id")
);
--> statement-breakpoint
CREATE TABLE "trigger_platform"."waitpoints" (
	"id" text PRIMARY KEY NOT NULL,
	"friendly_id" text NOT NULL,
	"environment_id" text NOT NULL,
	"type" text NOT NULL,
	"status" text DEFAULT 'PENDING' NOT NULL,
	"completed_at" timestamp with time zone,
	"complete_after" timestamp with time zone,
	"output" text,
	"output_type" text,
	"output_is_error" boolean DEFAULT false NOT NULL,
	"completed_by_run_id" text,
	"completed_by_batch_id" text,
	"idempotency_key" text,
	"idempotency_key_expires_at" timestamp with time zone,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "waitpoints_friendly_id_unique" UNIQUE("friendly_id")
);
--> statement-breakpoint
CREATE TABLE "trigger_platform"."workers" (
	"id" text PRIMARY KEY NOT NULL,
	"environment_id" text NOT NULL,
	"version" text NOT NULL,
	"content_hash" text NOT NULL,
	"metadata" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "trigger_platform"."attempts" ADD CONSTRAINT "attempts_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "trigger_platform"."runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trigger_platform"."environments" ADD CONSTRAINT "environments_project_ref_projects_ref_fk" FOREIGN KEY ("project_ref") REFERENCES "trigger_platform"."projects"("ref") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trigger_platform"."run_waitpoints" ADD CONSTRAINT "run_waitpoints_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "trigger_platform"."runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trigger_platform"."run_waitpoints" ADD CONSTRAINT "run_waitpoints_waitpoint_id_waitpoints_id_fk" FOREIGN KEY ("waitpoint_id") REFERENCES "trigger_platform"."waitpoints"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trigger_platform"."runs" ADD CONSTRAINT "runs_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "trigger_platform"."environments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trigger_platform"."snapshots" ADD CONSTRAINT "snapshots_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "trigger_platform"."runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trigger_platform"."workers" ADD CONSTRAINT "workers_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "trigger_platform"."environments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "run_events_run_idx" ON "trigger_platform"."run_events" USING btree ("run_id","start_time");--> statement-breakpoint
CREATE INDEX "run_waitpoints_waitpoint_idx" ON "trigger_platform"."run_waitpoints" USING btree ("waitpoint_id");--> statement-breakpoint
CREATE INDEX "runs_environment_created_idx" ON "trigger_platform"."runs" USING btree ("environment_id","created_at","id");--> statement-breakpoint
CREATE INDEX "runs_queued_idx" ON "trigger_platform"."runs" USING btree ("environment_id","available_at") WHERE "trigger_platform"."runs"."available_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "runs_task_idx" ON "trigger_platform"."runs" USING btree ("environment_id","task_identifier","created_at");--> statement-breakpoint
CREATE INDEX "runs_tags_idx" ON "trigger_platform"."runs" USING gin ("tags");--> statement-breakpoint
CREATE INDEX "runs_parent_idx" ON "trigger_platform"."runs" USING btree ("parent_run_id");--> statement-breakpoint
CREATE INDEX "runs_batch_idx" ON "trigger_platform"."runs" USING btree ("batch_id");--> statement-breakpoint
CREATE INDEX "runs_lease_idx" ON "trigger_platform"."runs" USING btree ("lease_until") WHERE "trigger_platform"."runs"."lease_until" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "runs_status_idx" ON "trigger_platform"."runs" USING btree ("environment_id","status","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "runs_idempotency_key_unique" ON "trigger_platform"."runs" USING btree ("environment_id","task_identifier","idempotency_key");--> statement-breakpoint
CREATE UNIQUE INDEX "schedules_dedup_unique" ON "trigger_platform"."schedules" USING btree ("environment_id","deduplication_key");--> statement-breakpoint
CREATE INDEX "schedules_due_idx" ON "trigger_platform"."schedules" USING btree ("next_run_at") WHERE "trigger_platform"."schedules"."active";--> statement-breakpoint
CREATE INDEX "snapshots_run_idx" ON "trigger_platform"."snapshots" USING btree ("run_id","seq");--> statement-breakpoint
CREATE INDEX "waitpoints_due_idx" ON "trigger_platform"."waitpoints" USING btree ("complete_after") WHERE "trigger_platform"."waitpoints"."status" = 'PENDING';--> statement-breakpoint
CREATE INDEX "waitpoints_run_idx" ON "trigger_platform"."waitpoints" USING btree ("completed_by_run_id");--> statement-breakpoint
CREATE UNIQUE INDEX "waitpoints_idempotency_unique" ON "trigger_platform"."waitpoints" USING btree ("environment_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "workers_environment_idx" ON "trigger_platform"."workers" USING btree ("environment_id","created_at");