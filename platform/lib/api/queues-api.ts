// The SDK's queues.* — list, retrieve, pause, resume, overrideConcurrencyLimit, resetConcurrencyLimit — as
// Trigger.dev's /api/v1/queues routes answer them. A queue is named in the path by its id, or with `type`
// (task, custom) by a task's id or a custom queue's name. Every route needs the secret key but retrieve, which
// a public token with read:queues may call too.
import { RetrieveQueueType, type QueueItem } from "@trigger.dev/core/v3/schemas";
import { Hono } from "hono";
import { z } from "zod";
import { CONCURRENCY_LIMIT_RULE, displayName, effectiveLimit, type QueueRef, type QueueState } from "../engine/queues";
import { parseBody, parseQuery, type PlatformEnv, type PlatformHttpContext } from "./http-context";
import { authorize } from "./public-access";

/** Trigger.dev's page sizes for queues.list. */
const DEFAULT_PER_PAGE = 25;
const MAX_PER_PAGE = 100;

/** Our queues carry their own concurrency limit: Trigger.dev's "V1" queue shape, with its override state. */
export function queueView(queue: QueueState): QueueItem {
  const limit = effectiveLimit(queue);
  return {
    version: "V1",
    id: queue.id,
    name: displayName(queue.name),
    type: queue.type,
    running: queue.running,
    queued: queue.queued,
    paused: queue.paused,
    concurrencyLimit: limit,
    concurrency: {
      current: limit,
      base: queue.baseLimit,
      override: queue.override?.limit ?? null,
      overriddenAt: queue.override?.at ?? null,
      overriddenBy: null, // set through the API, by no dashboard user
    },
  };
}

const queueType = z.enum(RetrieveQueueType.options, { error: `must be one of ${RetrieveQueueType.options.join(", ")}` }).default("id");
const FROM_1 = "must be a whole number from 1";
const wholeNumberFrom1 = z.coerce.number({ error: FROM_1 }).int({ error: FROM_1 }).min(1, { error: FROM_1 });

const ListQuery = z.object({ page: wholeNumberFrom1.default(1), perPage: wholeNumberFrom1.default(DEFAULT_PER_PAGE) });
const RetrieveQuery = z.object({ type: queueType });
const PauseBody = z.object({ type: queueType, action: z.enum(["pause", "resume"], { error: 'must be "pause" or "resume"' }) });
const OverrideBody = z.object({
  type: queueType,
  concurrencyLimit: z
    .number({ error: CONCURRENCY_LIMIT_RULE })
    .int({ error: CONCURRENCY_LIMIT_RULE })
    .min(0, { error: CONCURRENCY_LIMIT_RULE }),
});
const ResetBody = z.object({ type: queueType });

/** The queue the path names. The SDK writes a name's slashes as %2F before encoding it (task/… names). */
function queueRef(c: PlatformHttpContext, type: z.output<typeof queueType>): QueueRef {
  const value = (c.req.param("queue") ?? "").replace(/%2F/gi, "/");
  return type === "id" ? { id: value } : type === "task" ? { task: value } : { custom: value };
}

export const queuesApi = new Hono<PlatformEnv>()
  .get("/api/v1/queues", async (c) => {
    const { page, perPage: asked } = parseQuery(c.req.query(), ListQuery);
    const perPage = Math.min(asked, MAX_PER_PAGE);
    const { queues, count } = await c.var.platform.engine.listQueues(c.var.env, { page, perPage });
    return c.json({ data: queues.map(queueView), pagination: { currentPage: page, totalPages: Math.ceil(count / perPage), count } });
  })
  .get("/api/v1/queues/:queue", async (c) => {
    authorize(c.var.access, "read", [{ type: "queues" }]);
    const { type } = parseQuery(c.req.query(), RetrieveQuery);
    return c.json(queueView(await c.var.platform.engine.retrieveQueue(c.var.env, queueRef(c, type))));
  })
  .post("/api/v1/queues/:queue/pause", async (c) => {
    const { type, action } = await parseBody(c, PauseBody);
    return c.json(queueView(await c.var.platform.engine.setQueuePaused(c.var.env, queueRef(c, type), action === "pause")));
  })
  .post("/api/v1/queues/:queue/concurrency/override", async (c) => {
    const { type, concurrencyLimit } = await parseBody(c, OverrideBody);
    return c.json(queueView(await c.var.platform.engine.overrideQueueLimit(c.var.env, queueRef(c, type), concurrencyLimit)));
  })
  .post("/api/v1/queues/:queue/concurrency/reset", async (c) => {
    const { type } = await parseBody(c, ResetBody);
    return c.json(queueView(await c.var.platform.engine.resetQueueLimit(c.var.env, queueRef(c, type))));
  });
