// Realtime streams as the 4.8.3 SDK uses them on the plain HTTP ("v1") path: a task makes a stream (PUT,
// answered "v1" so it never goes to S2), uploads its chunks as NDJSON (POST, read line by line as they arrive,
// resumed after a HEAD), or appends one part; anyone with the key — or a public token that may read the run —
// reads a stream as SSE. Input streams: `send` from outside, the task's tail (SSE), and `.wait()`'s waitpoint.
// The wire protocol is Trigger.dev's (apps/webapp routes realtime.v1.streams.*, api.v1.runs.*.input-streams.wait).
import { CreateInputStreamWaitpointRequestBody } from "@trigger.dev/core/v3/schemas";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import { eq } from "drizzle-orm";
import { runs, type Run } from "../db/schema";
import { isFinal } from "../engine/run-statuses";
import { inputStream } from "../engine/input-streams";
import { megabytes } from "../http/body-limit";
import { ConnectionCap } from "../http/connection-cap";
import { NdjsonInterruptedError, NdjsonLimitError, ndjsonLines } from "../http/ndjson-lines";
import { streamEvents } from "../realtime/stream-events";
import type { StreamRef } from "../realtime/stream-log";
import { findRun } from "../run-view";
import { parseBody, type PlatformEnv, type PlatformHttpContext } from "./http-context";
import { authorize } from "./public-access";
import { runOr404, runResources } from "./runs-api";

/** The largest record of a stream unless PLATFORM_STREAM_CHUNK_LIMIT_KB says (Trigger.dev's S2 record limit). */
const DEFAULT_STREAM_CHUNK_LIMIT_BYTES = 1024 * 1024;
/** How long a read waits for news unless the reader says (Timeout-Seconds), and the most it may ask. */
const DEFAULT_READ_TIMEOUT_SECONDS = 60;
const MAX_READ_TIMEOUT_SECONDS = 600;

/** Stream reads held open at once, platform-wide. */
const readers = new ConnectionCap(256, "realtime stream readers");

const UPLOAD_PATH = /^\/realtime\/v1\/streams\/[^/]+\/(self|parent|root)\/[^/]+$/;

/** Whether the request is a stream upload, which this file reads as it arrives under its own limits (the
 *  platform's body limit would read it whole before the route saw a line). */
export const isStreamUpload = (method: string, path: string) => method === "POST" && UPLOAD_PATH.test(path);

const Target = z.enum(["self", "parent", "root"]);
const SendBody = z.object({ data: z.unknown() }, { error: 'Invalid request body: send {"data": …}' });

const outputStream = (run: Run, key: string): StreamRef => ({ runId: run.id, kind: "output", key });

/** The longest stream key (Trigger.dev's key limit elsewhere; a longer one could not be indexed). */
const MAX_STREAM_KEY_LENGTH = 512;

/** The stream key the URL names, checked. */
function streamKey(c: PlatformHttpContext, param: "key" | "stream"): string {
  const key = c.req.param(param) ?? "";
  if (key.length === 0 || key.length > MAX_STREAM_KEY_LENGTH)
    throw new HTTPException(400, { message: `stream key: must be 1 to ${MAX_STREAM_KEY_LENGTH} characters (got ${key.length})` });
  return key;
}
const kilobytes = (bytes: number) => `${Math.round((bytes / 1024) * 100) / 100} KB`;

/** The run a writer's URL names: the run itself, its parent or its root (metadata.parent/root.stream). */
async function targetRun(c: PlatformHttpContext): Promise<Run> {
  const target = Target.safeParse(c.req.param("target"));
  if (!target.success) throw new HTTPException(404, { message: `Target not found: ${c.req.param("target")} (self, parent or root)` });
  const run = await runOr404(c, c.req.param("run") ?? "");
  if (target.data === "self") return run;
  const id = target.data === "parent" ? run.parentRunId : (run.rootRunId ?? run.id);
  const found = id ? await findRun(c.var.platform, c.var.env, id) : undefined;
  if (!found) throw new HTTPException(404, { message: `Target not found: run ${run.friendlyId} has no ${target.data} run` });
  return found;
}

function refuseFinished(run: Run, what: string): void {
  // A final status: finished, or being cancelled (CANCELED before its CLI has stopped it).
  if (isFinal(run.status)) throw new HTTPException(400, { message: `Cannot ${what} on a completed run (${run.friendlyId})` });
}

function chunkLimit(c: PlatformHttpContext): number {
  return c.var.platform.options.streamChunkLimitBytes ?? DEFAULT_STREAM_CHUNK_LIMIT_BYTES;
}

function chunkTooLarge(c: PlatformHttpContext, what: string): HTTPException {
  return new HTTPException(413, {
    message: `${what} is over the platform's limit of ${kilobytes(chunkLimit(c))} per realtime stream record (PLATFORM_STREAM_CHUNK_LIMIT_KB)`,
  });
}

/** A body read as text, refused past the record limit. */
async function recordBody(c: PlatformHttpContext, what: string): Promise<string> {
  const text = await c.req.text();
  if (Buffer.byteLength(text, "utf8") > chunkLimit(c)) throw chunkTooLarge(c, what);
  return text;
}

/** Where a reader starts: after its Last-Event-ID, at the tail (X-Trigger-Stream-Start: latest), or at 0. */
async function readerStart(c: PlatformHttpContext, stream: StreamRef): Promise<number> {
  const lastEventId = Number.parseInt((c.req.header("last-event-id") ?? "").split("-")[0] ?? "", 10);
  if (Number.isFinite(lastEventId)) return lastEventId;
  if (c.req.header("x-trigger-stream-start") === "latest") return (await c.var.platform.engine.streams.length(stream)) - 1;
  return -1;
}

function readTimeoutMs(c: PlatformHttpContext): number {
  const header = c.req.header("timeout-seconds");
  if (header === undefined) return DEFAULT_READ_TIMEOUT_SECONDS * 1000;
  const seconds = Number(header);
  if (!Number.isFinite(seconds)) throw new HTTPException(400, { message: "Invalid timeout seconds" });
  if (seconds < 1) throw new HTTPException(400, { message: "Timeout-Seconds must be greater than 0" });
  if (seconds > MAX_READ_TIMEOUT_SECONDS)
    throw new HTTPException(400, { message: `Timeout-Seconds must be at most ${MAX_READ_TIMEOUT_SECONDS}` });
  return seconds * 1000;
}

/** The SSE read of one of `run`'s streams; `frame` is what a record's data line carries. */
async function readStream(c: PlatformHttpContext, run: Run, stream: StreamRef, frame?: (data: string) => string): Promise<Response> {
  const { platform } = c.var;
  const idleTimeoutMs = readTimeoutMs(c);
  if (c.req.method === "HEAD") return c.body(null, 200, { "content-type": "text/event-stream" }); // no body: no reader to keep
  const afterSeq = await readerStart(c, stream);
  return streamEvents({
    log: platform.engine.streams,
    stream,
    afterSeq,
    onStop: readers.enter(),
    idleTimeoutMs,
    signal: c.req.raw.signal,
    runFinished: async () => {
      const [now] = await platform.db.select({ completedAt: runs.completedAt }).from(runs).where(eq(runs.id, run.id));
      return now?.completedAt != null;
    },
    frame,
  });
}

export const streamsApi = new Hono<PlatformEnv>()
  // Input streams first: their URLs would otherwise read as a writer's target "input".
  .post("/realtime/v1/streams/:run/input/:stream", async (c) => {
    const run = await runOr404(c, c.req.param("run"));
    authorize(c.var.access, "write", [{ type: "inputStreams", id: run.friendlyId }]);
    refuseFinished(run, "send to an input stream");
    const text = await recordBody(c, "The input stream's data");
    const body = await parseBody({ req: { text: async () => text } }, SendBody);
    await c.var.platform.engine.sendInputStream(run, streamKey(c, "stream"), body.data);
    return c.json({ ok: true });
  })
  .get("/realtime/v1/streams/:run/input/:stream", async (c) => {
    const run = await runOr404(c, c.req.param("run"));
    authorize(c.var.access, "read", runResources(run));
    // The task's tail: a record's data line is the data sent, as a JSON string (the SDK parses it twice).
    return readStream(c, run, inputStream(run.id, streamKey(c, "stream")), (record) => JSON.stringify(record));
  })
  .post("/api/v1/runs/:run/input-streams/wait", async (c) => {
    const body = await parseBody(c, CreateInputStreamWaitpointRequestBody);
    const run = await runOr404(c, c.req.param("run"));
    return c.json(await c.var.platform.engine.waitForInputStream(c.var.env, run, body));
  })
  // A task's writer: make the stream, upload its chunks, ask where to resume, append one part.
  .put("/realtime/v1/streams/:run/:target/:key", async (c) => {
    const run = await targetRun(c);
    refuseFinished(run, "initialize a realtime stream");
    await c.var.platform.engine.streams.open(outputStream(run, streamKey(c, "key")));
    // "v1" and no x-s2-* headers: the SDK uploads to this platform over plain HTTP, never to S2.
    return c.json({ version: "v1" }, 202);
  })
  .post("/realtime/v1/streams/:run/:target/:key", async (c) => {
    const run = await targetRun(c);
    refuseFinished(run, "write to a realtime stream");
    const resumeFrom = Number(c.req.header("x-resume-from-chunk") ?? "0");
    if (!Number.isInteger(resumeFrom) || resumeFrom < 0)
      throw new HTTPException(400, { message: "X-Resume-From-Chunk must be a chunk index (0 or more)" });
    const clientId = c.req.header("x-client-id") || undefined;
    const body = c.req.raw.body;
    if (!body) return c.body(null, 200);
    const { streams } = c.var.platform.engine;
    const stream = outputStream(run, streamKey(c, "key"));
    const limits = { lineBytes: chunkLimit(c), totalBytes: c.var.platform.options.bodyLimitBytes ?? Number.POSITIVE_INFINITY };
    const uploadEnded = streams.startUpload(stream);
    let chunkIndex = resumeFrom;
    try {
      for await (const lines of ndjsonLines(body, limits)) {
        await streams.append(
          stream,
          lines.map((data) => ({ data, chunkIndex: chunkIndex++ })),
          clientId,
        );
      }
    } catch (error) {
      if (error instanceof NdjsonInterruptedError) return c.body(null, 400); // nobody is listening
      if (error instanceof NdjsonLimitError && error.limit === "line") throw chunkTooLarge(c, `Chunk ${chunkIndex} of the stream upload`);
      if (error instanceof NdjsonLimitError)
        throw new HTTPException(413, {
          message: `The stream upload is over the platform's limit of ${megabytes(limits.totalBytes)} per request body (PLATFORM_BODY_LIMIT_MB)`,
        });
      throw error;
    } finally {
      uploadEnded();
    }
    // Only now: the SDK's writer takes the answer as the end of its upload.
    return c.body(null, 200);
  })
  .get("/realtime/v1/streams/:run/:target/:key", async (c) => {
    // Hono answers HEAD with the GET route: HEAD is the writer's resume probe; a GET here is a mistake.
    if (c.req.method !== "HEAD") return c.json({ error: "Method not allowed: read a stream with GET /realtime/v1/streams/:run/:key" }, 405);
    const run = await targetRun(c);
    const clientId = c.req.header("x-client-id") ?? "";
    const last = clientId ? await c.var.platform.engine.streams.lastChunkIndex(outputStream(run, streamKey(c, "key")), clientId) : -1;
    c.header("X-Last-Chunk-Index", String(last));
    return c.body(null, 200);
  })
  .post("/realtime/v1/streams/:run/:target/:key/append", async (c) => {
    const run = await targetRun(c);
    refuseFinished(run, "append to a realtime stream");
    const part = await recordBody(c, "The appended part");
    // The part is stored as a JSON string: a reader gets back exactly the text that was sent.
    await c.var.platform.engine.streams.append(outputStream(run, streamKey(c, "key")), [{ data: JSON.stringify(part) }]);
    return c.json({ ok: true });
  })
  .get("/realtime/v1/streams/:run/:key", async (c) => {
    const run = await runOr404(c, c.req.param("run"));
    authorize(c.var.access, "read", runResources(run));
    return readStream(c, run, outputStream(run, streamKey(c, "key")));
  });
