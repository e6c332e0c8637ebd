// The SDK's batch API: create a batch (v3), stream its items (NDJSON), retrieve it.
import { CreateBatchRequestBody } from "@trigger.dev/core/v3/schemas";
import { Hono } from "hono";
import { parseBatchItems } from "../engine/batches";
import { parseBody, type PlatformEnv } from "./http-context";
import { findRun } from "../run-view";
import { allows, authorize, authorizeParent, oneTimeUseDigest, publicTokenHeaders, type Access } from "./public-access";

/** A public token may batch-trigger only tasks it names, every one of them (or any task, type-wide). */
function authorizeBatchOf(access: Access, taskIdentifiers: string[] | undefined) {
  const broad = [{ type: "batch" }, { type: "tasks" }];
  if (!taskIdentifiers || allows(access, "batchTrigger", broad)) return authorize(access, "batchTrigger", broad);
  authorize(
    access,
    "batchTrigger",
    [...new Set(taskIdentifiers)].map((id) => ({ type: "tasks", id })),
    "every",
  );
}

export const batchesApi = new Hono<PlatformEnv>()
  .post("/api/v3/batches", async (c) => {
    const body = await parseBody(c, CreateBatchRequestBody);
    authorizeBatchOf(c.var.access, body.taskIdentifiers);
    await authorizeParent(c.var.access, body.parentRunId, (id) => findRun(c.var.platform, c.var.env, id));
    const batch = await c.var.platform.engine.createBatch(c.var.env, body, oneTimeUseDigest(c.var.access));
    for (const [name, value] of Object.entries(await publicTokenHeaders(c.var.env, [`read:batch:${batch.id}`]))) c.header(name, value);
    return c.json(batch);
  })
  .post("/api/v3/batches/:batch/items", async (c) => {
    const items = parseBatchItems(await c.req.text());
    authorizeBatchOf(
      c.var.access,
      items.map((item) => item.task),
    );
    return c.json(await c.var.platform.engine.addBatchItems(c.var.env, c.req.param("batch"), items));
  })
  .get("/api/v2/batches/:batch", async (c) => {
    const batch = await c.var.platform.engine.retrieveBatch(c.var.env, c.req.param("batch"));
    if (!batch) return c.json({ error: `No batch ${c.req.param("batch")}` }, 404);
    authorize(c.var.access, "read", [{ type: "batch", id: batch.id }, { type: "runs" }]);
    return c.json(batch);
  });
