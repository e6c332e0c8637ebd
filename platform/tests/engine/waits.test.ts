// A run blocked on waitpoints (a child run, a token, a time) and resumed with what completed them; cancel
// cascading to the runs below; runs whose process died (heartbeat stalls, a CLI that disconnects).
import { describe, expect, it } from "vitest";
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
    await new Promise((r) => setTimeout(r, 250));
    expect(await h().run(run)).toMatchObject({ status: "EXECUTING" });
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
});

async function until(check: () => Promise<boolean>, ms = 2_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
