CREATE TABLE "trigger_platform"."batch_items" (
	"batch_id" text NOT NULL,
	"index" integer NOT NULL,
	"run_id" text NOT NULL,
	CONSTRAINT "batch_items_batch_id_index_pk" PRIMARY KEY("batch_id","index")
);
--> statement-breakpoint
CREATE INDEX "batch_items_run_idx" ON "trigger_platform"."batch_items" USING btree ("run_id");
