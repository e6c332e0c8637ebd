// Trigger → dequeue → start → complete, and who gets dequeued when: queue limits, the environment's limit,
// delays, ttl, builds. The engine alone, on the test database (no HTTP, no CLI).
import { describe, expect, it } from "vitest";
import { useEngine } from "./engine-harness";

const h = useEngine(
  [{ id: "plain" }, { id: "limited", queue: { name: "one-at-a-time", concurrencyLimit: 1 } }, { id: "short-lived", ttl: "1s" }],
  {
    dequeue: { holdMs: 0, intervalWithRunMs: 0, intervalWithoutRunMs: 20, maxConcurrentRuns: 3 },
  },
);

describe("a run's life", () => {
  it("is queued, dequeued once, executed, and completed with its output", async () => {
    const { run } = await h().trigger("plain", { payload: '{"n":1}' });
    expect(await h().run(run.friendlyId)).toMatchObject({ status: "PENDING", attemptNumber: 0 });

    const started = await h().startNext(run.friendlyId);
    expect(await h().dequeue()).toEqual([]); // handed out once
    expect(await h().run(started)).toMatchObject({ status: "EXECUTING", attemptNumber: 1 });

    const result = await h().succeed(started, { doubled: 2 });
    expect(result.attemptStatus).toBe("RUN_FINISHED");
    expect(await h().run(started)).toMatchObject({ status: "COMPLETED_SUCCESSFULLY", output: '{"doubled":2}' });
    expect((await h().snapshotsOf(started)).map((s) => s.executionStatus)).toEqual([
      "QUEUED",
      "PENDING_EXECUTING",
      "EXECUTING",
      "FINISHED",
    ]);
  });

  it("a failed attempt with a retry goes back to the queue, available from the retry's time", async () => {
    const { run } = await h().trigger("plain");
    await h().startNext();
    expect((await h().fail(run.friendlyId, 150)).attemptStatus).toBe("RETRY_QUEUED");
    expect(await h().dequeue()).toEqual([]); // not before its time
    await new Promise((r) => setTimeout(r, 170));
    await h().startNext(run.friendlyId);
    expect(await h().run(run.friendlyId)).toMatchObject({ attemptNumber: 2, status: "EXECUTING" });
    await h().fail(run.friendlyId); // no retry asked: the run fails
    expect(await h().run(run.friendlyId)).toMatchObject({ status: "COMPLETED_WITH_ERRORS" });
  });
});

describe("who is dequeued", () => {
  it("a queue at its limit is skipped, and the runs behind it do not block other queues", async () => {
    const limited = [];
    for (let i = 0; i < 5; i++) limited.push((await h().trigger("limited")).run.friendlyId);
    const plain = (await h().trigger("plain")).run.friendlyId;
    const first = await h().dequeue();
    expect(first.map((m) => m.run.friendlyId).sort()).toEqual([limited[0], plain].sort());
    expect(await h().dequeue()).toEqual([]); // the limited queue is full
  });

  it("the environment's limit holds across queues", async () => {
    for (let i = 0; i < 5; i++) await h().trigger("plain");
    expect(await h().dequeue()).toHaveLength(3);
    expect(await h().dequeue()).toHaveLength(0);
  });

  it("a finished run frees its slot", async () => {
    const a = (await h().trigger("limited")).run.friendlyId;
    const b = (await h().trigger("limited")).run.friendlyId;
    await h().startNext(a);
    expect(await h().dequeue()).toEqual([]);
    await h().succeed(a);
    await h().startNext(b);
  });

  it("a delayed run waits for its delay", async () => {
    const { run } = await h().trigger("plain", { options: { delay: new Date(Date.now() + 150).toISOString() } });
    expect(await h().run(run.friendlyId)).toMatchObject({ status: "DELAYED" });
    expect(await h().dequeue()).toEqual([]);
    await new Promise((r) => setTimeout(r, 170));
    await h().startNext(run.friendlyId);
  });

  it("a run not started within its ttl expires instead of running", async () => {
    const { run } = await h().trigger("short-lived"); // the task's ttl: 1s
    await new Promise((r) => setTimeout(r, 1_050));
    expect(await h().dequeue()).toEqual([]);
    expect(await h().run(run.friendlyId)).toMatchObject({ status: "EXPIRED", error: { raw: expect.stringContaining("ttl") } });
  });

  it("a held dequeue holds on through a wake that brings it nothing, and answers with the run that comes", async () => {
    const a = (await h().trigger("limited")).run.friendlyId;
    const b = (await h().trigger("limited")).run.friendlyId;
    await h().startNext(a); // the queue is at its limit: b waits
    let answered = false;
    const held = h()
      .engine.dequeue(h().env, h().worker.id, { holdMs: 5_000 })
      .finally(() => (answered = true));
    await h().trigger("limited"); // a wake, but the queue is still full
    await new Promise((r) => setTimeout(r, 200));
    expect(answered).toBe(false);
    await h().succeed(a); // a's slot frees: b
    expect((await held).map((m) => m.run.friendlyId)).toEqual([b]);
  });

  it("a CLI still on an older build gets nothing", async () => {
    const older = h().worker.id;
    await h().rebuild("build-2");
    await h().trigger("plain");
    expect(await h().engine.dequeue(h().env, older)).toEqual([]);
    expect(await h().dequeue()).toHaveLength(1);
  });
});

describe("idempotency", () => {
  it("a second trigger with the same key gets the same run, cached; a reset key triggers anew", async () => {
    const first = await h().trigger("plain", { options: { idempotencyKey: "k-1" } });
    const again = await h().trigger("plain", { options: { idempotencyKey: "k-1" } });
    expect(again).toMatchObject({ isCached: true, run: { friendlyId: first.run.friendlyId } });
    expect(await h().engine.resetIdempotencyKey(h().env, "plain", "k-1")).toBe(1);
    const fresh = await h().trigger("plain", { options: { idempotencyKey: "k-1" } });
    expect(fresh.isCached).toBe(false);
    expect(fresh.run.friendlyId).not.toBe(first.run.friendlyId);
  });

  it("concurrent triggers with one key make one run", async () => {
    const all = await Promise.all(Array.from({ length: 8 }, () => h().trigger("plain", { options: { idempotencyKey: "race" } })));
    expect(new Set(all.map((o) => o.run.friendlyId)).size).toBe(1);
    expect(all.filter((o) => !o.isCached)).toHaveLength(1);
  });
});
