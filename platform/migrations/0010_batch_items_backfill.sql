-- Batches made before batch_items: each run made for an item is that item.
INSERT INTO "trigger_platform"."batch_items" ("batch_id", "index", "run_id")
  SELECT "batch_id", "batch_index", "id" FROM "trigger_platform"."runs"
   WHERE "batch_id" IS NOT NULL AND "batch_index" IS NOT NULL
  ON CONFLICT DO NOTHING;
