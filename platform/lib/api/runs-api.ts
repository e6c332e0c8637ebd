// The SDK's run API: trigger, retrieve, list, result, metadata, tags, cancel, replay, reschedule, and
// idempotency key reset. Every route needs the environment's secret key.
import {
  AddTagsRequestBody,
  ReplayRunRequestBody,
  RescheduleRunRequestBody,
  TriggerTaskRequestBody,
  UpdateMetadataRequestBody,
} from "@trigger.dev/core/v3/schemas";
import { parseNaturalLanguageDurationInMs } from "@trigger.dev/core/v3/isomorphic";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import type { Run } from "../db/schema";
import { readMetadata } from "../engine/run-metadata";
import { ENGINE_STATUSES_OF, type ApiStatus } from "../engine/run-statuses";
import { findRun, listRuns, retrieveRunView, type RunListQuery } from "../run-view";
import { parseBody, parseQuery, type PlatformEnv, type PlatformHttpContext } from "./http-context";
import { commaList, epochOrDate, pageParams } from "./list-query";
import { pageQuery } from "../cursor-pages";
import { REPLAY_TRIGGER_OPTIONS } from "../engine/run-actions";
import { allows, authorize, authorizeParent, oneTimeUseDigest, publicTokenHeaders, realtimeOf, type Resource } from "./public-access";

/** What a public token may name to reach a run: the run, its task, any of its tags, its batch. */
export function runResources(run: Run): Resource[] {
  return [
    { type: "runs", id: run.friendlyId },
    { type: "tasks", id: run.taskIdentifier },
    ...run.tags.map((tag) => ({ type: "tags", id: tag })),
    ...(run.batchId ? [{ type: "batch", id: `batch_${run.batchId}` }] : []),
  ];
}

/** The run the route names (its :run, or `id`) in the caller's environment, or a 404. */
export async function runOr404(c: PlatformHttpContext, id = c.req.param("run") ?? ""): Promise<Run> {
  const run = await findRun(c.var.platform, c.var.env, id);
  if (!run) throw new HTTPException(404, { message: `No run ${id}` });
  return run;
}

const ListQuery = z.object({
  ...pageParams,
  "filter[status]": z
    .string()
    .optional()
    .transform((v) => commaList(v))
    .refine((v) => !v || v.every((s) => s in ENGINE_STATUSES_OF), {
      message: `must be run statuses (${Object.keys(ENGINE_STATUSES_OF).join(", ")})`,
    }),
  "filter[taskIdentifier]": z.string().optional().transform(commaList),
  "filter[tag]": z.string().optional().transform(commaList),
  "filter[createdAt][from]": epochOrDate,
  "filter[createdAt][to]": epochOrDate,
  "filter[createdAt][period]": z
    .string()
    .optional()
    .refine((v) => v === undefined || parseNaturalLanguageDurationInMs(v) !== undefined, { message: "must be a period like 1h or 7d" }),
  "filter[isTest]": z.enum(["true", "false"]).optional(),
  "filter[batch]": z.string().optional(),
  "filter[schedule]": z.string().optional(),
  "filter[bulkAction]": z.string().optional(),
});

/** runs.list's query string as a RunListQuery; a bad filter is a 400 naming it. */
export function runListQuery(query: Record<string, string>): RunListQuery {
  const q = parseQuery(query, ListQuery);
  return {
    ...pageQuery(q["page[size]"], q["page[after]"], q["page[before]"]),
    status: q["filter[status]"] as ApiStatus[] | undefined,
    taskIdentifier: q["filter[taskIdentifier]"],
    tag: q["filter[tag]"],
    from:
      q["filter[createdAt][from]"] ??
      (q["filter[createdAt][period]"]
        ? new Date(Date.now() - parseNaturalLanguageDurationInMs(q["filter[createdAt][period]"])!)
        : undefined),
    to: q["filter[createdAt][to]"],
    isTest: q["filter[isTest]"] === undefined ? undefined : q["filter[isTest]"] === "true",
    batch: q["filter[batch]"],
    schedule: q["filter[schedule]"],
    bulkAction: q["filter[bulkAction]"],
  };
}

export const runsApi = new Hono<PlatformEnv>()
  .post("/api/v1/tasks/:task/trigger", async (c) => {
    const { platform, env, access } = c.var;
    const task = decodeURIComponent(c.req.param("task"));
    authorize(access, "trigger", [{ type: "tasks", id: task }]);
    const body = await parseBody(c, TriggerTaskRequestBody);
    await authorizeParent(access, body.options?.parentRunId, (id) => findRun(platform, env, id));
    const outcome = await platform.engine.trigger(env, task, body, oneTimeUseDigest(access));
    const id = outcome.run.friendlyId;
    const headers = await publicTokenHeaders(env, [`read:runs:${id}`, `write:inputStreams:${id}`], {
      realtime: realtimeOf(access),
      claimsWithScopes: true,
    });
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    return c.json({ id: outcome.run.friendlyId, isCached: outcome.isCached });
  })
  .get("/api/v3/runs/:run", async (c) => {
    const run = await runOr404(c);
    authorize(c.var.access, "read", runResources(run));
    return c.json(await retrieveRunView(c.var.platform, run));
  })
  .get("/api/v1/runs/:run/result", async (c) => {
    const run = await runOr404(c);
    if (!run.completedAt) return c.json({ error: `Run ${run.friendlyId} has not finished` }, 404);
    return c.json(
      run.status === "COMPLETED_SUCCESSFULLY"
        ? { ok: true, id: run.friendlyId, output: run.output ?? undefined, outputType: run.outputType ?? "application/json" }
        : { ok: false, id: run.friendlyId, error: run.error ?? { type: "STRING_ERROR", raw: run.status } },
    );
  })
  .get("/api/v1/runs", async (c) => {
    const query = runListQuery(c.req.query());
    // A token for some tasks may list only those: every task of the filter must be granted.
    const broad = [{ type: "runs" }, { type: "tasks" }];
    const tasks = (query.taskIdentifier ?? []).map((id) => ({ type: "tasks", id }));
    if (tasks.length === 0) authorize(c.var.access, "read", broad);
    else if (!allows(c.var.access, "read", broad)) authorize(c.var.access, "read", tasks, "every");
    return c.json(await listRuns(c.var.platform, c.var.env, query));
  })
  .get("/api/v1/runs/:run/metadata", async (c) => c.json({ metadata: readMetadata(await runOr404(c)) }))
  .put("/api/v1/runs/:run/metadata", async (c) => {
    const run = await runOr404(c);
    const body = await parseBody(c, UpdateMetadataRequestBody);
    const metadata = await c.var.platform.engine.updateMetadata(run, body);
    return c.json({ metadata });
  })
  .post("/api/v1/runs/:run/tags", async (c) => {
    const body = await parseBody(c, AddTagsRequestBody);
    const tags = await c.var.platform.engine.addTags(await runOr404(c), Array.isArray(body.tags) ? body.tags : [body.tags]);
    return c.json({ message: `Run now has ${tags.length} tag(s)` });
  })
  .post("/api/v2/runs/:run/cancel", async (c) => {
    const run = await runOr404(c);
    authorize(c.var.access, "write", [
      { type: "runs", id: run.friendlyId },
      { type: "tasks", id: run.taskIdentifier },
    ]);
    await c.var.platform.engine.cancel(run);
    return c.json({ id: run.friendlyId });
  })
  .post("/api/v1/runs/:run/replay", async (c) => {
    const body = await parseBody(c, ReplayRunRequestBody);
    const replay = await c.var.platform.engine.replay(c.var.env, await runOr404(c), {
      ...(body.payload !== undefined ? { payload: body.payload } : {}),
      ...(body.payloadType ? { payloadType: body.payloadType } : {}),
      ...(body.metadata ? { metadata: body.metadata } : {}),
      ...(body.tags ? { tags: body.tags } : {}),
      ...(body.queue ? { queue: body.queue } : {}),
      ...(body.concurrencyKey ? { concurrencyKey: body.concurrencyKey } : {}),
      ...Object.fromEntries(REPLAY_TRIGGER_OPTIONS.filter((name) => body[name] !== undefined).map((name) => [name, body[name]])),
    });
    return c.json({ id: replay.friendlyId });
  })
  .post("/api/v1/runs/:run/reschedule", async (c) => {
    const body = await parseBody(c, RescheduleRunRequestBody);
    const moved = await c.var.platform.engine.reschedule(await runOr404(c), body.delay);
    return c.json(await retrieveRunView(c.var.platform, moved));
  })
  .post("/api/v1/idempotencyKeys/:key/reset", async (c) => {
    authorize(c.var.access, "write", [{ type: "runs" }]);
    const body = await parseBody(c, z.object({ taskIdentifier: z.string().min(1, "taskIdentifier is required") }));
    const key = decodeURIComponent(c.req.param("key"));
    const cleared = await c.var.platform.engine.resetIdempotencyKey(c.var.env, body.taskIdentifier, key);
    if (cleared === 0) return c.json({ error: `No run of ${body.taskIdentifier} holds idempotency key ${key}` }, 404);
    return c.json({ id: key });
  });
