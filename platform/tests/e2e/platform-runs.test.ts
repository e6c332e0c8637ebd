// The real `trigger.dev dev` CLI runs the fixture project against the local platform: one test per
// semantic of Trigger.dev's runs, asserting what its docs describe.
import { auth, idempotencyKeys, runs, tasks } from "@trigger.dev/sdk";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { snapshots } from "../../lib/db/schema";
import { internalId } from "../../lib/ids";
import { dashboardHeaders, FIXTURE_REF, useFixturePlatform, waitForRun, waitForStatus } from "../support/platform";

const fixture = useFixturePlatform();

describe("a run", () => {
  it("executes, and runs.retrieve returns its payload and output decoded", async () => {
    const handle = await tasks.trigger("echo", { message: "hello" });
    expect(handle.id).toMatch(/^run_/);
    const run = await waitForRun(handle.id);
    expect(run).toMatchObject({
      status: "COMPLETED",
      isSuccess: true,
      isCompleted: true,
      taskIdentifier: "echo",
      attemptCount: 1,
      payload: { message: "hello" },
    });
    // The task returned a Date: stored as superjson, decoded, and sent as JSON like Trigger.dev's API does.
    expect(run.output).toEqual({ echoed: "hello", at: "2026-01-02T03:04:05.000Z" });
    expect(run.version).toMatch(/^\d{8}\.\d+$/);
  });

  it("a payload holding a BigInt, a Date and a circular link: runs.retrieve answers superjson's JSON view, as Trigger.dev does", async () => {
    const payload: Record<string, unknown> = { message: "odd values", count: 12345678901234567890n, at: new Date("2026-01-02T03:04:05Z") };
    payload.self = payload;
    // Delayed, so the run is looked at before it runs (its payload is what the SDK sent, as superjson).
    const handle = await tasks.trigger("echo", payload, { delay: "1h" });
    const run = await runs.retrieve(handle.id);
    expect(run.payload).toEqual({ message: "odd values", count: "12345678901234567890", at: "2026-01-02T03:04:05.000Z", self: null });
    const page = await fetch(`${fixture.h.url}/runs/${handle.id}`, { headers: dashboardHeaders() });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("12345678901234567890");
    await runs.cancel(handle.id);
  });

  it("a payload and an output over the SDK's 128 KB offload threshold travel as stored packets, there and back", async () => {
    const message = "x".repeat(200 * 1024);
    // The parent's payload is offloaded by the SDK; the child's output (the same message) by the task process,
    // and the parent is resumed with it; the parent's output is offloaded in turn.
    const handle = await tasks.trigger("parent", { message, waitSeconds: 1 });
    const run = await waitForRun(handle.id, 60_000);
    expect(run.status).toBe("COMPLETED");
    expect((run.payload as { message: string }).message).toBe(message); // read back from its presigned URL by the SDK
    expect((run.output as { fromChild: string }).fromChild).toBe(message);
    const raw = (await (
      await fetch(`${fixture.h.url}/api/v3/runs/${handle.id}`, { headers: { authorization: `Bearer ${fixture.h.secretKey}` } })
    ).json()) as Record<string, unknown>;
    expect(raw.payload).toBeUndefined();
    expect(raw.payloadPresignedUrl).toMatch(/\/packets\/[^/]+\/.+\?method=GET&expires=\d+&signature=[0-9a-f]{64}$/);
    // The URL is the credential, for GET only: a PUT with it, or a tampered signature, is refused.
    const url = String(raw.payloadPresignedUrl);
    expect((await fetch(url.replace("method=GET", "method=PUT"), { method: "PUT", body: "{}" })).status).toBe(403);
    expect((await fetch(url.slice(0, -1) + (url.endsWith("0") ? "1" : "0"))).status).toBe(403);
    expect(JSON.parse(await (await fetch(url)).text())).toMatchObject({ json: { message } });
    // A public token reads the packets of the runs it may read, and no other run's.
    const viaToken = await auth.withAuth({ accessToken: handle.publicAccessToken }, () => runs.retrieve(handle.id));
    expect((viaToken.output as { fromChild: string }).fromChild).toBe(message);
    const outputKey = new URL(String(raw.outputPresignedUrl)).pathname.split("/").slice(3).map(decodeURIComponent).join("/");
    expect(outputKey).toMatch(new RegExp(`^${handle.id}-\\d+/`));
    const other = await tasks.trigger("noop", null);
    const packetAs = (token: string) =>
      fetch(`${fixture.h.url}/api/v1/packets/${outputKey}`, { headers: { authorization: `Bearer ${token}` } });
    expect((await packetAs(handle.publicAccessToken)).status).toBe(200);
    expect((await packetAs(other.publicAccessToken)).status).toBe(403);
    // The dashboard links the stored packets instead of inlining 200 KB.
    const page = await fetch(`${fixture.h.url}/runs/${handle.id}`, { headers: dashboardHeaders() });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Open the stored packet");
  }, 90_000);

  it("metadata.replace replaces the run's metadata (keys set before it are gone)", async () => {
    const run = await waitForRun((await tasks.trigger("replace-metadata", null)).id);
    expect(run.status).toBe("COMPLETED");
    expect(run.metadata).toEqual({ step: "replaced" });
  });

  it("triggerAndWait resumes the parent with the child's output; wait.for resumes on time; metadata is kept", async () => {
    const handle = await tasks.trigger("parent", { message: "via child", waitSeconds: 6 });
    const waiting = await waitForStatus(handle.id, ["WAITING"], 20_000);
    expect(waiting.isWaiting).toBe(true);
    const run = await waitForRun(handle.id, 30_000);
    expect(run.status).toBe("COMPLETED");
    expect(run.output).toMatchObject({ fromChild: "via child" });
    expect(run.metadata).toEqual({ step: "done", waits: 1 });
    const children = run.relatedRuns.children ?? [];
    expect(children).toHaveLength(1);
    expect(children[0]).toMatchObject({ taskIdentifier: "echo", status: "COMPLETED", triggerFunction: "triggerAndWait", depth: 1 });
    const child = await runs.retrieve(children[0]!.id);
    expect(child.relatedRuns.parent?.id).toBe(handle.id);
    // 6 s of waiting happened (a wait of more than 5 s goes through the platform).
    expect(run.durationMs).toBeGreaterThanOrEqual(6_000);
  });
});

describe("retries", () => {
  it("retries a failing run with the task's backoff until it succeeds", async () => {
    const run = await waitForRun((await tasks.trigger("flaky", { failTimes: 2 })).id);
    expect(run).toMatchObject({ status: "COMPLETED", output: { attempt: 3 }, attemptCount: 3 });
  });

  it("fails after maxAttempts and gives its idempotency key back", async () => {
    const key = await idempotencyKeys.create(`always-fails-${Date.now()}`);
    const first = await tasks.trigger("always-fails", {}, { idempotencyKey: key });
    const run = await waitForRun(first.id);
    expect(run).toMatchObject({ status: "FAILED", isFailed: true, attemptCount: 2 });
    expect(run.error?.message).toMatch(/always fails/);
    const again = await tasks.trigger("always-fails", {}, { idempotencyKey: key });
    expect(again.id).not.toBe(first.id); // a FAILED run clears its key
  });

  it("AbortTaskRunError ends the run without retrying", async () => {
    const run = await waitForRun((await tasks.trigger("aborts", {})).id);
    expect(run).toMatchObject({ status: "FAILED", attemptCount: 1 });
    expect(run.error?.message).toMatch(/declined for good/);
  });

  it("maxDuration exceeded is TIMED_OUT, not retried", async () => {
    const run = await waitForRun((await tasks.trigger("slow", { ms: 10_000 })).id, 30_000);
    expect(run).toMatchObject({ status: "TIMED_OUT", attemptCount: 1 });
  });
});

describe("idempotency keys", () => {
  it("the same key returns the same run (isCached), until it is reset", async () => {
    const key = await idempotencyKeys.create(`echo-${Date.now()}`, { scope: "global" });
    const first = await tasks.trigger("echo", { message: "once" }, { idempotencyKey: key });
    const second = await tasks.trigger("echo", { message: "twice" }, { idempotencyKey: key });
    expect(second.id).toBe(first.id);
    expect((await waitForRun(first.id)).payload).toEqual({ message: "once" });
    const third = await tasks.trigger("echo", { message: "after completion" }, { idempotencyKey: key });
    expect(third.id).toBe(first.id); // a completed run keeps its key
    await idempotencyKeys.reset("echo", key);
    const fresh = await tasks.trigger("echo", { message: "fresh" }, { idempotencyKey: key });
    expect(fresh.id).not.toBe(first.id);
  });

  it("a key expires after idempotencyKeyTTL", async () => {
    const key = `ttl-${Date.now()}`;
    const first = await tasks.trigger("echo", { message: "a" }, { idempotencyKey: key, idempotencyKeyTTL: "1s" });
    await new Promise((r) => setTimeout(r, 1_200));
    const second = await tasks.trigger("echo", { message: "b" }, { idempotencyKey: key, idempotencyKeyTTL: "1s" });
    expect(second.id).not.toBe(first.id);
  });

  it("concurrent triggers with one key make one run", async () => {
    const key = `race-${Date.now()}`;
    const handles = await Promise.all(Array.from({ length: 10 }, () => tasks.trigger("noop", null, { idempotencyKey: key })));
    expect(new Set(handles.map((h) => h.id)).size).toBe(1);
  });
});

describe("delay, ttl, reschedule", () => {
  it("a delayed run is DELAYED, then runs after its delay", async () => {
    const handle = await tasks.trigger("echo", { message: "later" }, { delay: "2s" });
    const delayed = await runs.retrieve(handle.id);
    expect(delayed.status).toBe("DELAYED");
    expect(delayed.delayedUntil!.getTime()).toBeGreaterThan(Date.now() + 1_000);
    const run = await waitForRun(handle.id, 15_000);
    expect(run.status).toBe("COMPLETED");
    expect(run.startedAt!.getTime()).toBeGreaterThanOrEqual(delayed.delayedUntil!.getTime());
  });

  it("runs.reschedule moves a delayed run", async () => {
    const handle = await tasks.trigger("echo", { message: "moved" }, { delay: "1h" });
    const moved = await runs.reschedule(handle.id, { delay: "1s" });
    expect(moved.delayedUntil!.getTime()).toBeLessThan(Date.now() + 5_000);
    expect((await waitForRun(handle.id, 15_000)).status).toBe("COMPLETED");
  });

  it("a run not started within its ttl EXPIRES and never runs", async () => {
    // The queue runs one at a time and is busy for 3 s, so the second run cannot start within 1 s.
    const busy = await tasks.trigger("one-at-a-time", { ms: 3_000 });
    await waitForStatus(busy.id, ["EXECUTING"]);
    const handle = await tasks.trigger("one-at-a-time", { ms: 1 }, { ttl: "1s" });
    const run = await waitForRun(handle.id, 15_000);
    expect(run.status).toBe("EXPIRED");
    expect(run.startedAt).toBeUndefined();
    expect(run.attemptCount).toBe(0);
  });
});

describe("tags, list, cancel, replay", () => {
  it("filters runs by tag and pages with a cursor", async () => {
    const tag = `batch-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await tasks.trigger("noop", null, { tags: [tag, `i:${i}`] })).id);
    const firstPage = await runs.list({ tag, limit: 2 });
    expect(firstPage.data.map((r) => r.id)).toEqual([ids[4], ids[3]]);
    const all = [];
    for await (const run of runs.list({ tag, limit: 2 })) all.push(run.id);
    expect(all).toEqual([...ids].reverse());
    // Back from the second page is the first (the SDK sends the page's `after` with the new `before`).
    const secondPage = await firstPage.getNextPage();
    expect(secondPage.data.map((r) => r.id)).toEqual([ids[2], ids[1]]);
    expect((await secondPage.getPreviousPage()).data.map((r) => r.id)).toEqual([ids[4], ids[3]]);
    expect((await runs.list({ tag, taskIdentifier: "echo" })).data).toHaveLength(0);
    // runs.list(projectRef, …) with a personal access token: the project's runs; another environment has none.
    await auth.withAuth({ baseURL: fixture.h.url, accessToken: fixture.h.platform.accessToken }, async () => {
      const listed: string[] = [];
      for await (const run of runs.list(FIXTURE_REF, { tag, limit: 2 })) listed.push(run.id);
      expect(listed).toEqual([...ids].reverse());
      expect((await runs.list(FIXTURE_REF, { tag, env: "prod" })).data).toEqual([]);
      await expect(runs.list("proj_nosuchproject", { tag })).rejects.toThrow(/No project proj_nosuchproject/);
    });
  });

  it("cancels a delayed run, which then never runs", async () => {
    const handle = await tasks.trigger("echo", { message: "never" }, { delay: "2s" });
    await runs.cancel(handle.id);
    await new Promise((r) => setTimeout(r, 3_000));
    const run = await runs.retrieve(handle.id);
    expect(run).toMatchObject({ status: "CANCELED", isCancelled: true, attemptCount: 0 });
  });

  it("cancelling a waiting parent cancels its unfinished child too", async () => {
    const handle = await tasks.trigger("parent", { message: "doomed", waitSeconds: 30 });
    await waitForStatus(handle.id, ["WAITING"], 20_000);
    await new Promise((r) => setTimeout(r, 500)); // its child has finished; it now waits on wait.for
    await runs.cancel(handle.id);
    const run = await waitForRun(handle.id);
    expect(run.status).toBe("CANCELED");
    // The process was stopped: the run does not complete later.
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await runs.retrieve(handle.id)).status).toBe("CANCELED");
  });

  it("cancelling a running run runs its onCancel hooks: PENDING_CANCEL first, FINISHED once its CLI has stopped it", async () => {
    const handle = await tasks.trigger("cancellable", null);
    await expect.poll(async () => (await runs.retrieve(handle.id)).metadata?.state, { timeout: 20_000 }).toBe("running");
    await runs.cancel(handle.id);
    const run = await waitForRun(handle.id);
    expect(run.status).toBe("CANCELED");
    // The hook ran in the task process before the run was finished.
    await expect.poll(async () => (await runs.retrieve(handle.id)).metadata?.state, { timeout: 10_000 }).toBe("onCancel ran");
    const statuses = async () =>
      (
        await fixture.h.database.db
          .select({ status: snapshots.executionStatus })
          .from(snapshots)
          .where(eq(snapshots.runId, internalId(handle.id)))
          .orderBy(snapshots.seq)
      ).map((s) => s.status);
    await expect.poll(async () => (await statuses()).at(-1), { timeout: 10_000 }).toBe("FINISHED");
    expect((await statuses()).slice(-2)).toEqual(["PENDING_CANCEL", "FINISHED"]);
    // The hook ran before the run was finished: finishing waited for the CLI, not for the lease to run out.
    const finished = await runs.retrieve(handle.id);
    const { hookAt } = finished.metadata as { hookAt: number };
    expect(finished.finishedAt!.getTime()).toBeGreaterThanOrEqual(hookAt);
    expect(finished.finishedAt!.getTime() - hookAt).toBeLessThan(5_000);
  });

  it("a trigger from a task is locked to its version: a task or queue that version lacks is refused, not left waiting", async () => {
    const run = await waitForRun((await tasks.trigger("triggers-the-unknown", null)).id, 30_000);
    expect(run.status).toBe("COMPLETED");
    const { refusals } = run.output as { refusals: string[] };
    expect(refusals).toHaveLength(2);
    expect(refusals[0]).toMatch(/Task 'no-such-task' not found on locked version '\d{8}\.\d+'/);
    expect(refusals[1]).toMatch(/Specified queue 'no-such-queue' not found or not associated with locked version/);
  });

  it("replays a run as a new run, with the same or an edited payload", async () => {
    const original = await waitForRun((await tasks.trigger("echo", { message: "first" })).id);
    const same = await waitForRun((await runs.replay(original.id)).id);
    expect(same).toMatchObject({ status: "COMPLETED", payload: { message: "first" } });
    expect(same.id).not.toBe(original.id);
  });

  it("a replay takes the trigger options it is given: delay, ttl, idempotency key, maxAttempts", async () => {
    const original = await waitForRun((await tasks.trigger("echo", { message: "replay me" })).id);
    const key = `replay-${Date.now().toString(36)}`;
    const replayed = await runs.replay(original.id, { delay: "1h", ttl: "2h", idempotencyKey: key, maxAttempts: 2 });
    const run = await runs.retrieve(replayed.id);
    expect(run).toMatchObject({ status: "DELAYED", ttl: "2h", idempotencyKey: key, payload: { message: "replay me" } });
    expect(run.delayedUntil!.getTime()).toBeGreaterThan(Date.now() + 55 * 60_000);
    // The same key again: the run it already made.
    expect((await runs.replay(original.id, { delay: "1h", idempotencyKey: key })).id).toBe(replayed.id);
    await runs.cancel(replayed.id);
  });
});
