// Realtime run feeds, as Trigger.dev serves them (routes realtime.v1.runs.$runId, realtime.v1.runs,
// realtime.v1.batches.$batchId): one run (runs.subscribeToRun, triggerAndSubscribe, useRealtimeRun), the
// runs carrying every one of some tags, created within a window (subscribeToRunsWithTag), and a batch's runs
// (subscribeToBatch). The secret key or a public token whose scopes reach the run, tag or batch may read them.
import { parseNaturalLanguageDurationInMs } from "@trigger.dev/core/v3/isomorphic";
import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { runs } from "../db/schema";
import { selectRow, selectRows } from "../engine/row-mapping";
import { internalId } from "../ids";
import { feedColumns } from "../realtime/run-rows";
import type { FeedRequest } from "../realtime/shape-feed";
import { commaList } from "./list-query";
import type { PlatformHttpContext, PlatformEnv } from "./http-context";
import { authorize } from "./public-access";
import { runOr404, runResources } from "./runs-api";

/** Runs a tag or batch feed shows at most (the newest), as Trigger.dev's. */
const FEED_ROW_LIMIT = 1_000;
/** The oldest a tag feed's runs may be, and the default window (createdAt=24h). */
const MAX_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Characters a tag in a feed filter may not hold (Trigger.dev refuses the same). */
const UNSAFE_TAG = /[\x00-\x1f\x7f\\"]/;

function feedRequest(c: PlatformHttpContext): FeedRequest {
  return {
    offset: c.req.query("offset") ?? "-1",
    handle: c.req.query("handle") || undefined,
    live: c.req.query("live") === "true",
    signal: c.req.raw.signal,
  };
}

/** The columns left out: the query's skipColumns and a public token's realtime.skipColumns (which its holder
 *  cannot take back). */
function skippedColumns(c: PlatformHttpContext): string[] {
  const access = c.var.access;
  return [...(commaList(c.req.query("skipColumns")) ?? []), ...(access.kind === "public-token" ? access.skipColumns : [])];
}

export const realtimeApi = new Hono<PlatformEnv>()
  .get("/realtime/v1/runs/:run", async (c) => {
    const { platform } = c.var;
    const run = await runOr404(c);
    authorize(c.var.access, "read", runResources(run));
    const columns = feedColumns(skippedColumns(c));
    return platform.shapeFeeds.serve(
      {
        key: `run:${run.id}:${columns.join(",")}`,
        columns,
        pin: () => undefined,
        select: async () => {
          const now = await selectRow(platform.db, runs, sql`SELECT * FROM trigger_platform.runs WHERE id = ${run.id}`);
          return now ? [now] : [];
        },
        streamsOf: platform.realtimeStreamKeys,
      },
      feedRequest(c),
    );
  })
  .get("/realtime/v1/runs", async (c) => {
    const { platform, env } = c.var;
    const tags = commaList(c.req.query("tags")) ?? [];
    const bad = tags.find((tag) => tag.length === 0 || UNSAFE_TAG.test(tag));
    if (bad !== undefined)
      throw new HTTPException(400, { message: `tags: "${bad}" is empty or holds a control character, quote or backslash` });
    authorize(c.var.access, "read", [{ type: "runs" }, { type: "tags" }, ...tags.map((id) => ({ type: "tags", id }))]);
    const window = c.req.query("createdAt") ?? "24h";
    const windowMs = parseNaturalLanguageDurationInMs(window);
    if (windowMs === undefined) throw new HTTPException(400, { message: `createdAt: "${window}" is not a period like 1h or 7d` });
    const columns = feedColumns(skippedColumns(c));
    return platform.shapeFeeds.serve(
      {
        key: `runs:${env.id}:${tags.join(",")}:${window}:${columns.join(",")}`,
        columns,
        // The window is fixed by the first request, as on Trigger.dev: a feed does not drop runs as it ages.
        pin: () => new Date(Date.now() - Math.min(windowMs, MAX_WINDOW_MS)),
        select: (floor: Date, since) =>
          selectRows(
            platform.db,
            runs,
            sql`SELECT * FROM trigger_platform.runs
                 WHERE environment_id = ${env.id} AND created_at > ${floor.toISOString()}::timestamptz
                   ${tags.length > 0 ? sql`AND tags @> ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(tags)}::jsonb))` : sql``}
                   ${since ? sql`AND updated_at > ${since.toISOString()}::timestamptz` : sql``}
                 ORDER BY created_at DESC LIMIT ${FEED_ROW_LIMIT}`,
          ),
        streamsOf: platform.realtimeStreamKeys,
      },
      feedRequest(c),
    );
  })
  .get("/realtime/v1/batches/:batch", async (c) => {
    const { platform, env } = c.var;
    const batch = await platform.engine.retrieveBatch(env, c.req.param("batch"));
    if (!batch) throw new HTTPException(404, { message: `No batch ${c.req.param("batch")}` });
    authorize(c.var.access, "read", [{ type: "batch", id: batch.id }, { type: "runs" }]);
    const columns = feedColumns(skippedColumns(c));
    const batchId = internalId(batch.id);
    return platform.shapeFeeds.serve(
      {
        key: `batch:${batchId}:${columns.join(",")}`,
        columns,
        pin: () => undefined,
        select: (_pinned, since) =>
          selectRows(
            platform.db,
            runs,
            sql`SELECT r.* FROM trigger_platform.batch_items i JOIN trigger_platform.runs r ON r.id = i.run_id
                 WHERE i.batch_id = ${batchId} AND r.environment_id = ${env.id}
                   ${since ? sql`AND r.updated_at > ${since.toISOString()}::timestamptz` : sql``}
                 ORDER BY i.index LIMIT ${FEED_ROW_LIMIT}`,
          ),
        streamsOf: platform.realtimeStreamKeys,
      },
      feedRequest(c),
    );
  });
