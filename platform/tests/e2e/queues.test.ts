// The SDK's queues.* against the local platform, with the real CLI running the fixture project, as
// Trigger.dev's docs describe them: list and retrieve show a queue's limits and its running and queued runs;
// a paused queue starts nothing until resumed while other queues go on; an override replaces the limit until
// reset; bad input is refused with a message that names the field or the queue.
import { auth, queues, runs, tasks } from "@trigger.dev/sdk";
import { describe, expect, it } from "vitest";
import { useFixturePlatform, waitForRun, waitForStatus } from "../support/platform";

const fixture = useFixturePlatform();

const ECHO = { type: "task", name: "echo" } as const;
const PAIRS = { type: "task", name: "two-at-a-time" } as const;
const SINGLE = { type: "custom", name: "single-file" } as const;

/** The HTTP status and message an SDK call failed with. */
const refusal = (call: Promise<unknown>) =>
  call.then(
    () => ({ status: 200, message: "" }),
    (error: { status?: number; message?: string }) => ({ status: error.status ?? -1, message: error.message ?? "" }),
  );

const ms = (date: Date | undefined) => date?.getTime() ?? Number.NaN;

describe("queues.list and queues.retrieve", () => {
  it("list the worker's queues: custom ones, and each task's own unless it names another, with their limits", async () => {
    const all = await queues.list({ perPage: 100 });
    const byName = new Map(all.data.map((q) => [q.name, q]));
    expect(byName.get("single-file")).toMatchObject({
      type: "custom",
      paused: false,
      concurrencyLimit: 1,
      concurrency: { current: 1, base: 1, override: null, overriddenAt: null, overriddenBy: null },
    });
    // Declared inline without a name: the task's own queue, shown by its task id.
    expect(byName.get("two-at-a-time")).toMatchObject({ type: "task", concurrencyLimit: 2, concurrency: { base: 2 } });
    expect(byName.get("echo")).toMatchObject({ type: "task", concurrencyLimit: null, concurrency: { base: null } });
    expect(byName.has("one-at-a-time")).toBe(false); // its runs go to single-file
    expect(all.data.every((q) => /^queue_[0-9a-f]{25}$/.test(q.id))).toBe(true);
    expect(all.pagination).toMatchObject({ currentPage: 1, totalPages: 1, count: all.data.length });

    // Pages of two, in the same order, give every queue once.
    const paged: string[] = [];
    for (let page = 1; ; page++) {
      const answer = await queues.list({ page, perPage: 2 });
      expect(answer.pagination).toMatchObject({ currentPage: page, count: all.data.length, totalPages: Math.ceil(all.data.length / 2) });
      if (answer.data.length === 0) break;
      paged.push(...answer.data.map((q) => q.name));
    }
    expect(paged).toEqual(all.data.map((q) => q.name));
  });

  it("retrieve, by id or by type and name, counts the runs running in the queue and those queued in it", async () => {
    const handles = await Promise.all([1, 2, 3].map(() => tasks.trigger("one-at-a-time", { ms: 1_000 })));
    await waitForStatus(handles[0]!.id, ["EXECUTING"]);
    const byName = await queues.retrieve(SINGLE);
    expect(byName).toMatchObject({ name: "single-file", type: "custom", running: 1, queued: 2 });
    expect(await queues.retrieve(byName.id)).toMatchObject({ id: byName.id, running: 1, queued: 2 });
    expect((await queues.list({ perPage: 100 })).data.find((q) => q.name === "single-file")).toMatchObject({ running: 1, queued: 2 });
    await Promise.all(handles.map((h) => waitForRun(h.id)));
    expect(await queues.retrieve(SINGLE)).toMatchObject({ running: 0, queued: 0 });
  });

  it("retrieve takes a public token with read:queues; the other queue routes, and other scopes, refuse it", async () => {
    const readQueues = await auth.createPublicToken({ scopes: { read: { queues: true } } as never });
    const as = <T>(token: string, call: () => Promise<T>) => auth.withAuth({ baseURL: fixture.h.url, accessToken: token }, call);
    expect(await as(readQueues, () => queues.retrieve(ECHO))).toMatchObject({ name: "echo", type: "task" });
    expect(await refusal(as(readQueues, () => queues.list()))).toMatchObject({ status: 401 });
    expect(await refusal(as(readQueues, () => queues.pause(ECHO)))).toMatchObject({ status: 401 });
    const readRuns = await auth.createPublicToken({ scopes: { read: { runs: true } } });
    expect(await refusal(as(readRuns, () => queues.retrieve(ECHO)))).toMatchObject({
      status: 403,
      message: expect.stringMatching(/read:queues/),
    });
  });
});

describe("queues.pause and queues.resume", () => {
  it("a paused queue keeps its run queued while another queue's run completes; resuming lets it run", async () => {
    expect(await queues.pause(ECHO)).toMatchObject({ name: "echo", paused: true });
    const held = await tasks.trigger("echo", { message: "held" });
    const other = await waitForRun((await tasks.trigger("noop", null)).id);
    expect(other.status).toBe("COMPLETED");
    // Over two seconds, long enough for the CLI's dequeue to have run many times, it is not started.
    const until = Date.now() + 2_000;
    while (Date.now() < until) {
      const run = await runs.retrieve(held.id);
      expect(run.status).toBe("QUEUED");
      expect(run.startedAt).toBeUndefined();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await queues.retrieve(ECHO)).toMatchObject({ paused: true, queued: 1, running: 0 });

    const resumedAt = Date.now();
    expect(await queues.resume(ECHO)).toMatchObject({ name: "echo", paused: false });
    const run = await waitForRun(held.id);
    expect(run.status).toBe("COMPLETED");
    expect(ms(run.startedAt)).toBeGreaterThanOrEqual(resumedAt - 50);
    expect(await queues.retrieve(ECHO)).toMatchObject({ paused: false, queued: 0 });
  });
});

describe("queues.overrideConcurrencyLimit and queues.resetConcurrencyLimit", () => {
  it("an override of 1 runs the queue's runs one after the other; reset restores the code's limit of 2", async () => {
    const overridden = await queues.overrideConcurrencyLimit(PAIRS, 1);
    expect(overridden).toMatchObject({
      concurrencyLimit: 1,
      concurrency: { current: 1, base: 2, override: 1, overriddenBy: null },
    });
    expect(overridden.concurrency!.overriddenAt).toBeInstanceOf(Date);
    expect(await queues.retrieve(PAIRS)).toMatchObject({ concurrencyLimit: 1, concurrency: { override: 1 } });

    const one = await Promise.all([1, 2].map(() => tasks.trigger("two-at-a-time", { ms: 800 })));
    const [first, second] = (await Promise.all(one.map((h) => waitForRun(h.id)))).sort((a, b) => ms(a.startedAt) - ms(b.startedAt));
    expect(ms(second!.startedAt)).toBeGreaterThanOrEqual(ms(first!.finishedAt));

    const reset = await queues.resetConcurrencyLimit(PAIRS);
    expect(reset).toMatchObject({ concurrencyLimit: 2, concurrency: { current: 2, base: 2, override: null, overriddenAt: null } });
    // Two at a time again: the first two overlap, the third starts only when one of them has ended.
    const three = [];
    for (let i = 0; i < 3; i++) three.push(await tasks.trigger("two-at-a-time", { ms: 1_500 }));
    const done = (await Promise.all(three.map((h) => waitForRun(h.id)))).sort((a, b) => ms(a.startedAt) - ms(b.startedAt));
    expect(ms(done[1]!.startedAt)).toBeLessThan(ms(done[0]!.finishedAt));
    expect(ms(done[2]!.startedAt)).toBeGreaterThanOrEqual(Math.min(ms(done[0]!.finishedAt), ms(done[1]!.finishedAt)));
  });
});

describe("bad input", () => {
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${fixture.h.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${fixture.h.secretKey}`, "content-type": "application/json" },
    }).then(async (response) => ({ status: response.status, body: (await response.json()) as { error?: string } }));

  it("an override that is not a whole number ≥ 0, or above the environment's limit, is a 400 and changes nothing", async () => {
    for (const [limit, message] of [
      [-1, /concurrencyLimit: must be a whole number of runs, 0 or more/],
      [1.5, /concurrencyLimit: must be a whole number of runs, 0 or more/],
      [26, /concurrencyLimit: 26 exceeds the environment's limit of 25 concurrent runs/],
    ] as const)
      expect(await refusal(queues.overrideConcurrencyLimit(SINGLE, limit))).toMatchObject({
        status: 400,
        message: expect.stringMatching(message),
      });
    expect(await call("/api/v1/queues/single-file/concurrency/override", { method: "POST", body: '{"type":"custom"}' })).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/concurrencyLimit: must be a whole number/) },
    });
    expect(await queues.retrieve(SINGLE)).toMatchObject({ concurrencyLimit: 1, concurrency: { override: null } });
  });

  it("a queue that does not exist is a 404 naming it, and nothing is written for it", async () => {
    const missing = { type: "custom", name: "no-such-queue" } as const;
    for (const [attempt, message] of [
      [() => queues.retrieve(missing), /Queue not found: no custom queue named "no-such-queue"/],
      [() => queues.retrieve({ type: "task", name: "no-such-task" }), /Queue not found: no queue of task "no-such-task"/],
      [() => queues.retrieve("queue_0000000000000000000000000"), /Queue not found: no queue with id "queue_0000000000000000000000000"/],
      [() => queues.retrieve("single-file"), /Queue not found: no queue with id "single-file"/], // a name needs its type
      [() => queues.pause(missing), /no custom queue named "no-such-queue"/],
      [() => queues.overrideConcurrencyLimit(missing, 1), /no custom queue named "no-such-queue"/],
      [() => queues.resetConcurrencyLimit(missing), /no custom queue named "no-such-queue"/],
    ] as const)
      expect(await refusal(attempt())).toMatchObject({ status: 404, message: expect.stringMatching(message) });
    expect((await queues.list({ perPage: 100 })).data.map((q) => q.name)).not.toContain("no-such-queue");
  });

  it("a reset without an override, a bad action, type or page, are 400s naming the field", async () => {
    expect(await refusal(queues.resetConcurrencyLimit(SINGLE))).toMatchObject({
      status: 400,
      message: expect.stringMatching(/Queue single-file has no concurrency limit override to reset/),
    });
    expect(await call("/api/v1/queues/single-file/pause", { method: "POST", body: '{"type":"custom","action":"stop"}' })).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/action: must be "pause" or "resume"/) },
    });
    expect(await call("/api/v1/queues/single-file?type=named")).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/type: must be one of task, custom, id/) },
    });
    expect(await call("/api/v1/queues?page=0")).toMatchObject({ status: 400, body: { error: "page: must be a whole number from 1" } });
    expect(await call("/api/v1/queues?perPage=many")).toMatchObject({
      status: 400,
      body: { error: "perPage: must be a whole number from 1" },
    });
    expect(await queues.retrieve(SINGLE)).toMatchObject({ paused: false });
  });
});
