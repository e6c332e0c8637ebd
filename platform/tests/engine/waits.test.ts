// A run blocked on waitpoints (a child run, a token, a time) and resumed with what completed them; cancel
// cascading to the runs below; runs whose process died (heartbeat stalls, a CLI that disconnects).
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { internalId } from "../../lib/ids";
import { useEngine } from "./engine-harness";

const h = useEngine([{ id: "parent" }, { id: "child" }, { id: "fragile", retry: { maxAttempts: 2 } }], { heartbeatTimeoutMs: 400 });

describe("waiting", () => {
  it("triggerAndWait: the parent waits for its child and resumes with the child's output", async () => {
    const parent = (await h().trigger("parent")).run.friendlyId;
    await h().startNext(parent);
    const child = (await h().trigger("child", { options: { parentRunId: parent, resumeParentOnCompletion: true } })).run.friendlyId;
    expect(await h().run(parent)).toMatchObject({ status: "WAITING_TO_RESUME" });

    await h().startNext(child);
    await h().succeed(child, { fromChild: true });

    const resumed = (await h().snapshotsOf(parent)).at(-1)!;
    expect(resumed.executionStatus).toBe("EXECUTING");
    expect(resumed.completedWaitpoints).toEqual([
      expect.objectContaining({ type: "RUN", output: '{"fromChild":true}', outputIsError: false }),
    ]);
    expect(await h().run(parent)).toMatchObject({ status: "EXECUTING" });
  });

  it("a parent waiting on a child that fails resumes with the error", async () => {
    const parent = (await h().trigger("parent")).run.friendlyId;
    await h().startNext(parent);
    const child = (await h().trigger("child", { options: { parentRunId: parent, resumeParentOnCompletion: true } })).run.friendlyId;
    await h().startNext(child);
    await h().fail(child);
    const resumed = (await h().snapshotsOf(parent)).at(-1)!;
    expect(resumed.completedWaitpoints).toEqual([expect.objectContaining({ outputIsError: true })]);
  });

  it("a token: the run waits until it is completed, and gets its data", async () => {
    const run = (await h().trigger("parent")).run.friendlyId;
    await h().startNext(run);
    const token = await h().engine.createToken(h().env, { timeout: "1h" });
    await h().engine.waitForToken(h().env, run, token.id);
    expect(await h().run(run)).toMatchObject({ status: "WAITING_TO_RESUME" });
    await h().engine.completeToken(h().env.id, token.id, { approved: true });
    const resumed = (await h().snapshotsOf(run)).at(-1)!;
    expect(resumed.completedWaitpoints).toEqual([expect.objectContaining({ type: "MANUAL", output: '{"approved":true}' })]);
  });

  it("wait.for: the timers complete the DATETIME waitpoint when it comes due", async () => {
    await h().engine.start();
    const run = (await h().trigger("parent")).run.friendlyId;
    await h().startNext(run);
    await h().engine.waitForDuration(h().env, run, { date: new Date(Date.now() + 100) });
    expect(await h().run(run)).toMatchObject({ status: "WAITING_TO_RESUME" });
    // Resumed by the timers alone (nothing else touches the run); polled, as a loaded machine may be late.
    await until(async () => (await h().run(run)).status === "EXECUTING");
  });
});

describe("cancelling", () => {
  it("cancels the run and every unfinished run below it, and a late completion does not revive it", async () => {
    const parent = (await h().trigger("parent")).run.friendlyId;
    await h().startNext(parent);
    const child = (await h().trigger("child", { options: { parentRunId: parent, resumeParentOnCompletion: true } })).run.friendlyId;
    const grandchild = (await h().trigger("child", { options: { parentRunId: child } })).run.friendlyId;
    await h().engine.cancel(await h().run(parent));
    for (const id of [parent, child, grandchild]) expect((await h().run(id)).status).toBe("CANCELED");
    expect((await h().succeed(parent)).attemptStatus).toBe("RUN_FINISHED");
    expect((await h().run(parent)).status).toBe("CANCELED");
  });
});

describe("a process that died", () => {
  it("a CLI that disconnects: its running run goes back to the queue at once", async () => {
    const run = (await h().trigger("fragile")).run.friendlyId;
    await h().startNext(run);
    expect(await h().engine.disconnect(h().env, [run])).toBe(1);
    expect(await h().run(run)).toMatchObject({ status: "RETRYING_AFTER_FAILURE" });
    await h().startNext(run);
    expect((await h().run(run)).attemptNumber).toBe(2);
  });

  it("a stalled heartbeat: asked to stop first, then requeued; out of attempts, CRASHED", async () => {
    await h().engine.start();
    const run = (await h().trigger("fragile")).run.friendlyId;
    await h().startNext(run);
    // One timeout: the attempt is asked to stop (its CLI may still be alive); a second: taken as gone.
    await until(async () => (await h().snapshotsOf(run)).at(-1)!.executionStatus === "PENDING_CANCEL");
    await until(async () => (await h().run(run)).status === "RETRYING_AFTER_FAILURE");
    await h().startNext(run);
    await until(async () => (await h().run(run)).status === "CRASHED", 3_000); // attempt 2 of 2
    expect(await h().run(run)).toMatchObject({ status: "CRASHED", attemptNumber: 2 });
  });

  it("a run its CLI still polls keeps its lease while its process boots, and after it beats, without heartbeats", async () => {
    await h().engine.start();
    const run = (await h().trigger("fragile")).run.friendlyId;
    await h().startNext(run);
    // Polled every 100 ms (the CLI polls every 5 s against a 90 s timeout) over five timeouts: never stopped,
    // neither while booting (no heartbeat yet) nor once it has beaten (its heartbeats late on a starved machine).
    const polling = setInterval(() => void h().engine.latestSnapshot(h().env, internalId(run)), 100);
    try {
      await new Promise((r) => setTimeout(r, 2_000));
      expect(await h().run(run)).toMatchObject({ status: "EXECUTING", heartbeatAt: null });
      await h().engine.heartbeat(h().env, internalId(run));
      await new Promise((r) => setTimeout(r, 2_000));
      expect(await h().run(run)).toMatchObject({ status: "EXECUTING", heartbeatAt: expect.any(Date) });
      expect((await h().snapshotsOf(run)).map((s) => s.executionStatus)).not.toContain("PENDING_CANCEL");
    } finally {
      clearInterval(polling);
    }
    // Without polls (its CLI died) the lease runs out as before.
    await until(async () => (await h().snapshotsOf(run)).at(-1)!.executionStatus === "PENDING_CANCEL");
    await until(async () => (await h().run(run)).status === "RETRYING_AFTER_FAILURE");
    // The next attempt boots afresh: no heartbeat of its own yet.
    await h().startNext(run);
    expect(await h().run(run)).toMatchObject({ status: "EXECUTING", attemptNumber: 2, heartbeatAt: null });
  });

  it("polls do not hold a run whose process has been silent past the limit (hung), nor one already asked to stop", async () => {
    await h().engine.start();
    const run = (await h().trigger("fragile")).run.friendlyId;
    await h().startNext(run);
    await h().engine.heartbeat(h().env, internalId(run));
    await h().db.execute(sql`UPDATE trigger_platform.runs SET heartbeat_at = now() - interval '6 minutes' WHERE id = ${internalId(run)}`);
    const polling = setInterval(() => void h().engine.latestSnapshot(h().env, internalId(run)), 100);
    try {
      await until(async () => (await h().snapshotsOf(run)).at(-1)!.executionStatus === "PENDING_CANCEL");
      // Asked to stop: the lease is now the stop's deadline, and polls leave it be.
      await until(async () => (await h().run(run)).status === "RETRYING_AFTER_FAILURE");
    } finally {
      clearInterval(polling);
    }
  });
});

async function until(check: () => Promise<boolean>, ms = 2_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
