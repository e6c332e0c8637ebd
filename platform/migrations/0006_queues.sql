CREATE TABLE "trigger_platform"."queue_settings" (
	"environment_id" text NOT NULL,
	"queue" text NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"concurrency_limit_override" integer,
	"overridden_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "queue_settings_environment_id_queue_pk" PRIMARY KEY("environment_id","queue")
);
--> statement-breakpoint
ALTER TABLE "trigger_platform"."queue_settings" ADD CONSTRAINT "queue_settings_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "trigger_platform"."environments"("id") ON DELETE no action ON UPDATE no action;