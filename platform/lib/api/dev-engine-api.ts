// The dev run engine the CLI talks to (/engine/v1/dev/…): its settings, presence, dequeue (held open until a
// run is ready: the CLI's poll interval stops being the latency), attempt start/complete, heartbeats, the
// latest snapshot, debug logs, and disconnect (sent by the CLI's watchdog when the CLI dies mid-run).
import { DevDequeueRequestBody, DevDisconnectRequestBody } from "@trigger.dev/core/v3/schemas";
import {
  WorkloadHeartbeatRequestBody,
  WorkloadRunAttemptCompleteRequestBody,
  WorkloadRunAttemptStartRequestBody,
} from "@trigger.dev/core/v3/workers";
import { setTimeout as sleep } from "node:timers/promises";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { runMessage, snapshotMessage } from "../engine/snapshots";
import { internalId } from "../ids";
import { parseBody, type PlatformEnv } from "./http-context";

export const devEngineApi = new Hono<PlatformEnv>()
  .get("/engine/v1/dev/config", (c) => {
    const { dequeue } = c.var.platform.options;
    return c.json({
      environmentId: c.var.env.id,
      dequeueIntervalWithRun: dequeue.intervalWithRunMs,
      dequeueIntervalWithoutRun: dequeue.intervalWithoutRunMs,
      maxConcurrentRuns: dequeue.maxConcurrentRuns,
      engineUrl: c.var.platform.origin,
    });
  })
  .get("/engine/v1/dev/presence", (c) =>
    streamSSE(c, async (stream) => {
      // One signal for the stream's life, and a sleep that lets go of it each beat: racing each sleep against a
      // promise that settles only on abort added a reaction to that promise every 5 s for as long as a CLI stayed.
      const closed = new AbortController();
      stream.onAbort(() => closed.abort());
      while (!stream.aborted) {
        await stream.writeSSE({ event: "presence", data: JSON.stringify({ connected: true, at: new Date().toISOString() }) });
        await sleep(5_000, undefined, { signal: closed.signal }).catch(() => undefined);
      }
    }),
  )
  .post("/engine/v1/dev/dequeue", async (c) => {
    const { platform, env } = c.var;
    const body = await parseBody(c, DevDequeueRequestBody);
    // Long poll: held until a run may be ready (a trigger, a retry or delay coming due).
    const dequeuedMessages = await platform.engine.dequeue(env, body.currentWorker, {
      holdMs: platform.options.dequeue.holdMs,
      signal: c.req.raw.signal,
    });
    return c.json({ dequeuedMessages });
  })
  .post("/engine/v1/dev/runs/:run/snapshots/:snapshot/attempts/start", async (c) => {
    await parseBody(c, WorkloadRunAttemptStartRequestBody);
    return c.json(await c.var.platform.engine.startAttempt(c.var.env, internalId(c.req.param("run")), c.req.param("snapshot")));
  })
  .post("/engine/v1/dev/runs/:run/snapshots/:snapshot/attempts/complete", async (c) => {
    const body = await parseBody(c, WorkloadRunAttemptCompleteRequestBody);
    return c.json({ result: await c.var.platform.engine.completeAttempt(c.var.env, internalId(c.req.param("run")), body.completion) });
  })
  .post("/engine/v1/dev/runs/:run/snapshots/:snapshot/heartbeat", async (c) => {
    await parseBody(c, WorkloadHeartbeatRequestBody);
    await c.var.platform.engine.heartbeat(c.var.env, internalId(c.req.param("run")));
    return c.json({ ok: true });
  })
  .get("/engine/v1/dev/runs/:run/snapshots/latest", async (c) => {
    const { platform, env } = c.var;
    const found = await platform.engine.latestSnapshot(env, internalId(c.req.param("run")));
    if (!found) return c.json({ error: `No run ${c.req.param("run")}` }, 404);
    const { run, snapshot } = found;
    return c.json({
      execution: {
        version: "1",
        snapshot: snapshotMessage(snapshot),
        run: runMessage(run),
        completedWaitpoints: snapshot.completedWaitpoints,
        ...(run.batchId ? { batch: { id: run.batchId, friendlyId: `batch_${run.batchId}` } } : {}),
      },
    });
  })
  .post("/engine/v1/dev/runs/:run/logs/debug", (c) => c.json({ ok: true }))
  .post("/engine/v1/dev/disconnect", async (c) => {
    const { platform, env } = c.var;
    const body = await parseBody(c, DevDisconnectRequestBody);
    const affected = await platform.engine.disconnect(env, body.runFriendlyIds);
    return c.json({ cancelled: affected });
  });
