CREATE TABLE "trigger_platform"."spent_public_tokens" (
	"digest" text PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
