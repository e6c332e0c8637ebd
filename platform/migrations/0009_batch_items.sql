CREATE TABLE "trigger_platform"."batch_items" (
	"batch_id" text NOT NULL,
	"index" integer NOT NULL,
	"run_id" text NOT NULL,
	CONSTRAINT "batch_items_batch_id_index_pk" PRIMARY KEY("batch_id","index")
);
--> statement-breakpoint
CREATE INDEX "batch_items_run_idx" ON "trigger_platform"."batch_items" USING btree ("run_id");--> statement-breakpoint
-- Batches made before this table: each run made for an item is that item.
INSERT INTO "trigger_platform"."batch_items" ("batch_id", "index", "run_id")
  SELECT "batch_id", "batch_index", "id" FROM "trigger_platform"."runs"
   WHERE "batch_id" IS NOT NULL AND "batch_index" IS NOT NULL
  ON CONFLICT DO NOTHING;
