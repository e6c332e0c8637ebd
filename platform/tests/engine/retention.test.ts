// Retention (issue 15): old finished runs are deleted with every row hanging off them, a whole tree at a time,
// in bounded transactions that skip locked runs; live runs, trees with a live run, a schedule's delayed and
// newest runs, the newest run of each task and tag, runs another tree waits on, runs whose idempotency key still
// holds, and young runs stay. The metric counts what went.
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  alertDeliveries,
  batchItems,
  batches,
  bulkActionRuns,
  bulkActions,
  packets,
  realtimeStreamRecords,
  realtimeStreams,
  runEvents,
  runs,
  schedules,
} from "../../lib/db/schema";
import { RunEngine } from "../../lib/engine";
import { replayRunWithin } from "../../lib/engine/run-actions";
import { noEffects } from "../../lib/engine/run-notifier";
import { DELETED_KINDS, sweepOldRuns } from "../../lib/engine/retention";
import type { SweepTuning } from "../../lib/platform-options";
import type { TriggerBody } from "../../lib/engine/trigger-run";
import { internalId, newIds } from "../../lib/ids";
import { PlatformMetrics } from "../../lib/metrics/platform-metrics";
import { useEngine } from "./engine-harness";

const h = useEngine([{ id: "parent" }, { id: "child" }, { id: "tagged" }, { id: "other" }, { id: "nightly" }]);

type TriggerOptions = NonNullable<TriggerBody["options"]>;
const DAY = 86_400_000;
const SETTINGS = { olderThanMs: 7 * DAY, everyMs: 3_600_000 };
const FAST: SweepTuning = { batchRuns: 500, scanRoots: 1_000, pauseMs: 0, workShare: 1 };
const sweep = (tuning: Partial<SweepTuning> = {}) => sweepOldRuns(h().engine.context, SETTINGS, { ...FAST, ...tuning });

/** Makes runs look `days` old: made then, finished a minute later, their idempotency keys expired since. */
async function age(friendlyIds: string[], days: number) {
  await h().db.execute(
    sql`UPDATE trigger_platform.runs SET created_at = now() - make_interval(days => ${days}),
          completed_at = CASE WHEN completed_at IS NULL THEN NULL ELSE now() - make_interval(days => ${days}) + interval '1 minute' END,
          idempotency_key_expires_at = CASE WHEN idempotency_key IS NULL THEN NULL ELSE now() - interval '1 day' END
        WHERE friendly_id = ANY(string_to_array(${friendlyIds.join(",")}, ','))`,
  );
}

/** Which of the runs still exist. */
async function remaining(friendlyIds: string[]): Promise<string[]> {
  const rows = await h().db.execute<{ friendly_id: string }>(
    sql`SELECT friendly_id FROM trigger_platform.runs WHERE friendly_id = ANY(string_to_array(${friendlyIds.join(",")}, ','))`,
  );
  return friendlyIds.filter((id) => rows.some((r) => r.friendly_id === id));
}

/** A run started and ended with success (or still running with `finish: false`). */
async function finishedRun(task: string, options: TriggerOptions = {}, finish = true) {
  const { run } = await h().trigger(task, { options });
  await h().startNext(run.friendlyId);
  if (finish) await h().succeed(run.friendlyId);
  return run.friendlyId;
}

/** A bulk replay of one run in this test's environment, in the given status; returns its id. */
async function insertBulkAction(status: "PENDING" | "COMPLETED") {
  const id = `bulk_${Date.now()}`;
  await h()
    .db.insert(bulkActions)
    .values({ id, friendlyId: id, environmentId: h().env.id, type: "REPLAY", status, selection: {}, totalCount: 1 });
  return id;
}

/** Rows per table that hang off the runs, counted before the sweep. */
async function rowsOf(runIds: string[]) {
  const ids = runIds.map(internalId).join(",");
  const [row] = await h().db.execute<Record<string, number>>(
    sql`WITH r AS (SELECT unnest(string_to_array(${ids}, ',')) AS id)
        SELECT (SELECT count(*) FROM trigger_platform.runs WHERE id IN (SELECT id FROM r))::int AS runs,
               (SELECT count(*) FROM trigger_platform.snapshots WHERE run_id IN (SELECT id FROM r))::int AS snapshots,
               (SELECT count(*) FROM trigger_platform.attempts WHERE run_id IN (SELECT id FROM r))::int AS attempts,
               (SELECT count(*) FROM trigger_platform.run_waitpoints WHERE run_id IN (SELECT id FROM r))::int AS run_waitpoints,
               (SELECT count(DISTINCT w.id) FROM trigger_platform.waitpoints w LEFT JOIN trigger_platform.run_waitpoints rw ON rw.waitpoint_id = w.id
                 WHERE w.completed_by_run_id IN (SELECT id FROM r) OR rw.run_id IN (SELECT id FROM r))::int AS waitpoints,
               (SELECT count(*) FROM trigger_platform.run_events WHERE run_id IN (SELECT id FROM r))::int AS run_events`,
  );
  return row!;
}

describe("retention", () => {
  it("deletes an old finished tree with every row hanging off it, and counts them in the metrics", async () => {
    const metrics = new PlatformMetrics(h().engine.context);
    const { db, env } = h();
    // A parent with a stored payload, waiting on a child and on a token; the child an item of a batch.
    const payloadKey = `trigger/packet_${Date.now()}/payload.json`;
    const { run: parentRun } = await h().trigger("parent", { payload: payloadKey, options: { payloadType: "application/store" } });
    const parent = parentRun.friendlyId;
    await db.insert(packets).values({ environmentId: env.id, key: payloadKey, data: "{}", dataType: "application/json" });
    await h().startNext(parent);
    const child = (await h().trigger("child", { options: { parentRunId: parent, resumeParentOnCompletion: true } })).run.friendlyId;
    await h().startNext(child);
    await h().succeed(child, { ok: 1 });
    const token = await h().engine.createToken(env, { timeout: "1h" });
    await h().engine.waitForToken(env, parent, token.id);
    await h().engine.completeToken(env.id, token.id, { approved: true });
    await h().succeed(parent);
    const [parentId, childId] = [internalId(parent), internalId(child)];
    await db.insert(runEvents).values([
      { runId: parentId, kind: "log", name: "hello", startTime: new Date() },
      { runId: childId, kind: "span", name: "child", startTime: new Date() },
      { runId: childId, kind: "log", name: "done", startTime: new Date() },
    ]);
    await db.insert(realtimeStreams).values({ runId: parentId, kind: "output", key: "progress", length: 2 });
    await db.insert(realtimeStreamRecords).values([
      { runId: parentId, kind: "output", key: "progress", seq: 0, data: "{}" },
      { runId: parentId, kind: "output", key: "progress", seq: 1, data: "{}" },
    ]);
    await db.insert(alertDeliveries).values({ id: `alert_${Date.now()}`, runId: childId, channel: "webhook:x", status: "delivered" });
    const batch = newIds("batch");
    await db.insert(batches).values({ ...batch, environmentId: env.id, expectedCount: 1 });
    await db.insert(batchItems).values({ batchId: batch.id, index: 0, runId: childId });
    const action = await insertBulkAction("COMPLETED");
    await db.insert(bulkActionRuns).values({ bulkActionId: action, runId: childId, succeeded: true });
    await age([parent, child], 10);
    const before = await rowsOf([parent, child]);
    expect(before).toMatchObject({ runs: 2, attempts: 2, run_waitpoints: 2, waitpoints: 2, run_events: 3 });

    const result = await sweep();

    expect(await remaining([parent, child])).toEqual([]);
    expect(await rowsOf([parent, child])).toEqual(Object.fromEntries(Object.keys(before).map((k) => [k, 0])));
    expect(result.deleted).toEqual({
      runs: 2,
      snapshots: before.snapshots,
      attempts: 2,
      waitpoints: 2, // the child's RUN waitpoint and the token
      run_waitpoints: 2,
      run_events: 3,
      packets: 1,
      batch_items: 1,
      batches: 1,
      alert_deliveries: 1,
      realtime_streams: 1,
      realtime_stream_records: 2,
      input_stream_waits: 0,
      bulk_action_runs: 1,
    });
    const [left] = await db.execute<{ packets: number; batches: number }>(
      sql`SELECT (SELECT count(*) FROM trigger_platform.packets WHERE environment_id = ${env.id})::int AS packets,
                 (SELECT count(*) FROM trigger_platform.batches WHERE id = ${batch.id})::int AS batches`,
    );
    expect(left).toEqual({ packets: 0, batches: 0 });
    const exposition = (await metrics.exposition()).body;
    for (const kind of DELETED_KINDS) {
      const n = result.deleted[kind];
      if (n > 0) expect(exposition).toContain(`trigger_retention_deleted_total{kind="${kind}"} ${n}`);
    }
    expect(exposition).toContain(`trigger_retention_deleted_total{kind="runs"} 2`);
  });

  it("leaves live runs, trees with a live run, a schedule's delayed and newest runs, the newest of each task and tag, young runs, held keys", async () => {
    const { db, env } = h();
    const gone: string[] = [];
    const kept: string[] = [];

    // Live: old and still executing.
    kept.push(await finishedRun("other", {}, false));
    // A finished parent whose child has not run yet; a finished child whose parent still runs.
    const parentDone = await finishedRun("parent", {}, false);
    const notYet = (await h().trigger("child", { options: { parentRunId: parentDone, delay: "1h" } })).run.friendlyId;
    await h().succeed(parentDone);
    kept.push(parentDone, notYet);
    const parentLive = await finishedRun("parent", {}, false);
    const childDone = (await h().trigger("child", { options: { parentRunId: parentLive, resumeParentOnCompletion: true } })).run.friendlyId;
    await h().startNext(childDone);
    await h().succeed(childDone);
    kept.push(parentLive, childDone);

    // A schedule: its delayed run and its newest finished run stay, an older finished one goes.
    const schedule = newIds("sched");
    await db
      .insert(schedules)
      .values({ ...schedule, environmentId: env.id, taskIdentifier: "nightly", type: "IMPERATIVE", cron: "0 3 * * *" });
    const olderTick = await finishedRun("nightly");
    const newerTick = await finishedRun("nightly");
    const delayed = (await h().trigger("nightly", { options: { delay: "1h" } })).run.friendlyId;
    await db.execute(
      sql`UPDATE trigger_platform.runs SET schedule_id = ${schedule.id}
           WHERE friendly_id IN (${olderTick}, ${newerTick}, ${delayed})`,
    );
    gone.push(olderTick);
    kept.push(newerTick, delayed);

    // Tags: the newest run of each task with the tag stays.
    const tag = `order:${Date.now()}`;
    const tagged = [];
    for (let i = 0; i < 3; i++) tagged.push(await finishedRun("tagged", { tags: [tag] }));
    const otherTask = await finishedRun("other", { tags: [tag] });
    gone.push(tagged[0]!, tagged[1]!);
    kept.push(tagged[2]!, otherTask);

    // Idempotency keys: one still in force stays, an expired one goes.
    const held = await finishedRun("other", { idempotencyKey: `held-${Date.now()}` });
    const expired = await finishedRun("other", { idempotencyKey: `expired-${Date.now()}` });
    kept.push(held);
    gone.push(expired);

    // Another tree waits on this one's child (its key named the cached child): both trees stay.
    const first = await finishedRun("parent", {}, false);
    const key = `shared-${Date.now()}`;
    const shared = (await h().trigger("child", { options: { parentRunId: first, resumeParentOnCompletion: true, idempotencyKey: key } }))
      .run.friendlyId;
    await h().startNext(shared);
    await h().succeed(shared);
    await h().succeed(first);
    const second = await finishedRun("parent", {}, false);
    const cached = await h().trigger("child", { options: { parentRunId: second, resumeParentOnCompletion: true, idempotencyKey: key } });
    expect(cached.run.friendlyId).toBe(shared);
    await h().succeed(second);
    kept.push(first, shared, second);

    // A plain old finished run goes; a young one stays.
    gone.push(await finishedRun("other"));
    const young = await finishedRun("other");

    await age([...kept, ...gone], 10);
    await age([olderTick, tagged[0]!], 12); // older than their siblings
    await age([delayed], 11); // made before the newest tick's run
    await age([tagged[1]!], 11);
    await age([second], 1); // the tree waiting on `shared` is young
    await db.execute(
      sql`UPDATE trigger_platform.runs SET idempotency_key_expires_at = now() + interval '1 day' WHERE friendly_id = ${held}`,
    );
    kept.push(young);

    const result = await sweep();

    expect(await remaining(gone)).toEqual([]);
    expect(await remaining(kept)).toEqual(kept);
    expect(result.deleted.runs).toBe(gone.length);
    // The newest of each kind, once alone, stays: a second sweep deletes nothing more.
    expect((await sweep()).deleted.runs).toBe(0);
  });

  it("works in transactions of at most batchRuns runs, a large tree deepest first, and a stop leaves whole trees", async () => {
    const singles: string[] = [];
    for (let i = 0; i < 12; i++) singles.push(await finishedRun("other"));
    const root = await finishedRun("parent", {}, false);
    const children: string[] = [];
    for (let i = 0; i < 6; i++) children.push(await finishedRun("child", { parentRunId: root }));
    await h().succeed(root);
    await age([...singles, root, ...children], 10);

    // Stopped after its first transaction: what is left is whole (a tree's root goes last).
    const stop = new AbortController();
    const first = await sweepOldRuns(h().engine.context, SETTINGS, { ...FAST, batchRuns: 5 }, stop.signal, () => stop.abort());
    expect(first.transactions).toHaveLength(1);
    expect(first.transactions[0]).toBeLessThanOrEqual(5);
    const [orphans] = await h().db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM trigger_platform.runs c
           WHERE c.parent_run_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM trigger_platform.runs p WHERE p.id = c.parent_run_id)`,
    );
    expect(orphans!.n).toBe(0);

    const rest = await sweepOldRuns(h().engine.context, SETTINGS, { ...FAST, batchRuns: 5 });
    expect(rest.transactions.every((n) => n <= 5)).toBe(true);
    expect(rest.transactions.reduce((a, b) => a + b, 0)).toBe(19 - first.transactions[0]!);
    expect(await remaining([...singles, root, ...children])).toEqual([]);
  });

  it("skips a run another transaction holds, without waiting for it, and takes it next time", async () => {
    const run = await finishedRun("other");
    await age([run], 10);
    let during: Awaited<ReturnType<typeof sweep>> | undefined;
    const started = Date.now();
    await h().db.transaction(async (tx) => {
      await tx.execute(sql`SELECT id FROM trigger_platform.runs WHERE id = ${internalId(run)} FOR UPDATE`);
      during = await sweep();
    });
    expect(Date.now() - started).toBeLessThan(900); // under the sweep's lock timeout: it never waited
    expect(during!.deleted.runs).toBe(0);
    expect(await remaining([run])).toEqual([run]);
    expect((await sweep()).deleted.runs).toBe(1);
  });

  it("a large tree with a run held in one slice is left whole, root included, until the next sweep", async () => {
    // root → 2 children → 2 grandchildren each: at 4 runs a transaction, the grandchildren go first, then the rest.
    const root = await finishedRun("parent", {}, false);
    const tree = [root];
    const grandchildren: string[] = [];
    for (let i = 0; i < 2; i++) {
      const child = (await h().trigger("child", { options: { parentRunId: root } })).run.friendlyId;
      await h().startNext(child);
      for (let j = 0; j < 2; j++) grandchildren.push(await finishedRun("child", { parentRunId: child }));
      await h().succeed(child);
      tree.push(child);
    }
    await h().succeed(root);
    tree.push(...grandchildren);
    await age(tree, 10);

    let during: Awaited<ReturnType<typeof sweep>> | undefined;
    await h().db.transaction(async (tx) => {
      await tx.execute(sql`SELECT id FROM trigger_platform.runs WHERE id = ${internalId(grandchildren[0]!)} FOR UPDATE`);
      during = await sweep({ batchRuns: 4 });
    });
    // The grandchildren's slice was skipped: the children's and the root's wait too (no run loses its parent).
    expect(during!.deleted.runs).toBe(0);
    expect(await remaining(tree)).toEqual(tree);
    const next = await sweep({ batchRuns: 4 });
    expect(next.transactions).toEqual([4, 3]);
    expect(await remaining(tree)).toEqual([]);
  });

  it("leaves an environment alone while one of its bulk actions is pending", async () => {
    const { db } = h();
    const run = await finishedRun("other");
    await age([run], 10);
    const action = await insertBulkAction("PENDING");
    expect((await sweep()).deleted.runs).toBe(0);
    expect(await remaining([run])).toEqual([run]);
    await db.execute(sql`UPDATE trigger_platform.bulk_actions SET status = 'COMPLETED' WHERE id = ${action}`);
    expect((await sweep()).deleted.runs).toBe(1);
    expect(await remaining([run])).toEqual([]);
  });

  it("leaves a run being replayed, and the stored payload the replay shares with it", async () => {
    const { db, env } = h();
    const payloadKey = `trigger/packet_${Date.now()}/payload.json`;
    const { run: original } = await h().trigger("other", { payload: payloadKey, options: { payloadType: "application/store" } });
    await db.insert(packets).values({ environmentId: env.id, key: payloadKey, data: "{}", dataType: "application/json" });
    await h().startNext(original.friendlyId);
    await h().succeed(original.friendlyId);
    await age([original.friendlyId], 10);
    const [aged] = await db.select().from(runs).where(eq(runs.id, original.id));

    let during: Awaited<ReturnType<typeof sweep>> | undefined;
    const replay = await db.transaction(async (tx) => {
      const made = await replayRunWithin(h().engine.context, tx, noEffects(), env, aged!, {});
      during = await sweep();
      return made;
    });
    expect(during!.deleted.runs).toBe(0);
    expect(replay.payload).toBe(payloadKey);
    // Once the replay is in, the original goes; its payload stays with the replay.
    expect((await sweep()).deleted).toMatchObject({ runs: 1, packets: 0 });
    expect(await remaining([original.friendlyId, replay.friendlyId])).toEqual([replay.friendlyId]);
    const [packet] = await db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM trigger_platform.packets WHERE environment_id = ${env.id} AND key = ${payloadKey}`,
    );
    expect(packet!.n).toBe(1);
  });

  it("a transaction that waits too long for a lock gives up its tree, and the sweep goes on with the next", async () => {
    const stuck = await finishedRun("other");
    const free = await finishedRun("other");
    await age([stuck, free], 10);
    let during: Awaited<ReturnType<typeof sweep>> | undefined;
    await h().db.transaction(async (tx) => {
      // A row hanging off the run, held: the sweep gets the run but its delete of the snapshots times out.
      await tx.execute(sql`SELECT id FROM trigger_platform.snapshots WHERE run_id = ${internalId(stuck)} FOR UPDATE`);
      during = await sweep({ batchRuns: 1 });
    });
    expect(during!.deleted.runs).toBe(1);
    expect(await remaining([stuck, free])).toEqual([stuck]);
    expect((await sweep()).deleted.runs).toBe(1);
    expect(await remaining([stuck])).toEqual([]);
  });

  it("a stop cuts the rest between transactions short", async () => {
    for (let i = 0; i < 2; i++) await age([await finishedRun("other")], 10);
    const stop = new AbortController();
    const started = performance.now();
    const result = await sweepOldRuns(h().engine.context, SETTINGS, { ...FAST, batchRuns: 1, pauseMs: 60_000 }, stop.signal, () =>
      setTimeout(() => stop.abort(), 50),
    );
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(result.transactions).toEqual([1]);
  });

  it("with RUN_RETENTION set, the engine sweeps as it starts", async () => {
    const run = await finishedRun("other");
    await age([run], 10);
    // A quiet platform (what earlier tests left queued set aside): the sweep gets a tenth of the time, not a hundredth.
    await h().db.execute(sql`UPDATE trigger_platform.runs SET available_at = NULL, lease_until = NULL`);
    const engine = new RunEngine({ db: h().db, options: { ...h().engine.context.options, retention: SETTINGS } });
    await engine.start();
    try {
      await expect.poll(() => remaining([run]), { timeout: 5_000, interval: 50 }).toEqual([]);
    } finally {
      await engine.stop();
    }
  });
});
