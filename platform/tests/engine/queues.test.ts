// Pausing a queue and overriding its concurrency limit, as the dequeue sees them: the engine alone, on the
// test database (no HTTP, no CLI). The SDK's queues.* over HTTP, with the real CLI, are in e2e/queues.test.ts.
import { describe, expect, it } from "vitest";
import { useEngine } from "./engine-harness";

const h = useEngine(
  [
    { id: "plain" },
    { id: "pair", queue: { name: "pairs", concurrencyLimit: 2 } },
    { id: "closed", queue: { name: "closed-by-code", concurrencyLimit: 0 } },
  ],
  { dequeue: { holdMs: 0, intervalWithRunMs: 0, intervalWithoutRunMs: 20, maxConcurrentRuns: 3 } },
);

const PLAIN = { task: "plain" };
const dequeuedIds = async () => (await h().dequeue()).map((m) => m.run.friendlyId).sort();

describe("a paused queue", () => {
  it("hands out nothing, and a long line of its runs does not hold back other queues", async () => {
    // More of its runs than the dequeue looks at in one go (4 × the free slots, at least 50), queued first.
    const paused = [];
    for (let i = 0; i < 60; i++) paused.push((await h().trigger("plain")).run.friendlyId);
    await h().engine.setQueuePaused(h().env, PLAIN, true);
    const pair = (await h().trigger("pair")).run.friendlyId;
    expect(await dequeuedIds()).toEqual([pair]);
    expect(await h().dequeue()).toEqual([]);
    expect(await h().run(paused[0]!)).toMatchObject({ status: "PENDING" });

    await h().engine.setQueuePaused(h().env, PLAIN, false);
    expect(await h().dequeue()).toHaveLength(2); // the environment's 3 slots, one held by the pair run
  });

  it("lets its started runs finish; resuming wakes a dequeue held open for work", async () => {
    const running = (await h().trigger("plain")).run.friendlyId;
    await h().startNext(running);
    await h().engine.setQueuePaused(h().env, PLAIN, true);
    const waiting = (await h().trigger("plain")).run.friendlyId;
    await h().succeed(running);
    expect(await h().run(running)).toMatchObject({ status: "COMPLETED_SUCCESSFULLY" });

    const held = h().engine.dequeue(h().env, h().worker.id, { holdMs: 5_000 });
    await new Promise((r) => setTimeout(r, 100));
    const resumedAt = Date.now();
    await h().engine.setQueuePaused(h().env, PLAIN, false);
    const messages = await held;
    expect(messages.map((m) => m.run.friendlyId)).toEqual([waiting]);
    expect(Date.now() - resumedAt).toBeLessThan(1_000);
  });

  it("shows its counts: running runs hold a slot, queued ones wait", async () => {
    const first = (await h().trigger("plain")).run.friendlyId;
    await h().startNext(first);
    await h().engine.setQueuePaused(h().env, PLAIN, true);
    await h().trigger("plain");
    await h().trigger("plain", { options: { delay: new Date(Date.now() + 60_000).toISOString() } }); // not queued yet
    expect(await h().engine.retrieveQueue(h().env, PLAIN)).toMatchObject({
      name: "task/plain",
      type: "task",
      paused: true,
      running: 1,
      queued: 1,
      baseLimit: null,
      override: null,
    });
  });
});

describe("a concurrency limit override", () => {
  it("replaces the code's limit in the dequeue until reset", async () => {
    for (let i = 0; i < 4; i++) await h().trigger("pair");
    const pairs = { custom: "pairs" };
    expect((await h().engine.overrideQueueLimit(h().env, pairs, 1)).override).toMatchObject({ limit: 1 });
    expect(await h().dequeue()).toHaveLength(1);
    expect(await h().dequeue()).toEqual([]);

    const reset = await h().engine.resetQueueLimit(h().env, pairs);
    expect(reset).toMatchObject({ override: null, baseLimit: 2 });
    expect(await h().dequeue()).toHaveLength(1); // the code's 2, one of them already out
    expect(await h().dequeue()).toEqual([]);
  });

  it("of 0 hands out nothing of the queue, however long its line, and other queues go on", async () => {
    for (let i = 0; i < 60; i++) await h().trigger("plain");
    await h().engine.overrideQueueLimit(h().env, PLAIN, 0);
    const pair = (await h().trigger("pair")).run.friendlyId;
    expect(await dequeuedIds()).toEqual([pair]);
  });

  it("opens a queue its code closed (a limit of 0), and reset closes it again", async () => {
    const closed = (await h().trigger("closed")).run.friendlyId;
    expect(await h().dequeue()).toEqual([]);
    await h().engine.overrideQueueLimit(h().env, { custom: "closed-by-code" }, 1);
    await h().startNext(closed);
    await h().succeed(closed);
    await h().engine.resetQueueLimit(h().env, { custom: "closed-by-code" });
    await h().trigger("closed");
    expect(await h().dequeue()).toEqual([]);
  });

  it("above the environment's limit, or of a queue that does not exist, is refused and writes nothing", async () => {
    await expect(h().engine.overrideQueueLimit(h().env, PLAIN, 4)).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/concurrencyLimit: 4 exceeds the environment's limit of 3 concurrent runs/),
    });
    await expect(h().engine.overrideQueueLimit(h().env, { custom: "nowhere" }, 1)).rejects.toMatchObject({
      status: 404,
      message: expect.stringMatching(/Queue not found: no custom queue named "nowhere"/),
    });
    await expect(h().engine.resetQueueLimit(h().env, PLAIN)).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/no concurrency limit override to reset/),
    });
    const { queues } = await h().engine.listQueues(h().env, { page: 1, perPage: 100 });
    expect(queues.map((q) => [q.name, q.override, q.paused])).toEqual([
      ["closed-by-code", null, false],
      ["pairs", null, false],
      ["task/plain", null, false],
    ]);
  });
});
