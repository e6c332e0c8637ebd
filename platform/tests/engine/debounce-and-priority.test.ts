// The trigger options `debounce` and `priority`, as Trigger.dev's docs describe them, on the engine directly.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { useEngine } from "./engine-harness";

const h = useEngine([{ id: "indexer" }, { id: "other" }]);

const debounced = (key: string, delay = "5s", extra: Record<string, unknown> = {}) => ({
  options: { debounce: { key, delay, ...extra } },
});

describe("debounce", () => {
  it("triggers with one key make one delayed run, pushed `delay` past the last trigger; the first payload wins", async () => {
    const first = await h().trigger("indexer", { payload: JSON.stringify({ n: 1 }), ...debounced("doc-1") });
    let last = first;
    for (let n = 2; n <= 5; n++) last = await h().trigger("indexer", { payload: JSON.stringify({ n }), ...debounced("doc-1") });
    expect(last.run.friendlyId).toBe(first.run.friendlyId);
    expect(last.isCached).toBe(false);
    const run = await h().run(first.run.friendlyId);
    expect(run.status).toBe("DELAYED");
    expect(JSON.parse(run.payload!)).toEqual({ n: 1 });
    expect(run.delayUntil!.getTime()).toBeGreaterThan(first.run.delayUntil!.getTime());
    expect(run.delayUntil!.getTime() - Date.now()).toBeGreaterThan(4_000);
    // Keys are per task: the same key on another task is another run.
    const elsewhere = await h().trigger("other", debounced("doc-1"));
    expect(elsewhere.run.friendlyId).not.toBe(first.run.friendlyId);
    expect((await h().snapshotsOf(first.run.friendlyId)).filter((s) => s.description.startsWith("Debounced"))).toHaveLength(4);
  });

  it("trailing mode runs with the last trigger's payload, tags and metadata", async () => {
    const first = await h().trigger("indexer", {
      payload: JSON.stringify({ v: 1 }),
      options: { debounce: { key: "doc-2", delay: "5s", mode: "trailing" }, tags: ["v1"] },
    });
    await h().trigger("indexer", {
      payload: JSON.stringify({ v: 2 }),
      options: { debounce: { key: "doc-2", delay: "5s", mode: "trailing" }, tags: ["v2"], metadata: JSON.stringify({ edits: 2 }) },
    });
    const run = await h().run(first.run.friendlyId);
    expect(JSON.parse(run.payload!)).toEqual({ v: 2 });
    expect(run.tags).toEqual(["v2"]);
    expect(JSON.parse(run.metadata!)).toEqual({ edits: 2 });
  });

  it("a push past maxDelay leaves the run on time and makes a new one", async () => {
    const first = await h().trigger("indexer", debounced("doc-3", "2s", { maxDelay: "3s" }));
    const due = (await h().run(first.run.friendlyId)).delayUntil!.getTime();
    await new Promise((r) => setTimeout(r, 1_100)); // now + 2s lies beyond created + 3s
    const second = await h().trigger("indexer", debounced("doc-3", "2s", { maxDelay: "3s" }));
    expect(second.run.friendlyId).not.toBe(first.run.friendlyId);
    expect((await h().run(first.run.friendlyId)).delayUntil!.getTime()).toBe(due);
    // The new run holds the key now.
    expect((await h().trigger("indexer", debounced("doc-3", "2s", { maxDelay: "3s" }))).run.friendlyId).toBe(second.run.friendlyId);
  });

  it("once the run has left DELAYED, the key makes a new run", async () => {
    const first = await h().trigger("indexer", debounced("doc-4", "1s"));
    await new Promise((r) => setTimeout(r, 1_050));
    await h().startNext(first.run.friendlyId);
    const next = await h().trigger("indexer", debounced("doc-4", "1s"));
    expect(next.run.friendlyId).not.toBe(first.run.friendlyId);
    expect(next.run.status).toBe("DELAYED");
  });

  it("concurrent triggers with one key make one run", async () => {
    const all = await Promise.all(Array.from({ length: 8 }, () => h().trigger("indexer", debounced("race"))));
    expect(new Set(all.map((o) => o.run.friendlyId)).size).toBe(1);
  });

  it("an idempotency key that matches wins over the debounce key", async () => {
    const keyed = await h().trigger("indexer", { options: { idempotencyKey: "idem-1" } });
    const again = await h().trigger("indexer", { options: { idempotencyKey: "idem-1", debounce: { key: "doc-5", delay: "5s" } } });
    expect(again).toMatchObject({ isCached: true, run: { friendlyId: keyed.run.friendlyId } });
  });

  it("refuses a delay that is a date or under 1s, and a maxDelay not above delay, naming the field", async () => {
    await expect(h().trigger("indexer", debounced("bad", new Date().toISOString()))).rejects.toThrow(
      /debounce\.delay: .* must be a duration of at least 1s/,
    );
    await expect(h().trigger("indexer", debounced("bad", "500ms"))).rejects.toThrow(/debounce\.delay/);
    await expect(h().trigger("indexer", debounced("bad", "10s", { maxDelay: "10s" }))).rejects.toThrow(
      /debounce\.maxDelay \(10s\) must be longer than debounce\.delay \(10s\)/,
    );
    await expect(h().trigger("indexer", debounced("bad", "10s", { maxDelay: "soon" }))).rejects.toThrow(
      /debounce\.maxDelay: "soon" is not a duration/,
    );
  });
});

describe("priority", () => {
  it("a run with priority 10 is dequeued before one triggered up to 10 s before it, not before one 20 s before", async () => {
    const early = await h().trigger("indexer");
    const urgent = await h().trigger("indexer", { options: { priority: 10 } });
    expect((await h().dequeue()).map((m) => m.run.friendlyId)).toEqual([urgent.run.friendlyId, early.run.friendlyId]);
  });

  it("is an offset, not a jump: a run available 20 s earlier still goes first", async () => {
    const old = await h().trigger("indexer");
    // What 20 s in the queue looks like.
    await h().db.execute(
      sql`UPDATE trigger_platform.runs SET available_at = available_at - interval '20 seconds', created_at = created_at - interval '20 seconds' WHERE friendly_id = ${old.run.friendlyId}`,
    );
    const urgent = await h().trigger("indexer", { options: { priority: 10 } });
    expect((await h().dequeue()).map((m) => m.run.friendlyId)).toEqual([old.run.friendlyId, urgent.run.friendlyId]);
  });

  it("does not make a delayed run early", async () => {
    const delayed = await h().trigger("indexer", { options: { delay: "1h", priority: 100_000 } });
    expect(await h().dequeue()).toEqual([]);
    expect((await h().run(delayed.run.friendlyId)).status).toBe("DELAYED");
  });
});
