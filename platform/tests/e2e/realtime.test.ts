// Realtime run feeds through the real SDK and the real CLI: runs.subscribeToRun, subscribeToRunsWithTag,
// subscribeToBatch and a task's triggerAndSubscribe, with the secret key and with public tokens, plus the
// shape protocol's own rules the SDK's client depends on (headers, must-refetch).
import { auth, batch, runs, tasks } from "@trigger.dev/sdk";
import { describe, expect, it } from "vitest";
import { useFixturePlatform, waitForRun } from "../support/platform";

const fixture = useFixturePlatform();

/** Collects what a subscription yields until it ends (or `until` says stop), failing after `ms`. */
async function collect<T>(subscription: AsyncIterable<T> & { unsubscribe?: () => void }, until: (seen: T[]) => boolean, ms = 30_000) {
  const seen: T[] = [];
  const timer = setTimeout(() => subscription.unsubscribe?.(), ms);
  try {
    for await (const item of subscription) {
      seen.push(item);
      if (until(seen)) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return seen;
}

describe("runs.subscribeToRun", () => {
  it("yields the run as it changes (status and metadata) and ends by itself once it has finished", async () => {
    const handle = await tasks.trigger("progress", { steps: ["reserving", "charging", "confirming"] });
    const seen = await collect(runs.subscribeToRun(handle.id), () => false);
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ id: handle.id, status: "COMPLETED", output: { done: 3 }, isCompleted: true });
    expect(last.finishedAt).toBeInstanceOf(Date);
    // Every step was seen while the run went on, in order.
    const steps = seen.map((run) => (run.metadata as { step?: string } | undefined)?.step).filter((s, i, all) => s && s !== all[i - 1]);
    expect(steps).toEqual(["reserving", "charging", "confirming"]);
    expect(seen.some((run) => run.status === "EXECUTING")).toBe(true);
  });

  it("a running run's feed answers only when the run changes (no answer in a loop while it executes)", async () => {
    const handle = await tasks.trigger("progress", { steps: ["one", "two", "three"], pauseMs: 800 });
    const seen = await collect(runs.subscribeToRun(handle.id), () => false);
    expect(seen.at(-1)!.status).toBe("COMPLETED");
    // Queued, dequeued, executing, three steps, completed, and a few in between: not hundreds.
    expect(seen.length).toBeLessThan(20);
  });

  it("a finished run yields once, then the subscription ends", async () => {
    const handle = await tasks.trigger("echo", { message: "done already" });
    await waitForRun(handle.id);
    const seen = await collect(runs.subscribeToRun(handle.id), () => false, 10_000);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ status: "COMPLETED", output: { echoed: "done already" }, payload: { message: "done already" } });
  });

  it("skipColumns leaves the payload out", async () => {
    const handle = await tasks.trigger("echo", { message: "secret" });
    const seen = await collect(runs.subscribeToRun(handle.id, { skipColumns: ["payload"] }), () => false);
    expect(seen.at(-1)!.payload).toBeUndefined();
    expect(seen.at(-1)!.output).toEqual({ echoed: "secret", at: new Date("2026-01-02T03:04:05.000Z") });
  });

  it("works with the trigger's public access token, which reaches no other run", async () => {
    const handle = await tasks.trigger("echo", { message: "public" });
    const other = await tasks.trigger("noop", null);
    const seen = await auth.withAuth({ accessToken: handle.publicAccessToken }, () => collect(runs.subscribeToRun(handle.id), () => false));
    expect(seen.at(-1)).toMatchObject({ id: handle.id, status: "COMPLETED" });
    const refused = await fetch(`${fixture.h.url}/realtime/v1/runs/${other.id}?offset=-1&log=full`, {
      headers: { authorization: `Bearer ${handle.publicAccessToken}` },
    });
    expect(refused.status).toBe(403);
  });
});

describe("runs.subscribeToRunsWithTag and subscribeToBatch", () => {
  it("yields each run carrying every tag, and no other", async () => {
    const tag = `shopper-${Date.now().toString(36)}`;
    const a = await tasks.trigger("echo", { message: "a" }, { tags: [tag, "kind:a"] });
    const b = await tasks.trigger("echo", { message: "b" }, { tags: [tag] });
    const untagged = await tasks.trigger("echo", { message: "c" });
    const done = (seen: { id: string; status: string }[]) =>
      [a.id, b.id].every((id) => seen.some((run) => run.id === id && run.status === "COMPLETED"));
    const seen = await collect(runs.subscribeToRunsWithTag(tag), done);
    expect(done(seen)).toBe(true);
    expect(seen.some((run) => run.id === untagged.id)).toBe(false);
    // Every tag must match.
    const onlyA = await collect(runs.subscribeToRunsWithTag([tag, "kind:a"]), (s) => s.some((r) => r.status === "COMPLETED"));
    expect(new Set(onlyA.map((run) => run.id))).toEqual(new Set([a.id]));
  });

  it("subscribeToBatch yields the batch's runs", async () => {
    const handle = await batch.trigger([
      { id: "echo", payload: { message: "one" } },
      { id: "echo", payload: { message: "two" } },
    ]);
    const seen = await collect(
      runs.subscribeToBatch(handle.batchId),
      (s) => new Set(s.filter((r) => r.status === "COMPLETED").map((r) => r.id)).size === 2,
    );
    const outputs = seen.filter((run) => run.status === "COMPLETED").map((run) => (run.output as { echoed: string }).echoed);
    expect(new Set(outputs)).toEqual(new Set(["one", "two"]));
  });
});

describe("triggerAndSubscribe in a task", () => {
  it("follows the child over the feed and returns its output", async () => {
    const run = await waitForRun((await tasks.trigger("subscribes-to-child", { message: "followed" })).id);
    expect(run.output).toEqual({ ok: true, output: { echoed: "followed", at: "2026-01-02T03:04:05.000Z" } });
  });
});

describe("the shape protocol", () => {
  it("a snapshot carries handle, offset (never -1), schema and up-to-date; an unknown handle is told to refetch", async () => {
    const handle = await tasks.trigger("noop", null, { tags: ["protocol"] });
    const headers = { authorization: `Bearer ${fixture.h.secretKey}` };
    const snapshot = await fetch(`${fixture.h.url}/realtime/v1/runs/${handle.id}?log=full&offset=-1`, { headers });
    expect(snapshot.status).toBe(200);
    expect(snapshot.headers.get("electric-handle")).toBeTruthy();
    expect(snapshot.headers.get("electric-offset")).not.toBe("-1");
    expect(JSON.parse(snapshot.headers.get("electric-schema")!)).toMatchObject({
      createdAt: { type: "timestamp" },
      runTags: { type: "text", dims: 1 },
    });
    const body = (await snapshot.json()) as Array<{ headers: Record<string, string>; value?: Record<string, string> }>;
    expect(body.at(-1)).toEqual({ headers: { control: "up-to-date" } });
    expect(body[0]).toMatchObject({
      headers: { operation: "insert" },
      value: { friendlyId: handle.id, runTags: '{"protocol"}', isTest: "f" },
    });
    expect(body[0]!.value!.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
    const stale = await fetch(`${fixture.h.url}/realtime/v1/runs/${handle.id}?handle=gone&live=true&offset=3_0&cursor=`, { headers });
    expect(stale.status).toBe(409);
    expect(await stale.json()).toEqual([{ headers: { control: "must-refetch" } }]);
  });

  it("a live request whose offset is not the last answer's (that answer was lost) is told to refetch", async () => {
    const handle = await tasks.trigger("progress", { steps: ["a", "b"], pauseMs: 600 });
    const headers = { authorization: `Bearer ${fixture.h.secretKey}` };
    const url = (query: string) => `${fixture.h.url}/realtime/v1/runs/${handle.id}?log=full&${query}`;
    const snapshot = await fetch(url("offset=-1"), { headers });
    const shape = snapshot.headers.get("electric-handle")!;
    const first = snapshot.headers.get("electric-offset")!;
    await snapshot.arrayBuffer();
    // The next live answer carries a change (the run moves on), and a new offset…
    const live = await fetch(url(`handle=${shape}&live=true&offset=${first}&cursor=`), { headers });
    expect(live.status).toBe(200);
    const next = live.headers.get("electric-offset")!;
    expect(next).not.toBe(first);
    await live.arrayBuffer();
    // …which the client never got: asking again from the old offset must not skip that change.
    const again = await fetch(url(`handle=${shape}&live=true&offset=${first}&cursor=`), { headers });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual([{ headers: { control: "must-refetch" } }]);
  });

  it("a bad filter is a 400 naming it", async () => {
    const headers = { authorization: `Bearer ${fixture.h.secretKey}` };
    const badTag = await fetch(`${fixture.h.url}/realtime/v1/runs?tags=${encodeURIComponent('a"b')}&offset=-1`, { headers });
    expect(badTag.status).toBe(400);
    expect(await badTag.json()).toMatchObject({ error: expect.stringMatching(/^tags: /) });
    const badWindow = await fetch(`${fixture.h.url}/realtime/v1/runs?tags=x&createdAt=yesterday&offset=-1`, { headers });
    expect(badWindow.status).toBe(400);
  });
});
