// Realtime streams through the real SDK and the real CLI: a task's pipe read live while it runs, resumed
// reads, writer/define/append/metadata.stream, subscribeToRun().withStreams(), input streams (wait, once, on,
// send from outside), plus the wire rules the SDK depends on (v1 answer, HEAD resume, idempotent re-upload,
// the limits, public tokens' scopes).
import { auth, runs, streams, tasks } from "@trigger.dev/sdk";
import { beforeAll, describe, expect, it } from "vitest";
import type { Approval, Step } from "../fixture-project/src/trigger/streams";
import { useFixturePlatform, waitForRun, waitForStatus } from "../support/platform";

/** Small limits, so going over them is cheap: a record, and a request body (a stream upload's whole). */
const CHUNK_LIMIT_BYTES = 64 * 1024;
const BODY_LIMIT_BYTES = 2 * 1024 * 1024;
const fixture = useFixturePlatform({ platform: { streamChunkLimitBytes: CHUNK_LIMIT_BYTES, bodyLimitBytes: BODY_LIMIT_BYTES } });
const approval = streams.input<Approval>({ id: "approval" });

const stepsUpTo = (count: number): Step[] => Array.from({ length: count }, (_, index) => ({ index, text: `step ${index}` }));

/** Everything a stream yields until it ends, failing after `ms`. */
async function readAll<T>(stream: AsyncIterable<T>, ms = 20_000): Promise<T[]> {
  const seen: T[] = [];
  const reading = (async () => {
    for await (const item of stream) seen.push(item);
  })();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the stream did not end within ${ms} ms (got ${JSON.stringify(seen)})`)), ms);
  });
  try {
    await Promise.race([reading, late]);
  } finally {
    clearTimeout(timer);
  }
  return seen;
}

/** A raw call of the platform with the project's key. */
function call(path: string, init: RequestInit & { headers?: Record<string, string> } = {}) {
  return fetch(`${fixture.h.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${fixture.h.secretKey}`, ...init.headers },
  });
}

/** The SSE events of a raw read that ends after `idleSeconds` without news. */
async function sseEvents(path: string, headers: Record<string, string> = {}, idleSeconds = 1) {
  const response = await call(path, { headers: { accept: "text/event-stream", "timeout-seconds": String(idleSeconds), ...headers } });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/event-stream");
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("id: "))
    .map((block) => {
      const [idLine, ...dataLines] = block.split("\n");
      return { id: idLine!.slice("id: ".length), data: dataLines.map((line) => line.slice("data: ".length)).join("\n") };
    });
}

/** The first thing an iterable yields (the subscription is then closed). */
async function firstOf<T>(iterable: AsyncIterable<T>): Promise<T> {
  for await (const item of iterable) return item;
  throw new Error("it ended without yielding");
}

const ndjson = (values: unknown[]) => values.map((value) => `${JSON.stringify(value)}\n`).join("");

describe("streams.pipe and streams.read", () => {
  it("a reader sees the chunks in order while the run executes, and its read ends soon after the run", async () => {
    const count = 6;
    const pauseMs = 600;
    const handle = await tasks.trigger("pipes-steps", { count, pauseMs });
    const stream = await streams.read<Step>(handle.id, "steps", { timeoutInSeconds: 60 });
    const seen: { step: Step; at: number }[] = [];
    let statusAtFirst: string | undefined;
    for await (const step of stream) {
      seen.push({ step, at: Date.now() });
      if (seen.length === 1) statusAtFirst = (await runs.retrieve(handle.id)).status;
    }
    const endedAt = Date.now();
    const run = await waitForRun(handle.id);
    expect(run.output).toEqual({ sent: count });
    expect(seen.map((s) => s.step)).toEqual(stepsUpTo(count));
    expect(statusAtFirst).toBe("EXECUTING");
    expect(seen[0]!.at).toBeLessThan(run.finishedAt!.getTime());
    // Live, not handed over when the pipe ended: the chunks arrived over the pipe's life.
    expect(seen.at(-1)!.at - seen[0]!.at).toBeGreaterThan((count - 2) * pauseMs);
    // The read ended because the run finished, not after its 60 s without news.
    expect(endedAt - run.finishedAt!.getTime()).toBeLessThan(5_000);
  });

  it("resumes from an index (startIndex, Last-Event-ID) or from the tail; event ids are the chunk indices", async () => {
    const handle = await tasks.trigger("pipes-steps", { count: 5, pauseMs: 10 });
    await waitForRun(handle.id);
    expect(await readAll(await streams.read<Step>(handle.id, "steps", { startIndex: 2 }))).toEqual(stepsUpTo(5).slice(2));
    const all = await sseEvents(`/realtime/v1/streams/${handle.id}/steps`);
    expect(all.map((e) => e.id)).toEqual(["0", "1", "2", "3", "4"]);
    expect(JSON.parse(all[4]!.data)).toEqual({ index: 4, text: "step 4" });
    expect((await sseEvents(`/realtime/v1/streams/${handle.id}/steps`, { "last-event-id": "3" })).map((e) => e.id)).toEqual(["4"]);
    expect(await sseEvents(`/realtime/v1/streams/${handle.id}/steps`, { "x-trigger-stream-start": "latest" })).toEqual([]);
  });

  it("a stream nothing was written to is not a 404: the read waits, then ends with the finished run", async () => {
    const handle = await tasks.trigger("pipes-steps", { count: 1, pauseMs: 10 });
    await waitForRun(handle.id);
    expect(await readAll(await streams.read(handle.id, "never-written"))).toEqual([]);
    const bad = await call(`/realtime/v1/streams/${handle.id}/steps`, { headers: { "timeout-seconds": "601" } });
    expect(bad.status).toBe(400);
    expect((await call(`/realtime/v1/streams/run_nosuchrun/steps`)).status).toBe(404);
  });
});

describe("writing streams every way the SDK has", () => {
  it("streams.writer, a defined stream's writer and append, and the run's realtimeStreams", async () => {
    const progressStream = streams.define<{ stage: string }>({ id: "defined" });
    const handle = await tasks.trigger("writes-streams", {});
    await waitForRun(handle.id);
    expect(await readAll(await streams.read<string>(handle.id, "log"))).toEqual(["first line", "second line"]);
    expect(await readAll(await progressStream.read(handle.id))).toEqual([{ stage: "planned" }, { stage: "built" }, { stage: "shipped" }]);
    const [run] = await readAll(runs.subscribeToRun(handle.id));
    expect(run!.realtimeStreams).toEqual(["log", "defined"]);
  });

  it("metadata.stream pipes to the key", async () => {
    const handle = await tasks.trigger("metadata-stream", { count: 4, key: "tokens" });
    expect((await waitForRun(handle.id)).output).toEqual({ seen: 4 });
    expect(await readAll(await streams.read<Step>(handle.id, "tokens"))).toEqual(stepsUpTo(4));
  });

  it("subscribeToRun(...).withStreams() yields the stream's chunks beside the run", async () => {
    const handle = await tasks.trigger("pipes-steps", { count: 4, pauseMs: 300 });
    const chunks: Step[] = [];
    let finished = false;
    const subscription = runs.subscribeToRun(handle.id);
    const timer = setTimeout(() => subscription.unsubscribe(), 30_000);
    for await (const part of subscription.withStreams<{ steps: Step }>()) {
      if (part.type === "steps") chunks.push(part.chunk);
      if (part.type === "run" && part.run.isCompleted) finished = true;
      if (finished && chunks.length === 4) break;
    }
    clearTimeout(timer);
    expect(chunks).toEqual(stepsUpTo(4));
    expect(finished).toBe(true);
  });
});

describe("writing over HTTP to a waiting run", () => {
  let runId = "";
  beforeAll(async () => {
    runId = (await tasks.trigger("waits-for-approval", { timeout: "5m" })).id;
    await waitForStatus(runId, ["WAITING"]);
  });

  it("PUT answers v1 without S2; a re-upload from a chunk index stores each chunk once (HEAD says where)", async () => {
    const put = await call(`/realtime/v1/streams/${runId}/self/resumed`, { method: "PUT" });
    expect(put.status).toBe(202);
    expect(await put.json()).toEqual({ version: "v1" });
    expect(put.headers.get("x-s2-access-token")).toBeNull();
    const upload = (from: number, values: unknown[]) =>
      call(`/realtime/v1/streams/${runId}/self/resumed`, {
        method: "POST",
        headers: { "x-client-id": "writer-1", "x-resume-from-chunk": String(from), "x-stream-version": "v1" },
        body: ndjson(values),
      });
    const lastIndex = async (clientId: string) =>
      (await call(`/realtime/v1/streams/${runId}/self/resumed`, { method: "HEAD", headers: { "x-client-id": clientId } })).headers.get(
        "x-last-chunk-index",
      );
    expect(await lastIndex("writer-1")).toBe("-1");
    expect((await upload(0, ["a", "b", "c"])).status).toBe(200);
    expect(await lastIndex("writer-1")).toBe("2");
    // The writer lost its answer and resends from chunk 1: b and c are not stored again.
    expect((await upload(1, ["b", "c", "d"])).status).toBe(200);
    expect(await lastIndex("writer-1")).toBe("3");
    const events = await sseEvents(`/realtime/v1/streams/${runId}/resumed`);
    expect(events.map((e) => [e.id, JSON.parse(e.data)])).toEqual([
      ["0", "a"],
      ["1", "b"],
      ["2", "c"],
      ["3", "d"],
    ]);
  });

  it("a line over the record limit is a 413 naming the limit and its setting; the lines before it stand", async () => {
    const response = await call(`/realtime/v1/streams/${runId}/self/limited`, {
      method: "POST",
      headers: { "x-client-id": "writer-2", "x-resume-from-chunk": "0" },
      body: `${JSON.stringify("fits")}\n${JSON.stringify("x".repeat(CHUNK_LIMIT_BYTES + 10))}\n`,
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: string }).error).toMatch(
      /Chunk 1 of the stream upload is over the platform's limit of 64 KB per realtime stream record \(PLATFORM_STREAM_CHUNK_LIMIT_KB\)/,
    );
    expect((await sseEvents(`/realtime/v1/streams/${runId}/limited`)).map((e) => JSON.parse(e.data))).toEqual(["fits"]);
    const append = await call(`/realtime/v1/streams/${runId}/self/limited/append`, {
      method: "POST",
      body: "y".repeat(CHUNK_LIMIT_BYTES + 1),
    });
    expect(append.status).toBe(413);
  });

  it("an upload over the body limit is a 413 naming it; the platform's body limit does not hold it back first", async () => {
    const line = JSON.stringify("z".repeat(CHUNK_LIMIT_BYTES - 100));
    const lines = Math.ceil(BODY_LIMIT_BYTES / line.length) + 2;
    const response = await call(`/realtime/v1/streams/${runId}/self/large`, {
      method: "POST",
      headers: { "x-client-id": "writer-3", "x-resume-from-chunk": "0" },
      body: `${line}\n`.repeat(lines),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: string }).error).toMatch(
      /The stream upload is over the platform's limit of 2 MB per request body \(PLATFORM_BODY_LIMIT_MB\)/,
    );
    const stored = await sseEvents(`/realtime/v1/streams/${runId}/large`);
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.length).toBeLessThan(lines);
  });

  it("streams.append from another run's task, and over HTTP: a reader gets back each part's text", async () => {
    const parts = ["one", '{"two":2}'];
    const appender = await tasks.trigger("appends-to-run", { runId, key: "notes", parts });
    expect((await waitForRun(appender.id)).output).toEqual({ appended: 2 });
    const answer = await call(`/realtime/v1/streams/${runId}/self/notes/append`, { method: "POST", body: "three" });
    expect(await answer.json()).toEqual({ ok: true });
    const stream = await streams.read<string>(runId, "notes");
    const seen: string[] = [];
    for await (const part of stream) if (seen.push(part) === 3) break;
    expect(seen).toEqual([...parts, "three"]);
  });

  it("the run's stream keys are on its realtime feed; writing to a finished run is refused", async () => {
    const run = await firstOf(runs.subscribeToRun(runId));
    expect(run.realtimeStreams).toEqual(["resumed", "limited", "large", "notes"]);
    await approval.send(runId, { approved: false, by: "cleanup" });
    await waitForRun(runId);
    const put = await call(`/realtime/v1/streams/${runId}/self/late`, { method: "PUT" });
    expect(put.status).toBe(400);
    expect(((await put.json()) as { error: string }).error).toMatch(/Cannot initialize a realtime stream on a completed run/);
  });
});

describe("input streams", () => {
  it("wait blocks the run until send, and the run returns what was sent", async () => {
    const handle = await tasks.trigger("waits-for-approval", {});
    await waitForStatus(handle.id, ["WAITING"]);
    await approval.send(handle.id, { approved: true, by: "alice" });
    expect((await waitForRun(handle.id)).output).toEqual({ ok: true, output: { approved: true, by: "alice" } });
  });

  it("a send before the task waits is not lost: the wait finds it", async () => {
    const handle = await tasks.trigger("waits-for-approval", { delayMs: 1_500 });
    await approval.send(handle.id, { approved: true, by: "early" });
    expect((await waitForRun(handle.id)).output).toEqual({ ok: true, output: { approved: true, by: "early" } });
  });

  it("a wait times out with the timeout error, as a wait token does", async () => {
    const handle = await tasks.trigger("waits-for-approval", { timeout: "1s" });
    const run = await waitForRun(handle.id);
    expect(run.output).toMatchObject({ ok: false, error: expect.stringMatching(/timed out/i) });
  });

  it("once() and on() get every send, in order", async () => {
    const handle = await tasks.trigger("listens-for-approvals", { count: 3 });
    await waitForStatus(handle.id, ["EXECUTING"]);
    const sent = ["ann", "bob", "cy"].map((by, i) => ({ approved: i !== 1, by }));
    for (const data of sent) await approval.send(handle.id, data);
    expect((await waitForRun(handle.id)).output).toEqual({ approvals: sent });
  });
});

describe("public access tokens", () => {
  const statusOf = (call: Promise<unknown>) =>
    call.then(
      () => 200,
      (error: { status?: number }) => error.status ?? -1,
    );

  it("reading a stream needs read on its run", async () => {
    const mine = await tasks.trigger("pipes-steps", { count: 2, pauseMs: 10 });
    const other = await tasks.trigger("pipes-steps", { count: 2, pauseMs: 10 });
    await Promise.all([waitForRun(mine.id), waitForRun(other.id)]);
    const read = (id: string) =>
      fetch(`${fixture.h.url}/realtime/v1/streams/${id}/steps`, { headers: { authorization: `Bearer ${mine.publicAccessToken}` } });
    expect((await read(other.id)).status).toBe(403);
    const own = await read(mine.id);
    expect(own.status).toBe(200);
    expect(await own.text()).toContain('id: 1\ndata: {"index":1,"text":"step 1"}');
  });

  it("sending to an input stream needs write:inputStreams on the run", async () => {
    const handle = await tasks.trigger("waits-for-approval", {});
    await waitForStatus(handle.id, ["WAITING"]);
    const readOnly = await auth.createPublicToken({ scopes: { read: { runs: handle.id } } });
    const otherRun = await auth.createPublicToken({ scopes: { write: { inputStreams: "run_someoneelse" } } });
    const writer = await auth.createPublicToken({ scopes: { write: { inputStreams: handle.id } } });
    const send = (accessToken: string, by: string) =>
      auth.withAuth({ accessToken }, () => approval.send(handle.id, { approved: true, by }));
    expect(await statusOf(send(readOnly, "reader"))).toBe(403);
    expect(await statusOf(send(otherRun, "stranger"))).toBe(403);
    expect(await statusOf(send(writer, "writer"))).toBe(200);
    expect((await waitForRun(handle.id)).output).toEqual({ ok: true, output: { approved: true, by: "writer" } });
  });
});
