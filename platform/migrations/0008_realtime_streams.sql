CREATE TABLE "trigger_platform"."input_stream_waits" (
	"run_id" text NOT NULL,
	"stream_id" text NOT NULL,
	"waitpoint_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "input_stream_waits_run_id_stream_id_pk" PRIMARY KEY("run_id","stream_id")
);
--> statement-breakpoint
CREATE TABLE "trigger_platform"."realtime_stream_records" (
	"run_id" text NOT NULL,
	"kind" text NOT NULL,
	"key" text NOT NULL,
	"seq" integer NOT NULL,
	"data" text NOT NULL,
	"client_id" text,
	"chunk_index" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "realtime_stream_records_run_id_kind_key_seq_pk" PRIMARY KEY("run_id","kind","key","seq")
);
--> statement-breakpoint
CREATE TABLE "trigger_platform"."realtime_streams" (
	"run_id" text NOT NULL,
	"kind" text NOT NULL,
	"key" text NOT NULL,
	"length" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "realtime_streams_run_id_kind_key_pk" PRIMARY KEY("run_id","kind","key")
);
--> statement-breakpoint
ALTER TABLE "trigger_platform"."input_stream_waits" ADD CONSTRAINT "input_stream_waits_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "trigger_platform"."runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trigger_platform"."input_stream_waits" ADD CONSTRAINT "input_stream_waits_waitpoint_id_waitpoints_id_fk" FOREIGN KEY ("waitpoint_id") REFERENCES "trigger_platform"."waitpoints"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trigger_platform"."realtime_streams" ADD CONSTRAINT "realtime_streams_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "trigger_platform"."runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "realtime_stream_records_writer_idx" ON "trigger_platform"."realtime_stream_records" USING btree ("run_id","kind","key","client_id","chunk_index") WHERE "trigger_platform"."realtime_stream_records"."client_id" IS NOT NULL;