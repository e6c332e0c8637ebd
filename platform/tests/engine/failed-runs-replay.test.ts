// The dead-letter view's reads and its bulk replay (issue 15), on the engine with its timers: 200 runs that
// failed after their last attempt, grouped by task and error, then every one of them replayed through a bulk
// action made from the Failed page's "all matching" request: 200 new runs, each with its original's payload.
// Runs that are not dead (succeeded, still queued, waiting for a retry) are never counted or replayed.
import { CreateBulkActionRequestBody } from "@trigger.dev/core/v3/schemas";
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { runs } from "../../lib/db/schema";
import type { Completion } from "../../lib/engine/attempts";
import { findBulkAction } from "../../lib/engine/bulk-actions";
import {
  DEFAULT_WINDOW_DAYS,
  failedRunGroups,
  failedRunsPage,
  notDeadLetters,
  replayAllRequests,
  type FailedRunsFilter,
} from "../../lib/dashboard/failed-runs";
import { internalId } from "../../lib/ids";
import { useEngine, type EngineHarness } from "./engine-harness";

const h = useEngine([{ id: "import-row" }, { id: "sync-account" }], {
  dequeue: { holdMs: 0, intervalWithRunMs: 0, intervalWithoutRunMs: 20, maxConcurrentRuns: 50 },
});

const CHECKSUM = "row 7: checksum mismatch";
const failure = (message: string): Omit<Completion & { ok: false }, "id"> => ({
  ok: false,
  error: {
    type: "BUILT_IN_ERROR",
    name: "ImportError",
    message,
    stackTrace: `ImportError: ${message}\n    at importRow (src/import-row.ts:12:5)`,
  },
});
const crash: Omit<Completion & { ok: false }, "id"> = {
  ok: false,
  error: { type: "INTERNAL_ERROR", code: "TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE", message: "exited with code 137" },
};
const TIMEOUT = "Run exceeded maximum compute time (maxDuration) of 1 seconds";
const timeout: Omit<Completion & { ok: false }, "id"> = {
  ok: false,
  error: { type: "INTERNAL_ERROR", code: "MAX_DURATION_EXCEEDED", message: TIMEOUT },
};

/** Triggers runs with these payloads, dequeues and starts each, and ends it as `end` says. */
async function runAndEnd(e: EngineHarness, task: string, payloads: unknown[], end: (n: number) => Completion | "leave" | "succeed") {
  const ids: string[] = [];
  for (const payload of payloads) ids.push((await e.trigger(task, { payload: JSON.stringify(payload) })).run.friendlyId);
  const index = new Map(ids.map((id, n) => [id, n]));
  for (let started = 0; started < ids.length;) {
    const messages = (await e.dequeue()).filter((m) => index.has(m.run.friendlyId));
    expect(messages.length, "runs to dequeue").toBeGreaterThan(0);
    for (const message of messages) {
      const id = message.run.friendlyId;
      await e.engine.startAttempt(e.env, message.run.id, message.snapshot.friendlyId);
      const outcome = end(index.get(id)!);
      if (outcome === "succeed") await e.succeed(id);
      else if (outcome !== "leave") await e.complete(id, { ...outcome, id } as Completion);
      started++;
    }
  }
  return ids;
}

async function settled(e: EngineHarness, bulkActionId: string) {
  await expect
    .poll(async () => (await findBulkAction(e.db, e.env, bulkActionId))?.status, { timeout: 20_000, interval: 100 })
    .toBe("COMPLETED");
  return (await findBulkAction(e.db, e.env, bulkActionId))!;
}

const replaysOf = (e: EngineHarness, originals: string[]) =>
  e.db
    .select()
    .from(runs)
    .where(inArray(runs.replayedFromId, originals.map(internalId)));

describe("the dead-letter view", () => {
  it("groups 200 failed runs by task and error, then bulk-replays all of them, each with its own payload", async () => {
    const e = h();
    const rows = Array.from({ length: 200 }, (_, n) => ({ row: n, sheet: `batch-${n % 4}` }));
    // 120 that threw, 80 whose process died: two groups of one task.
    const imports = await runAndEnd(e, "import-row", rows, (n) => ({ ...(n < 120 ? failure(CHECKSUM) : crash), id: "" }));
    // Of another task: three that timed out, two that succeeded, one left running, one waiting to retry.
    const timedOut = await runAndEnd(e, "sync-account", [{ account: 1 }, { account: 2 }, { account: 3 }], () => ({ ...timeout, id: "" }));
    await runAndEnd(e, "sync-account", [{ account: 4 }, { account: 5 }, { account: 6 }, { account: 7 }], (n) =>
      n < 2
        ? "succeed"
        : n === 2
          ? "leave"
          : { ...failure("rate limited"), id: "", retry: { timestamp: Date.now() + 3_600_000, delay: 3_600_000 } },
    );

    const all = await failedRunGroups(e.engine.context, e.env, {});
    expect(all.total).toBe(203);
    expect(all.groups.map((g) => [g.task, g.errorName, g.message, g.count])).toEqual(
      expect.arrayContaining([
        ["import-row", "ImportError", CHECKSUM, 120],
        ["import-row", "TASK_PROCESS_EXITED_WITH_NON_ZERO_CODE", "exited with code 137", 80],
        ["sync-account", "MAX_DURATION_EXCEEDED", TIMEOUT, 3],
      ]),
    );
    expect(all.groups).toHaveLength(3);
    for (const g of all.groups) expect(g.firstSeen!.getTime()).toBeLessThanOrEqual(g.lastSeen!.getTime());
    expect((await failedRunGroups(e.engine.context, e.env, { task: "sync-account" })).total).toBe(3);

    // A group's runs: its error, one attempt each, the payload decoded.
    const checksum = all.groups.find((g) => g.message === CHECKSUM)!;
    const page = await failedRunsPage(e.engine.context, e.env, { group: checksum.key }, {});
    expect(page.runs).toHaveLength(50);
    expect(page.pagination.next).toBeDefined();
    const first = page.runs.find((r) => r.id === imports[119])!;
    expect(first).toMatchObject({ status: "FAILED", attempts: 1, error: { name: "ImportError", message: CHECKSUM } });
    expect(first.payload).toEqual({ kind: "inline", text: JSON.stringify(rows[119], null, 2), cut: false });
    const crashedPage = await failedRunsPage(e.engine.context, e.env, { group: all.groups.find((g) => g.count === 80)!.key }, {});
    expect(new Set(crashedPage.runs.map((r) => r.status))).toEqual(new Set(["CRASHED"]));
    const timedOutPage = await failedRunsPage(e.engine.context, e.env, { task: "sync-account" }, {});
    expect(timedOutPage.runs.map((r) => r.id).sort()).toEqual([...timedOut].sort());
    expect(new Set(timedOutPage.runs.map((r) => r.status))).toEqual(new Set(["TIMED_OUT"]));

    // "Replay all matching" for the task: one request by filter, taking all 200 and nothing else.
    const requests = await replayAllRequests(e.engine.context, e.env, { task: "import-row" });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      action: "replay",
      filter: { taskIdentifier: "import-row", status: ["FAILED", "CRASHED", "TIMED_OUT", "SYSTEM_FAILURE"] },
    });
    const action = await e.engine.createBulkAction(e.env, CreateBulkActionRequestBody.parse(requests[0]));
    expect(action.totalCount).toBe(200);
    const done = await settled(e, action.friendlyId);
    expect(done).toMatchObject({ totalCount: 200, successCount: 200, failureCount: 0 });

    const replays = await replaysOf(e, imports);
    expect(replays).toHaveLength(200);
    const payloadOf = new Map(imports.map((id, n) => [internalId(id), rows[n]]));
    for (const replay of replays) {
      expect(JSON.parse(replay.payload!)).toEqual(payloadOf.get(replay.replayedFromId!));
      expect(replay.taskIdentifier).toBe("import-row");
      expect(replay.status).toBe("PENDING"); // queued: no CLI here to run it
    }
    expect(new Set(replays.map((r) => r.replayedFromId)).size).toBe(200);
    // The originals stay as they were; the other task's runs were not touched.
    const originals = await e.db
      .select({ status: runs.status })
      .from(runs)
      .where(inArray(runs.id, imports.map(internalId)));
    expect(originals.filter((r) => r.status === "COMPLETED_WITH_ERRORS")).toHaveLength(120);
    expect(originals.filter((r) => r.status === "CRASHED")).toHaveLength(80);
    expect(await replaysOf(e, timedOut)).toEqual([]);
    expect((await e.db.select().from(runs).where(eq(runs.taskIdentifier, "sync-account"))).length).toBe(7);
  }, 60_000);

  it("an error group is replayed by its run ids: exactly that group's runs", async () => {
    const e = h();
    const threw = await runAndEnd(e, "import-row", [{ row: "a" }, { row: "b" }], () => ({ ...failure(CHECKSUM), id: "" }));
    const crashed = await runAndEnd(e, "import-row", [{ row: "c" }], () => ({ ...crash, id: "" }));
    const other = await runAndEnd(e, "sync-account", [{ account: "d" }], () => ({ ...failure(CHECKSUM), id: "" }));

    const { groups } = await failedRunGroups(e.engine.context, e.env, {});
    expect(groups).toHaveLength(3); // the same message in another task is another group
    const filter: FailedRunsFilter = { group: groups.find((g) => g.task === "import-row" && g.message === CHECKSUM)!.key };
    const requests = await replayAllRequests(e.engine.context, e.env, filter);
    expect(requests).toEqual([{ action: "replay", name: expect.any(String), runIds: [...threw].reverse() }]);

    const action = await e.engine.createBulkAction(e.env, CreateBulkActionRequestBody.parse(requests[0]));
    expect((await settled(e, action.friendlyId)).successCount).toBe(2);
    expect((await replaysOf(e, threw)).map((r) => JSON.parse(r.payload!))).toEqual(expect.arrayContaining([{ row: "a" }, { row: "b" }]));
    expect(await replaysOf(e, [...crashed, ...other])).toEqual([]);
  });

  it("a payload offloaded as a packet is shown as a link to it, not inlined", async () => {
    const e = h();
    const { run } = await e.engine.trigger(e.env, "import-row", {
      payload: "packets/import-row/payload.json",
      options: { payloadType: "application/store" },
    });
    await e.startNext(run.friendlyId);
    await e.complete(run.friendlyId, { ...failure(CHECKSUM), id: run.friendlyId } as Completion);
    const { runs: shown } = await failedRunsPage(e.engine.context, e.env, { task: "import-row" }, {});
    expect(shown[0]!.payload).toMatchObject({ kind: "stored", url: expect.stringContaining("/packets/") });
  });

  it("reads the last DEFAULT_WINDOW_DAYS days unless the filter names a start; a large payload is shown cut", async () => {
    const e = h();
    const big = { rows: "x".repeat(10_000) };
    const [recent, old] = await runAndEnd(e, "sync-account", [big, { account: "old" }], () => ({ ...failure("window"), id: "" }));
    await e.db
      .update(runs)
      .set({ createdAt: new Date(Date.now() - (DEFAULT_WINDOW_DAYS + 1) * 86_400_000) })
      .where(eq(runs.id, internalId(old!)));
    const windowed = (await failedRunGroups(e.engine.context, e.env, {})).groups.find((g) => g.message === "window")!;
    expect(windowed.count).toBe(1);
    const from = new Date(Date.now() - (DEFAULT_WINDOW_DAYS + 2) * 86_400_000).toISOString();
    expect((await failedRunGroups(e.engine.context, e.env, { from })).groups.find((g) => g.message === "window")!.count).toBe(2);
    // "Replay all" by filter takes the same window as the page.
    const [request] = await replayAllRequests(e.engine.context, e.env, { task: "sync-account" });
    const start = (request as { filter: { from: Date } }).filter.from.getTime();
    expect(Math.abs(start - (Date.now() - DEFAULT_WINDOW_DAYS * 86_400_000))).toBeLessThan(60_000);

    const { runs: shown } = await failedRunsPage(e.engine.context, e.env, { group: windowed.key }, {});
    expect(shown.map((r) => r.id)).toEqual([recent]);
    expect(shown[0]!.payload).toMatchObject({ kind: "inline", cut: true });
    expect((shown[0]!.payload as { text: string }).text).toHaveLength(2_000);

    // Picked runs: only dead letters of the environment pass.
    const [succeeded] = await runAndEnd(e, "sync-account", [{ account: "ok" }], () => "succeed");
    expect(await notDeadLetters(e.engine.context, e.env, [recent!, old!, succeeded!, "run_nosuchrun"])).toEqual([
      succeeded,
      "run_nosuchrun",
    ]);
  });
});
