// The SDK's runs.bulk.*: create a bulk cancel or replay, list, retrieve and abort them. Every route needs the
// environment's secret key (or a public token granting runs).
import { CreateBulkActionRequestBody } from "@trigger.dev/core/v3/schemas";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import { pageQuery } from "../cursor-pages";
import type { BulkAction } from "../db/schema";
import { findBulkAction, listBulkActions } from "../engine/bulk-actions";
import { parseBody, parseQuery, type PlatformEnv } from "./http-context";
import { pageParams } from "./list-query";
import { authorize } from "./public-access";

const RUNS = [{ type: "runs" }];

/** A bulk action as the API shows it (BulkActionObject). */
export function bulkActionObject(action: BulkAction) {
  return {
    id: action.friendlyId,
    ...(action.name ? { name: action.name } : {}),
    type: action.type,
    status: action.status,
    counts: { total: action.totalCount, success: action.successCount, failure: action.failureCount },
    createdAt: action.createdAt,
    ...(action.completedAt ? { completedAt: action.completedAt } : {}),
  };
}

const ListQuery = z.object(pageParams);

export const bulkActionsApi = new Hono<PlatformEnv>()
  .post("/api/v1/bulk-actions", async (c) => {
    authorize(c.var.access, "write", RUNS);
    const body = await parseBody(c, CreateBulkActionRequestBody);
    const action = await c.var.platform.engine.createBulkAction(c.var.env, body);
    return c.json({ id: action.friendlyId }, 202);
  })
  .get("/api/v1/bulk-actions", async (c) => {
    authorize(c.var.access, "read", RUNS);
    const q = parseQuery(c.req.query(), ListQuery);
    const { rows, pagination } = await listBulkActions(
      c.var.platform.db,
      c.var.env,
      pageQuery(q["page[size]"], q["page[after]"], q["page[before]"]),
    );
    return c.json({ data: rows.map(bulkActionObject), pagination });
  })
  .get("/api/v1/bulk-actions/:bulkAction", async (c) => {
    authorize(c.var.access, "read", RUNS);
    const action = await findBulkAction(c.var.platform.db, c.var.env, c.req.param("bulkAction"));
    if (!action) throw new HTTPException(404, { message: `No bulk action ${c.req.param("bulkAction")}` });
    return c.json(bulkActionObject(action));
  })
  .post("/api/v1/bulk-actions/:bulkAction/abort", async (c) => {
    authorize(c.var.access, "write", RUNS);
    const action = await c.var.platform.engine.abortBulkAction(c.var.env, c.req.param("bulkAction"));
    return c.json({ id: action.friendlyId });
  });
