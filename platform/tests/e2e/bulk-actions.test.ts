// runs.bulk.* through the real SDK on a platform without a CLI: delayed and queued runs stay put, so what a
// bulk cancel or replay touches (and what it leaves alone) is exactly visible. Abort and a platform restart are
// made to land mid-way by a small chunk size.
import { randomUUID } from "node:crypto";
import { runs, tasks } from "@trigger.dev/sdk";
import { count, eq, inArray } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { bulkActionRuns, bulkActions, runs as runRows } from "../../lib/db/schema";
import { DEFAULT_BULK_ACTION_TUNING, MAX_BULK_ACTION_RUN_IDS, type BulkActionTuning } from "../../lib/engine/bulk-actions";
import { internalId } from "../../lib/ids";
import { startPlatform } from "../../lib/platform-server";
import { SECRET_KEY, startPlatformHarness, testPlatformOptions, type PlatformHarness } from "../support/platform";

let h: PlatformHarness;
let platform: PlatformHarness["platform"];

beforeAll(async () => {
  h = await startPlatformHarness();
  platform = h.platform;
});
afterEach(() => tune(DEFAULT_BULK_ACTION_TUNING));
afterAll(async () => {
  await platform?.close();
  await h?.database.close();
});

const tune = (tuning: BulkActionTuning) => Object.assign(platform.context.engine.bulkActionTuning, tuning);
/** Small chunks with a pause between them: an action over ten runs takes seconds, so it can be caught mid-way. */
const SLOW_CHUNKS: BulkActionTuning = { chunkSize: 2, chunkDelayMs: 400 };
const POLL = { pollIntervalMs: 50 };

/** A tag of this test alone, so runs of other tests never match its filters. */
const freshTag = () => `bulk-${randomUUID().slice(0, 8)}`;

async function triggerDelayed(count: number, tags: string[], task = "echo") {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) ids.push((await tasks.trigger(task, { n, tags }, { delay: "1h", tags })).id);
  return ids;
}

const statusOf = async (id: string) => (await runs.retrieve(id)).status;
const statusesOf = (ids: string[]) => Promise.all(ids.map(statusOf));

async function listedBy(bulkAction: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const run of runs.list({ bulkAction, limit: 3 })) ids.push(run.id);
  return ids.sort();
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`still not there after ${ms} ms: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const bulkActionCount = async () => (await h.database.db.select({ n: count() }).from(bulkActions))[0]!.n;

describe("bulk cancel", () => {
  it("by filter: cancels exactly the matching runs, none other, and none triggered after it was created", async () => {
    const tag = freshTag();
    const other = freshTag();
    const matching = await triggerDelayed(3, [tag]);
    const queued = (await tasks.trigger("echo", {}, { tags: [tag] })).id; // QUEUED, not DELAYED
    const otherTask = await triggerDelayed(1, [tag], "other-task");
    const otherTag = await triggerDelayed(2, [other]);

    const { id } = await runs.bulk.cancel({ filter: { tag, status: "DELAYED", taskIdentifier: "echo" }, name: "cancel the delayed" });
    expect(id).toMatch(/^bulk_/);
    const later = (await tasks.trigger("echo", {}, { delay: "1h", tags: [tag] })).id;

    const action = await runs.bulk.poll(id, POLL);
    expect(action).toMatchObject({
      id,
      name: "cancel the delayed",
      type: "CANCEL",
      status: "COMPLETED",
      counts: { total: 3, success: 3, failure: 0 },
    });
    expect(action.completedAt).toBeInstanceOf(Date);
    expect(await statusesOf(matching)).toEqual(["CANCELED", "CANCELED", "CANCELED"]);
    expect(await statusesOf([queued, ...otherTask, ...otherTag, later])).toEqual(["QUEUED", "DELAYED", "DELAYED", "DELAYED", "DELAYED"]);
    expect(await listedBy(id)).toEqual([...matching].sort());
    expect(await runs.bulk.retrieve(id)).toEqual(action);
  });

  it("by ids: cancels those runs; one already finished is a failure but listed, an unknown id is not selected", async () => {
    const tag = freshTag();
    const [a, b, finished, untouched] = (await triggerDelayed(4, [tag])) as [string, string, string, string];
    await runs.cancel(finished);

    const { id } = await runs.bulk.cancel({ runIds: [a, b, finished, "run_doesnotexist0000000000"] });
    const action = await runs.bulk.poll(id, POLL);

    expect(action).toMatchObject({ type: "CANCEL", status: "COMPLETED", counts: { total: 3, success: 2, failure: 1 } });
    expect(action.name).toBeUndefined();
    expect(await statusesOf([a, b, finished, untouched])).toEqual(["CANCELED", "CANCELED", "CANCELED", "DELAYED"]);
    expect(await listedBy(id)).toEqual([a, b, finished].sort());
  });

  it("abort mid-way: the runs not yet reached stay untouched, the action is ABORTED and goes no further", async () => {
    tune(SLOW_CHUNKS);
    const tag = freshTag();
    const selected = await triggerDelayed(10, [tag]);

    const { id } = await runs.bulk.cancel({ filter: { tag } });
    await waitFor(
      () => runs.bulk.retrieve(id),
      (a) => a.counts.success >= SLOW_CHUNKS.chunkSize,
    );
    expect(await runs.bulk.abort(id)).toEqual({ id });

    const aborted = await runs.bulk.retrieve(id);
    expect(aborted).toMatchObject({ status: "ABORTED", counts: { total: 10, failure: 0 } });
    expect(aborted.completedAt).toBeUndefined();
    const done = aborted.counts.success;
    expect(done).toBeGreaterThanOrEqual(SLOW_CHUNKS.chunkSize);
    expect(done).toBeLessThan(10);

    await new Promise((r) => setTimeout(r, 3 * SLOW_CHUNKS.chunkDelayMs)); // chunks would have come due by now
    expect(await runs.bulk.retrieve(id)).toEqual(aborted);
    const statuses = await statusesOf(selected);
    expect(statuses.filter((s) => s === "CANCELED")).toHaveLength(done);
    expect(statuses.filter((s) => s === "DELAYED")).toHaveLength(10 - done);
    expect(await listedBy(id)).toEqual(selected.filter((_, i) => statuses[i] === "CANCELED").sort());

    // Raw, as the SDK retries a 409 for seconds before giving up.
    const again = await fetch(`${h.url}/api/v1/bulk-actions/${id}/abort`, {
      method: "POST",
      headers: { authorization: `Bearer ${SECRET_KEY}` },
    });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: `Bulk action ${id} has already been aborted` });
  });
});

describe("bulk replay", () => {
  it("replays each matching run once; runs.list({ bulkAction }) lists the replays, not the originals", async () => {
    const tag = freshTag();
    const originals = await triggerDelayed(3, [tag]);

    const { id } = await runs.bulk.replay({ filter: { tag } });
    const action = await runs.bulk.poll(id, POLL);

    expect(action).toMatchObject({ type: "REPLAY", status: "COMPLETED", counts: { total: 3, success: 3, failure: 0 } });
    const replays = await listedBy(id);
    expect(replays).toHaveLength(3);
    expect(replays.filter((r) => originals.includes(r))).toEqual([]);
    // Each replay is of a different original, with its payload; the originals are untouched.
    const rows = await h.database.db
      .select({ replayedFromId: runRows.replayedFromId })
      .from(runRows)
      .where(inArray(runRows.id, replays.map(internalId)));
    expect(rows.map((r) => r.replayedFromId).sort()).toEqual(originals.map(internalId).sort());
    const replayed = await runs.retrieve(replays[0]!);
    expect(replayed.payload).toMatchObject({ tags: [tag] });
    expect(replayed.tags).toEqual([tag]);
    expect(await statusesOf(originals)).toEqual(["DELAYED", "DELAYED", "DELAYED"]);
    // The replays carry the tag too, yet were not replayed in turn: the selection ended when it was made.
    expect((await runs.list({ tag, limit: 100 })).data).toHaveLength(6);
  });
});

describe("listing and retrieving", () => {
  it("lists the environment's bulk actions newest first, in pages", async () => {
    const created: string[] = [];
    for (let n = 0; n < 3; n++) created.push((await runs.bulk.cancel({ filter: { tag: freshTag() }, name: `page ${n}` })).id);

    const first = await runs.bulk.list({ limit: 2 });
    expect(first.data.map((a) => a.id)).toEqual([created[2], created[1]]);
    expect(first.hasNextPage()).toBe(true);
    const second = await first.getNextPage();
    expect(second.data[0]!.id).toBe(created[0]);
    expect(second.data[0]).toMatchObject({ name: "page 0", type: "CANCEL" });

    const all: string[] = [];
    for await (const action of runs.bulk.list({ limit: 2 })) all.push(action.id);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toEqual(expect.arrayContaining(created));
    expect(all.length).toBe(await bulkActionCount());
  });

  it("an unknown bulk action is a 404, to retrieve and to abort", async () => {
    await expect(runs.bulk.retrieve("bulk_doesnotexist")).rejects.toMatchObject({ status: 404 });
    await expect(runs.bulk.abort("bulk_doesnotexist")).rejects.toMatchObject({ status: 404 });
  });
});

describe("bad requests", () => {
  const post = (body: unknown) =>
    fetch(`${h.url}/api/v1/bulk-actions`, {
      method: "POST",
      headers: { authorization: `Bearer ${SECRET_KEY}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it.each([
    [{ action: "delete", runIds: ["run_a"] }, /action: Invalid discriminator value\. Expected 'cancel' \| 'replay'/],
    [{ action: "cancel" }, /Exactly one of filter or runIds must be provided/],
    [{ action: "cancel", filter: { tag: "t" }, runIds: ["run_a"] }, /Exactly one of filter or runIds must be provided/],
    [{ action: "cancel", filter: {} }, /filter: At least one filter must be provided/],
    [{ action: "replay", filter: { period: "forever" } }, /filter\.period: "forever" is not a period like 1h or 7d/],
    [
      { action: "cancel", filter: { queue: { type: "task", name: "echo" } } },
      /filter\.queue: the local platform cannot select runs by queue/,
    ],
    [
      { action: "cancel", runIds: Array.from({ length: MAX_BULK_ACTION_RUN_IDS + 1 }, (_, n) => `run_${n}`) },
      new RegExp(`runIds: at most ${MAX_BULK_ACTION_RUN_IDS} run ids \\(got ${MAX_BULK_ACTION_RUN_IDS + 1}\\)`),
    ],
  ])("%j is a 400 naming the rule, and nothing is written", async (body, message) => {
    const before = await bulkActionCount();
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(message);
    expect(await bulkActionCount()).toBe(before);
  });

  it("the SDK surfaces the refusal", async () => {
    await expect(runs.bulk.cancel({ filter: { tag: "t", region: "eu" } })).rejects.toThrow(/filter\.region: the local platform cannot/);
  });

  it("needs the environment's secret key", async () => {
    const response = await fetch(`${h.url}/api/v1/bulk-actions`, { headers: { authorization: "Bearer tr_dev_wrong" } });
    expect(response.status).toBe(401);
  });
});

describe("a platform restart mid-way", () => {
  it("resumes the action where it stopped: every run replayed exactly once", async () => {
    tune(SLOW_CHUNKS);
    const tag = freshTag();
    const originals = await triggerDelayed(8, [tag]);
    const { id } = await runs.bulk.replay({ filter: { tag } });
    await waitFor(
      () => runs.bulk.retrieve(id),
      (a) => a.counts.success >= SLOW_CHUNKS.chunkSize,
    );

    await platform.close(); // waits for the chunk in hand to commit
    const [stopped] = await h.database.db.select().from(bulkActions).where(eq(bulkActions.friendlyId, id));
    expect(stopped!.status).toBe("PENDING");
    expect(stopped!.successCount).toBeLessThan(8);

    platform = await startPlatform({ databaseUrl: h.database.url, port: Number(new URL(h.url).port), options: testPlatformOptions() });
    const action = await runs.bulk.poll(id, POLL);
    expect(action).toMatchObject({ status: "COMPLETED", counts: { total: 8, success: 8, failure: 0 } });

    const processed = await h.database.db.select().from(bulkActionRuns).where(eq(bulkActionRuns.bulkActionId, stopped!.id));
    expect(processed.map((p) => p.runId).sort()).toEqual(originals.map(internalId).sort());
    const replays = await h.database.db
      .select({ replayedFromId: runRows.replayedFromId })
      .from(runRows)
      .where(inArray(runRows.replayedFromId, originals.map(internalId)));
    expect(replays.map((r) => r.replayedFromId).sort()).toEqual(originals.map(internalId).sort());
    expect(await listedBy(id)).toHaveLength(8);
  }, 60_000);
});
