// Batches, wait tokens, wait.until, queues with a concurrencyLimit, schedules and logs, with the real CLI.
import { batch, idempotencyKeys, runs, schedules, tasks, wait } from "@trigger.dev/sdk";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { runEvents, schedules as scheduleRows } from "../../lib/db/schema";
import { internalId } from "../../lib/ids";
import { useFixturePlatform, waitForRun, waitForStatus } from "../support/platform";

const fixture = useFixturePlatform();

describe("batches", () => {
  it("batchTriggerAndWait resumes the parent once, with every item's output in order", async () => {
    const run = await waitForRun((await tasks.trigger("batch-parent", { count: 5 })).id, 30_000);
    expect(run.status).toBe("COMPLETED");
    expect(run.output).toEqual({ outputs: ["item 0", "item 1", "item 2", "item 3", "item 4"] });
    const children = run.relatedRuns.children ?? [];
    expect(children).toHaveLength(5);
    expect(children.every((c) => c.triggerFunction === "batchTriggerAndWait" && c.batchId)).toBe(true);
  });

  it("batch.trigger from backend code creates the runs; batch.retrieve lists them", async () => {
    const handle = await batch.trigger([
      { id: "echo", payload: { message: "a" } },
      { id: "echo", payload: { message: "b" } },
      { id: "noop", payload: null },
    ]);
    expect(handle.batchId).toMatch(/^batch_/);
    const retrieved = await batch.retrieve(handle.batchId);
    expect(retrieved.runCount).toBe(3);
    expect(retrieved.runs).toHaveLength(3);
    const finished = await Promise.all(retrieved.runs.map((id) => waitForRun(id)));
    expect(finished.map((r) => r.status)).toEqual(["COMPLETED", "COMPLETED", "COMPLETED"]);
  });
});

describe("batch items whose idempotency key names an existing run", () => {
  it("batch.trigger counts that run as the item, even one another batch made: the batch is sealed and lists it", async () => {
    const key = await idempotencyKeys.create(`batch-known-${Date.now().toString(36)}`, { scope: "global" });
    const first = await batch.trigger([{ id: "echo", payload: { message: "made first" }, options: { idempotencyKey: key } }]);
    const [existing] = (await batch.retrieve(first.batchId)).runs.map((id) => ({ id }));
    const handle = await batch.trigger([
      { id: "echo", payload: { message: "same key" }, options: { idempotencyKey: key } },
      { id: "echo", payload: { message: "new" } },
    ]);
    const retrieved = await batch.retrieve(handle.batchId);
    expect(retrieved.runCount).toBe(2);
    expect(retrieved.runs[0]).toBe(existing!.id);
    expect(retrieved.runs).toHaveLength(2);
  });

  it("batchTriggerAndWait resumes with that run's output in its place, even when it had finished long before", async () => {
    const name = `batch-wait-known-${Date.now().toString(36)}`;
    // Made by another batch, and finished long before.
    const first = await batch.trigger([
      {
        id: "echo",
        payload: { message: "made first" },
        options: { idempotencyKey: await idempotencyKeys.create(name, { scope: "global" }) },
      },
    ]);
    const existing = await waitForRun((await batch.retrieve(first.batchId)).runs[0]!);
    const run = await waitForRun((await tasks.trigger("batch-with-known-key", { key: name })).id, 30_000);
    expect(run.status).toBe("COMPLETED");
    expect(run.output).toMatchObject({ outputs: ["made first", "fresh"], ids: [existing.id, expect.stringMatching(/^run_/)] });
  });
});

describe("wait tokens", () => {
  it("a run waits for a token and resumes with the data it is completed with", async () => {
    const token = await wait.createToken({ timeout: "10m", tags: ["e2e"] });
    const handle = await tasks.trigger("wait-for-token", { tokenId: token.id });
    await waitForStatus(handle.id, ["WAITING"]);
    const completedAt = Date.now();
    await wait.completeToken(token.id, { approved: true });
    const run = await waitForRun(handle.id);
    expect(run.output).toEqual({ ok: true, output: { approved: true } });
    expect(run.finishedAt!.getTime() - completedAt).toBeLessThan(2_000);
    const retrieved = await wait.retrieveToken(token.id);
    expect(retrieved).toMatchObject({ status: "COMPLETED", tags: ["e2e"] });
  });

  it("a token that times out resumes the run with a timeout error", async () => {
    const run = await waitForRun((await tasks.trigger("creates-token", { timeout: "1s" })).id, 20_000);
    expect(run.output).toMatchObject({ ok: false });
  });
});

describe("wait.listTokens", () => {
  it("filters by status, tags, idempotency key and creation time, newest first, in cursor pages", async () => {
    const tag = `list-${Date.now().toString(36)}`;
    const made: string[] = [];
    for (let i = 0; i < 5; i++)
      made.push((await wait.createToken({ tags: [tag, `n${i}`], timeout: "1h", idempotencyKey: `${tag}-${i}` })).id);
    await wait.completeToken(made[0]!, { ok: true });
    const ids = async (query: Parameters<typeof wait.listTokens>[0]) => {
      const found: string[] = [];
      for await (const token of wait.listTokens(query)) found.push(token.id);
      return found;
    };
    // Newest first; pages of 2 walked by the SDK's iterator (next cursors) give each token once.
    expect(await ids({ tags: tag, limit: 2 })).toEqual([...made].reverse());
    expect(await ids({ tags: tag, status: "WAITING" })).toEqual(made.slice(1).reverse());
    expect(await ids({ tags: tag, status: ["COMPLETED", "TIMED_OUT"] })).toEqual([made[0]]);
    expect(await ids({ tags: ["n3"], idempotencyKey: `${tag}-3` })).toEqual([made[3]]);
    expect(await ids({ tags: tag, from: new Date(Date.now() + 60_000) })).toEqual([]);
    expect(await ids({ tags: tag, period: "1h" })).toHaveLength(5);
    // A page back from the last one is the page before it.
    const firstPage = await wait.listTokens({ tags: tag, limit: 2 });
    const secondPage = await firstPage.getNextPage();
    expect((await secondPage.getPreviousPage()).data.map((t) => t.id)).toEqual(firstPage.data.map((t) => t.id));
    await expect(wait.listTokens({ status: "SLEEPING" as "WAITING" })).rejects.toThrow(/filter\[status\]: must be token statuses/);
  });
});

describe("wait.until", () => {
  it("resumes within 100 ms of the date", async () => {
    const at = new Date(Date.now() + 7_000);
    const run = await waitForRun((await tasks.trigger("wait-until", { at: at.toISOString() })).id, 20_000);
    const resumedAt = new Date((run.output as { resumedAt: string }).resumedAt).getTime();
    expect(resumedAt).toBeGreaterThanOrEqual(at.getTime());
    console.log(`wait.until resumed ${resumedAt - at.getTime()} ms after its date`);
    expect(resumedAt - at.getTime()).toBeLessThan(1_000); // generous bound; the figure is in the log
  });
});

describe("queues", () => {
  it("a queue with concurrencyLimit 1 runs its runs one after another", async () => {
    const handles = await Promise.all([1, 2, 3].map(() => tasks.trigger("one-at-a-time", { ms: 400 })));
    const done = await Promise.all(handles.map((h) => waitForRun(h.id)));
    const spans = done.map((r) => r.output as { started: number; ended: number }).sort((a, b) => a.started - b.started);
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.started).toBeGreaterThanOrEqual(spans[i - 1]!.ended);
  });

  it("a long line behind a full queue does not hold back a run of another queue queued after it", async () => {
    // More queued runs of the full queue than the platform looks at in one dequeue (4 × the free slots):
    // they used to fill that window, so runs queued after them (an order's steps) starved.
    const line = await batch.trigger(Array.from({ length: 120 }, () => ({ id: "one-at-a-time" as const, payload: { ms: 100 } })));
    const lineIds = (await batch.retrieve(line.batchId)).runs;
    try {
      const other = await waitForRun((await tasks.trigger("noop", null)).id, 30_000);
      expect(other.status).toBe("COMPLETED");
      const lineRuns = await Promise.all(lineIds.map((id) => runs.retrieve(id)));
      const doneBefore = lineRuns.filter((r) => r.finishedAt && r.finishedAt <= other.finishedAt!).length;
      // The line runs one at a time; the other run must not wait for the line to move (it used to wait
      // for 4 × 24 of it to be left: 24 runs, seconds).
      expect(doneBefore).toBeLessThan(10);
    } finally {
      await Promise.all(lineIds.map((id) => runs.cancel(id).catch(() => undefined)));
    }
  });

  it("different concurrency keys run side by side; the same key waits", async () => {
    const a = await tasks.trigger("one-at-a-time", { ms: 800 }, { concurrencyKey: "tenant-a" });
    const b = await tasks.trigger("one-at-a-time", { ms: 800 }, { concurrencyKey: "tenant-b" });
    const a2 = await tasks.trigger("one-at-a-time", { ms: 100 }, { concurrencyKey: "tenant-a" });
    const [ra, rb, ra2] = await Promise.all([a, b, a2].map((h) => waitForRun(h.id)));
    const out = (r: typeof ra) => r!.output as { started: number; ended: number };
    expect(out(rb).started).toBeLessThan(out(ra).ended); // overlapped
    expect(out(ra2).started).toBeGreaterThanOrEqual(out(ra).ended); // waited for its key
  });
});

describe("schedules", () => {
  it("a declarative schedules.task has a schedule with its cron, and fires with a schedule payload", async () => {
    const list = await schedules.list();
    const declarative = list.data.find((s) => s.task === "every-minute");
    expect(declarative).toMatchObject({ type: "DECLARATIVE", active: true, generator: { expression: "* * * * *" }, timezone: "UTC" });
    expect(declarative!.nextRun!.getTime()).toBeGreaterThan(Date.now());
    const fired = await fetch(`${fixture.h.url}/api/v1/schedules/${declarative!.id}/fire`, {
      method: "POST",
      headers: { authorization: `Bearer ${fixture.h.secretKey}` },
    });
    const run = await waitForRun(((await fired.json()) as { id: string }).id);
    expect(run.output).toMatchObject({ scheduleId: declarative!.id, type: "DECLARATIVE" });
  });

  it("imperative schedules: create (deduplicated), update, deactivate, activate, delete", async () => {
    const created = await schedules.create({
      task: "on-schedule",
      cron: "0 9 * * 1",
      timezone: "Europe/Paris",
      externalId: "user-1",
      deduplicationKey: "user-1-weekly",
    });
    expect(created).toMatchObject({ type: "IMPERATIVE", task: "on-schedule", externalId: "user-1", timezone: "Europe/Paris" });
    const nextRun = created.nextRun!;
    expect(nextRun.getUTCDay()).toBe(1);
    expect([7, 8]).toContain(nextRun.getUTCHours()); // 09:00 in Paris
    const again = await schedules.create({
      task: "on-schedule",
      cron: "0 10 * * 1",
      timezone: "Europe/Paris",
      externalId: "user-1",
      deduplicationKey: "user-1-weekly",
    });
    expect(again.id).toBe(created.id);
    expect((await schedules.retrieve(created.id)).generator.expression).toBe("0 10 * * 1");
    expect((await schedules.deactivate(created.id)).active).toBe(false);
    expect((await schedules.activate(created.id)).active).toBe(true);
    await schedules.del(created.id);
    await expect(schedules.retrieve(created.id)).rejects.toThrow();
  });

  it("schedules.timezones lists the IANA zones, UTC first unless excluded", async () => {
    const { timezones } = await schedules.timezones();
    expect(timezones[0]).toBe("UTC");
    expect(timezones).toContain("Europe/Berlin");
    expect(timezones).toContain("America/New_York");
    const without = await schedules.timezones({ excludeUtc: true });
    expect(without.timezones).not.toContain("UTC");
    expect(without.timezones.length).toBe(timezones.length - 1);
  });

  it("refuses a bad cron or timezone, naming it", async () => {
    await expect(schedules.create({ task: "on-schedule", cron: "every day", deduplicationKey: "bad-cron" })).rejects.toThrow(/cron/);
    await expect(
      schedules.create({ task: "on-schedule", cron: "0 9 * * *", timezone: "Mars/Olympus", deduplicationKey: "bad-tz" }),
    ).rejects.toThrow(/timezone/);
  });

  it("fires on its tick, once", async () => {
    // A yearly cron: its own next tick is far away, so the only tick in the test is the one pulled forward
    // (an every-minute cron also fired at the minute boundary when the test ran across one).
    const created = await schedules.create({
      task: "on-schedule",
      cron: "0 0 1 1 *",
      externalId: "tick",
      deduplicationKey: `tick-${Date.now()}`,
    });
    // Pull its next tick to 1 s from now instead of waiting up to a minute.
    const tick = new Date(Math.ceil((Date.now() + 1_000) / 1000) * 1000);
    await fixture.h.database.db
      .update(scheduleRows)
      .set({ nextRunAt: tick })
      .where(eq(scheduleRows.id, internalId(created.id)));
    fixture.h.platform.context.notifier.timerChanged(tick);
    await new Promise((r) => setTimeout(r, 2_500));
    const fired = (await runs.list({ taskIdentifier: "on-schedule" })).data;
    const ofThisSchedule = [];
    for (const r of fired) {
      const full = await runs.retrieve(r.id);
      if ((full.payload as { scheduleId?: string }).scheduleId === created.id) ofThisSchedule.push(full);
    }
    expect(ofThisSchedule).toHaveLength(1);
    expect(ofThisSchedule[0]!.schedule).toEqual({
      id: created.id,
      externalId: "tick",
      deduplicationKey: created.deduplicationKey,
      generator: { type: "CRON", expression: "0 0 1 1 *", description: expect.any(String) },
    });
    expect(new Date((ofThisSchedule[0]!.payload as { timestamp: string }).timestamp).getTime()).toBe(tick.getTime());
    expect((await schedules.retrieve(created.id)).nextRun!.getTime()).toBeGreaterThan(tick.getTime());
    await schedules.del(created.id);
  });
});

describe("logs and traces", () => {
  it("keeps the run's log lines and spans from OTLP", async () => {
    const handle = await tasks.trigger("echo", { message: "logged" });
    await waitForRun(handle.id);
    let events: (typeof runEvents.$inferSelect)[] = [];
    for (let i = 0; i < 100 && !events.some((e) => e.kind === "log" && e.name === "echoing"); i++) {
      await new Promise((r) => setTimeout(r, 100));
      events = await fixture.h.database.db
        .select()
        .from(runEvents)
        .where(eq(runEvents.runId, internalId(handle.id)));
    }
    const line = events.find((e) => e.kind === "log" && e.name === "echoing");
    expect(line).toMatchObject({ level: "info" });
    expect(line!.attributes).toMatchObject({ message: "logged" });
    expect(events.some((e) => e.kind === "span")).toBe(true);
  });
});
