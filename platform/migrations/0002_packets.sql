CREATE TABLE "trigger_platform"."packets" (
	"environment_id" text NOT NULL,
	"key" text NOT NULL,
	"data" text NOT NULL,
	"data_type" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "packets_environment_id_key_pk" PRIMARY KEY("environment_id","key")
);
--> statement-breakpoint
ALTER TABLE "trigger_platform"."packets" ADD CONSTRAINT "packets_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "trigger_platform"."environments"("id") ON DELETE no action ON UPDATE no action;