CREATE TABLE "trigger_platform"."environment_variables" (
	"environment_id" text NOT NULL,
	"name" text NOT NULL,
	"value" text NOT NULL,
	"is_secret" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "environment_variables_environment_id_name_pk" PRIMARY KEY("environment_id","name")
);
--> statement-breakpoint
ALTER TABLE "trigger_platform"."environment_variables" ADD CONSTRAINT "environment_variables_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "trigger_platform"."environments"("id") ON DELETE no action ON UPDATE no action;