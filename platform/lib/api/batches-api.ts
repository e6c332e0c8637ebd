// The SDK's batch API: create a batch (v3), stream its items (NDJSON), retrieve it.
import { CreateBatchRequestBody } from "@trigger.dev/core/v3/schemas";
import { Hono } from "hono";
import { parseBatchItems } from "../engine/batches";
import { parseBody, type PlatformEnv } from "./http-context";

export const batchesApi = new Hono<PlatformEnv>()
  .post("/api/v3/batches", async (c) =>
    c.json(await c.var.platform.engine.createBatch(c.var.env, await parseBody(c, CreateBatchRequestBody))),
  )
  .post("/api/v3/batches/:batch/items", async (c) => {
    const items = parseBatchItems(await c.req.text());
    return c.json(await c.var.platform.engine.addBatchItems(c.var.env, c.req.param("batch"), items));
  })
  .get("/api/v2/batches/:batch", async (c) => {
    const batch = await c.var.platform.engine.retrieveBatch(c.var.env, c.req.param("batch"));
    return batch ? c.json(batch) : c.json({ error: `No batch ${c.req.param("batch")}` }, 404);
  });
