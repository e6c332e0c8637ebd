// Cancelling, on the engine directly: a run not yet with a CLI ends at once; one a CLI runs is CANCELED at
// once (its slot freed, PENDING_CANCEL for its CLI) and finished when its attempt completes, or, if the CLI
// never answers, when its lease runs out.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { changeRunWithSnapshot } from "../../lib/engine/snapshots";
import { internalId } from "../../lib/ids";
import { useEngine } from "./engine-harness";

const h = useEngine([{ id: "plain", queue: { name: "single", concurrencyLimit: 1 } }], { heartbeatTimeoutMs: 400 });

const lastSnapshot = async (runId: string) => (await h().snapshotsOf(runId)).at(-1)!.executionStatus;

describe("cancel", () => {
  it("a queued run ends at once", async () => {
    const { run } = await h().trigger("plain");
    await h().engine.cancel(await h().run(run.friendlyId));
    expect(await h().run(run.friendlyId)).toMatchObject({ status: "CANCELED", completedAt: expect.any(Date) });
    expect(await lastSnapshot(run.friendlyId)).toBe("FINISHED");
  });

  it("a run handed to a CLI but not started (DEQUEUED) ends at once: no process, no hooks to wait for", async () => {
    const { run } = await h().trigger("plain");
    const [message] = await h().dequeue();
    expect(message!.run.friendlyId).toBe(run.friendlyId);
    await h().engine.cancel(await h().run(run.friendlyId));
    expect(await h().run(run.friendlyId)).toMatchObject({ status: "CANCELED", completedAt: expect.any(Date) });
    expect((await h().snapshotsOf(run.friendlyId)).slice(-2).map((s) => s.executionStatus)).toEqual(["PENDING_CANCEL", "FINISHED"]);
  });

  it("a running run is CANCELED with its slot freed, and finished when its attempt completes", async () => {
    const first = (await h().trigger("plain")).run.friendlyId;
    const second = (await h().trigger("plain")).run.friendlyId;
    await h().startNext(first);
    expect(await h().dequeue()).toEqual([]); // the queue's one slot is taken
    await h().engine.cancel(await h().run(first));
    expect(await h().run(first)).toMatchObject({ status: "CANCELED", completedAt: null });
    expect(await lastSnapshot(first)).toBe("PENDING_CANCEL");
    await h().startNext(second); // the slot was freed at the cancel
    // The CLI stopped it (onCancel ran) and completes the attempt, however it ended.
    const answer = await h().succeed(first, "too late");
    expect(answer.attemptStatus).toBe("RUN_FINISHED");
    expect(await h().run(first)).toMatchObject({ status: "CANCELED", completedAt: expect.any(Date), output: null });
    expect(await lastSnapshot(first)).toBe("FINISHED");
  });

  it("a CLI that never answers: the cancel is finished when the lease runs out", async () => {
    const { run } = await h().trigger("plain");
    await h().startNext(run.friendlyId);
    await h().engine.cancel(await h().run(run.friendlyId));
    await expect.poll(async () => (await h().run(run.friendlyId)).completedAt, { timeout: 5_000, interval: 100 }).toBeInstanceOf(Date);
    expect(await h().run(run.friendlyId)).toMatchObject({ status: "CANCELED" });
    expect(await lastSnapshot(run.friendlyId)).toBe("FINISHED");
  });

  it("heartbeats do not hold a pending cancel open: it is finished when its lease runs out all the same", async () => {
    const { run } = await h().trigger("plain");
    await h().startNext(run.friendlyId);
    await h().engine.cancel(await h().run(run.friendlyId));
    const beating = setInterval(() => void h().engine.heartbeat(h().env, internalId(run.friendlyId)), 50);
    try {
      await expect.poll(async () => (await h().run(run.friendlyId)).completedAt, { timeout: 3_000, interval: 100 }).toBeInstanceOf(Date);
    } finally {
      clearInterval(beating);
    }
  });
});

// The CLI's start or completion arriving while a cancel's transaction holds the run: it waits for the lock, and
// must then act on the cancel's snapshot, not on the one it would have read before (runWithLatestSnapshot).
describe("a cancel committed while a start or a completion waits for the run", () => {
  /** A cancel's writes (the run and its PENDING_CANCEL snapshot), its transaction held open until `meanwhile`
   *  has sent its request and waited a little on the lock. */
  async function cancelHeldDuring<T>(runFriendlyId: string, meanwhile: () => Promise<T>): Promise<PromiseSettledResult<T>> {
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => (locked = resolve));
    const cancelling = h().db.transaction(async (tx) => {
      await changeRunWithSnapshot(
        tx,
        internalId(runFriendlyId),
        sql`status = 'CANCELED', updated_at = now()`,
        "PENDING_CANCEL",
        "Run was cancelled",
      );
      locked();
      await new Promise((resolve) => setTimeout(resolve, 150));
    });
    await holding;
    const [outcome] = await Promise.allSettled([meanwhile(), cancelling]);
    return outcome;
  }

  it("a start is refused: the snapshot it names is no longer the latest", async () => {
    const { run } = await h().trigger("plain");
    const [message] = await h().dequeue();
    const outcome = await cancelHeldDuring(run.friendlyId, () =>
      h().engine.startAttempt(h().env, message!.run.id, message!.snapshot.friendlyId),
    );
    expect(outcome).toMatchObject({ status: "rejected", reason: { status: 409 } });
    expect(await h().run(run.friendlyId)).toMatchObject({ status: "CANCELED", attemptNumber: 0 });
    expect(await lastSnapshot(run.friendlyId)).toBe("PENDING_CANCEL");
  });

  it("a completion finishes the run as cancelled, not as succeeded", async () => {
    const { run } = await h().trigger("plain");
    await h().startNext(run.friendlyId);
    const outcome = await cancelHeldDuring(run.friendlyId, () => h().succeed(run.friendlyId, "too late"));
    expect(outcome).toMatchObject({ status: "fulfilled", value: { attemptStatus: "RUN_FINISHED" } });
    expect(await h().run(run.friendlyId)).toMatchObject({ status: "CANCELED", output: null, completedAt: expect.any(Date) });
    expect(await lastSnapshot(run.friendlyId)).toBe("FINISHED");
  });
});

describe("priority", () => {
  it("a priority beyond what the column holds is clamped, not an error", async () => {
    const { run } = await h().trigger("plain", { options: { priority: 1e12 } });
    expect((await h().run(run.friendlyId)).priorityMs).toBe(2_147_483_647);
  });
});
