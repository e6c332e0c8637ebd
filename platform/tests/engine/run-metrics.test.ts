// The Metrics page's numbers (run-metrics.ts) over a known timeline: runs driven through the engine, then
// their snapshots and timestamps moved to known minutes of the last hour, so each minute's queued, running and
// finished counts are known exactly — a run queued before the window, one delayed into its last minutes, one
// queued, run and finished inside it — and another environment's runs are not counted.
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { runs } from "../../lib/db/schema";
import { loadEnvironmentMetrics, METRICS_WINDOW_MINUTES } from "../../lib/dashboard/run-metrics";
import { internalId } from "../../lib/ids";
import { useEngine } from "./engine-harness";

const engine = useEngine([{ id: "work" }]);

/** Sets a run's snapshots' times, in order, to minutes (and seconds) before the current minute's start. */
async function timeline(runFriendlyId: string, offsets: { minutes: number; seconds: number }[]) {
  const h = engine();
  const snapshots = await h.snapshotsOf(runFriendlyId);
  expect(snapshots).toHaveLength(offsets.length);
  for (const [i, snapshot] of snapshots.entries()) {
    const { minutes, seconds } = offsets[i]!;
    await h.db.execute(sql`
      UPDATE trigger_platform.snapshots
         SET created_at = date_trunc('minute', now()) - make_interval(mins => ${minutes}) + make_interval(secs => ${seconds})
       WHERE seq = ${snapshot.seq}`);
  }
}
const before = (minutes: number, seconds = 0) => ({ minutes, seconds });

/** Waits out the last seconds of a minute, so the timeline and the reading fall in the same one. */
async function awayFromMinuteEnd() {
  const seconds = new Date().getUTCSeconds();
  if (seconds >= 45) await new Promise((resolve) => setTimeout(resolve, (61 - seconds) * 1000));
}

describe("the Metrics page's numbers", () => {
  it("counts, per minute, the runs finished and the runs queued and running at its end", async () => {
    await awayFromMinuteEnd();
    const h = engine();
    // Queued 10 minutes ago, dequeued at -8 m, executing at -8 m 20 s, finished at -5 m 10 s.
    const ran = await h.trigger("work");
    expect(await h.startNext()).toBe(ran.run.friendlyId);
    await h.succeed(ran.run.friendlyId);
    await timeline(ran.run.friendlyId, [before(10, 10), before(8, 10), before(8, 20), before(5, 10)]);
    await h.db.execute(sql`
      UPDATE trigger_platform.runs
         SET started_at = date_trunc('minute', now()) - interval '8 minutes' + interval '20 seconds',
             completed_at = date_trunc('minute', now()) - interval '5 minutes' + interval '10 seconds'
       WHERE id = ${internalId(ran.run.friendlyId)}`);
    // Queued 90 minutes ago and never dequeued (the queue was full, say): queued at every minute of the window.
    const old = (await h.trigger("work")).run.friendlyId;
    await timeline(old, [before(90)]);
    // Delayed 20 minutes ago until 3 m 30 s before this minute: queued from then on.
    const delayed = (await h.trigger("work", { options: { delay: "1h" } })).run.friendlyId;
    await timeline(delayed, [before(20)]);
    await h.db.execute(
      sql`UPDATE trigger_platform.runs SET delay_until = date_trunc('minute', now()) - interval '3 minutes' + interval '30 seconds'
           WHERE id = ${internalId(delayed)}`,
    );

    const metrics = await loadEnvironmentMetrics(h.db, h.env.id);
    expect(metrics.minutes).toHaveLength(METRICS_WINDOW_MINUTES);
    const current = new Date(metrics.until);
    current.setUTCSeconds(0, 0);
    expect(metrics.minutes.at(-1)!.minute).toEqual(current);
    expect(metrics.since).toEqual(new Date(current.getTime() - (METRICS_WINDOW_MINUTES - 1) * 60_000));

    // Minute -k (k minutes before the current one) is at index 59 - k; its values are at its end.
    const at = (k: number) => metrics.minutes[METRICS_WINDOW_MINUTES - 1 - k]!;
    const expected = (k: number) => ({
      queued: 1 + (k === 10 || k === 9 ? 1 : 0) + (k <= 3 ? 1 : 0),
      running: k === 8 || k === 7 || k === 6 ? 1 : 0,
      succeeded: k === 5 ? 1 : 0,
    });
    for (let k = 0; k < METRICS_WINDOW_MINUTES; k++) {
      const { queued, running, succeeded } = at(k);
      expect({ queued, running, succeeded }, `minute -${k}`).toEqual(expected(k));
    }
    expect(metrics.minutes.every((m) => m.failed === 0 && m.cancelled === 0)).toBe(true);
    // percentile_cont of one run's 2 m 50 s.
    expect(metrics.tasks).toEqual([{ task: "work", succeeded: 1, failed: 0, cancelled: 0, p50Ms: 170_000, p95Ms: 170_000 }]);
  }, 90_000);

  it("leaves out runs that ended before the window and other environments' runs", async () => {
    const h = engine();
    const run = await h.trigger("work");
    await h.startNext(run.run.friendlyId);
    await h.fail(run.run.friendlyId);
    expect((await loadEnvironmentMetrics(h.db, h.env.id)).tasks).toMatchObject([{ task: "work", failed: 1 }]);
    await h.db
      .update(runs)
      .set({ completedAt: sql`now() - interval '61 minutes'` })
      .where(eq(runs.id, internalId(run.run.friendlyId)));
    await h.db.execute(sql`UPDATE trigger_platform.snapshots SET created_at = now() - interval '2 hours'`);
    const metrics = await loadEnvironmentMetrics(h.db, h.env.id);
    expect(metrics.tasks).toEqual([]);
    expect(metrics.minutes.every((m) => m.failed + m.queued + m.running === 0)).toBe(true);
    // The first test's environment (its runs still in the table) is not this one.
    expect((await h.db.select({ id: runs.id }).from(runs)).length).toBeGreaterThan(1);
  });
});
