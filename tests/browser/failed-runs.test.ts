// The dead-letter view in Chromium, against `npm start`'s whole stack (real CLI, real platform, real Postgres):
// runs that really failed (payloads the tasks' schemas refuse; a charge Stripe kept answering 500 to) grouped
// by task and error with their counts, a hostile payload shown as text, two picked runs replayed, "all
// matching" a filter (task, error group, time window) replaying exactly that set, a bulk action followed live
// to the end or aborted half-way, and an order's failed runs replayed from its page. Screenshots go to
// test-output/screenshots/.
import { runs, tasks } from "@trigger.dev/sdk";
import { inArray, isNotNull } from "drizzle-orm";
import type { Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { internalId } from "local-trigger";
import { runs as runRows } from "local-trigger/schema";
import { useBrowser } from "../support/browser";
import { useOrderStack } from "../support/order-stack";

const h = useOrderStack({ ORDER_REMINDER_DELAY: "1h" });
const browser = useBrowser({ loginUrl: () => h.s.platform()!.loginUrl });
const dashboard = () => h.s.platform()!.url;
const tuning = () => h.s.platform()!.context.engine.bulkActionTuning;
const DEFAULT_TUNING = { chunkSize: 100, chunkDelayMs: 200 };
afterEach(() => void Object.assign(tuning(), DEFAULT_TUNING));

const HOSTILE = `<img src=x onerror="window.__pwned=1">`;
const SCHEMA_FAILED = "Parsing payload with schema failed";

/** Triggers each payload (the task's schema refuses it: the run fails at once, without retries); waits for FAILED. */
async function failing(task: string, payloads: unknown[]): Promise<string[]> {
  const ids: string[] = [];
  for (const payload of payloads) ids.push((await tasks.trigger(task, payload)).id);
  await Promise.all(ids.map((id) => untilStatus(id, "FAILED")));
  return ids;
}

const untilStatus = (id: string, status: string, ms = 60_000) =>
  h.until(`${id} to be ${status}`, async () => ((await runs.retrieve(id)).status === status ? true : undefined), ms);

/** What each group's row says: task, error, runs. */
const groupRows = (page: Page) =>
  page.locator("#failed-groups tbody tr[data-group]").evaluateAll((trs) =>
    trs.map((tr) => ({
      task: tr.getAttribute("data-task"),
      error: tr.children[1]?.textContent ?? "",
      count: Number(tr.children[2]?.textContent),
    })),
  );

/** Waits (without reloading: the page is live) until the bulk action on the page has ended. */
async function untilBulkEnds(page: Page, status = "COMPLETED") {
  await expect
    .poll(() => page.locator("[data-bulk-action]").first().getAttribute("data-status"), { timeout: 30_000, interval: 200 })
    .toBe(status);
  return (await page.locator("[data-bulk-action] .progress-counts").first().textContent()) ?? "";
}

/** The runs replayed from `originals`, by original. */
async function replaysOf(originals: string[]) {
  const rows = await h.s.db
    .select({ id: runRows.friendlyId, from: runRows.replayedFromId })
    .from(runRows)
    .where(inArray(runRows.replayedFromId, originals.map(internalId)));
  return rows;
}

/** A datetime-local value (the page's time window: local time, to the second). */
const localTime = (at: Date) => {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())}T${p(at.getHours())}:${p(at.getMinutes())}:${p(at.getSeconds())}`;
};

const badIds = (n: number) => Array.from({ length: n }, (_, i) => ({ orderId: `bad id ${i}!`, kind: "confirmation" }));

const first: { hostileRun?: string; groupA?: string[] } = {};

describe("the Failed page (Chromium)", () => {
  it("groups the failed runs by task and error, with attempts and payloads, a hostile payload shown as text", async () => {
    const groupA = [
      ...(await failing("send-notification", badIds(2))),
      ...(await failing("send-notification", [{ orderId: HOSTILE, kind: "confirmation" }])),
    ];
    first.groupA = groupA;
    first.hostileRun = groupA[2];
    await failing("send-notification", [
      { orderId: "fine-1", kind: "telegram" },
      { orderId: "fine-2", kind: "telegram" },
    ]);
    await failing("charge-payment", [{ orderId: "bad id!" }, { orderId: "also bad!" }]);

    const page = await browser.page();
    await page.goto(`${dashboard()}/failed`);
    expect(await page.locator("#failed-total").textContent()).toBe("7 failed runs in 3 groups");
    const groups = await groupRows(page);
    const byTaskAndField = (task: string, field: string) =>
      groups.filter((g) => g.task === task && g.error.includes(SCHEMA_FAILED) && g.error.includes(`"${field}"`));
    expect(byTaskAndField("send-notification", "orderId").map((g) => g.count)).toEqual([3]);
    expect(byTaskAndField("send-notification", "kind").map((g) => g.count)).toEqual([2]);
    // The same message from another task is a group of its own.
    expect(byTaskAndField("charge-payment", "orderId").map((g) => g.count)).toEqual([2]);
    await browser.screenshot(page, "failed-runs");

    await page.click(`#failed-groups tr[data-task='send-notification']:has-text('"orderId"') a:text('show runs')`);
    await page.waitForURL(/group=/);
    const rows = page.locator("#group-runs-table tbody tr");
    expect((await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-run")))).sort()).toEqual([...groupA].sort());
    expect(await page.locator("#group-runs-table td.attempts").allTextContents()).toEqual(["1", "1", "1"]);
    expect(await page.locator("#group-runs-table .badge").allTextContents()).toEqual(["FAILED", "FAILED", "FAILED"]);
    expect(await page.locator("#group-runs").textContent()).toContain(SCHEMA_FAILED);
    // The payload is there as text, and nothing of it became markup.
    const hostileRow = page.locator(`#group-runs-table tr[data-run='${first.hostileRun}']`);
    await hostileRow.locator("td.payload summary").click();
    expect(await hostileRow.locator("td.payload pre").textContent()).toContain(`"orderId": "<img src=x onerror=\\"window.__pwned=1\\">"`);
    expect(await page.locator("main img").count()).toBe(0);
    expect(await page.evaluate("window.__pwned")).toBeUndefined();
    await browser.screenshot(page, "failed-runs-group");
  }, 120_000);

  it("replays two picked runs: two new runs with their payloads, each linking back to its original", async () => {
    const [a, b] = first.groupA! as [string, string];
    const page = await browser.page();
    await page.goto(`${dashboard()}/failed`);
    await page.click(`#failed-groups tr[data-task='send-notification']:has-text('"orderId"') a:text('show runs')`);
    await page.check(`#group-runs-table input[value='${a}']`);
    await page.check(`#group-runs-table input[value='${b}']`);
    await page.click("button:text('Replay selected')");
    await page.waitForURL(/\/bulk-actions\?id=bulk_/);
    expect(await untilBulkEnds(page)).toBe("2 of 2 done: 2 replayed, 0 failed");
    expect(await page.locator("[data-bulk-action] progress").getAttribute("value")).toBe("2");
    expect(await page.locator("[data-bulk-action] button:text('Abort')").count()).toBe(0);
    await browser.screenshot(page, "bulk-replay-done");

    const replays = await replaysOf([a, b]);
    expect(replays.map((r) => `run_${r.from}`).sort()).toEqual([a, b].sort());
    for (const replay of replays) {
      const original = `run_${replay.from}`;
      expect((await runs.retrieve(replay.id)).payload).toEqual((await runs.retrieve(original)).payload);
    }
    // The replay's page links to the run it replays.
    await page.goto(`${dashboard()}/runs/${replays[0]!.id}`);
    await page.click(`a:text('run_${replays[0]!.from}')`);
    await page.waitForURL(new RegExp(`/runs/run_${replays[0]!.from}$`));
  }, 90_000);

  it('"all matching" a filter replays exactly the matching runs: an error group in a time window, a task', async () => {
    // Everything so far is before the window; the window starts at the next full second.
    const from = new Date(Math.ceil((Date.now() + 1) / 1000) * 1000);
    await new Promise((r) => setTimeout(r, from.getTime() - Date.now() + 50));
    const inWindow = await failing("send-notification", badIds(2));
    const otherGroup = await failing("send-notification", [{ orderId: "fine-3", kind: "telegram" }]);
    const charges = await failing("charge-payment", [{ orderId: "bad id again!" }]);
    const replayedBefore = (await h.s.db.select({ id: runRows.id }).from(runRows).where(isNotNull(runRows.replayedFromId))).length;

    const page = await browser.page();
    await page.goto(`${dashboard()}/failed?from=${encodeURIComponent(localTime(from))}`);
    expect(await page.locator("#failed-total").textContent()).toBe("4 failed runs in 3 groups");
    await page.click(`#failed-groups tr[data-task='send-notification']:has-text('"orderId"') a:text('show runs')`);
    await page.waitForURL(/group=/);
    // Compared as times: Chromium writes a whole minute without its ":00" seconds.
    expect(new Date(await page.locator("form.filters input[name=from]").inputValue()).getTime()).toBe(from.getTime());
    await page.click("button:text('Replay all 2 in this group')");
    await page.waitForURL(/\/bulk-actions\?id=bulk_/);
    expect(await untilBulkEnds(page)).toBe("2 of 2 done: 2 replayed, 0 failed");
    expect((await replaysOf(inWindow)).map((r) => `run_${r.from}`).sort()).toEqual([...inWindow].sort());

    // By task, every error: the filter goes to the API as a filter.
    await page.goto(`${dashboard()}/failed`);
    await page.selectOption("select[name=task]", "charge-payment");
    await page.fill("form.filters input[name=from]", localTime(from));
    await page.click("form.filters button[type=submit]");
    await page.waitForURL(/task=charge-payment/);
    expect(await page.locator("#failed-total").textContent()).toBe("1 failed run in 1 group");
    await page.click("button:text('Replay all 1 matching')");
    await page.waitForURL(/\/bulk-actions\?id=bulk_/);
    expect(await untilBulkEnds(page)).toBe("1 of 1 done: 1 replayed, 0 failed");
    expect((await replaysOf(charges)).map((r) => `run_${r.from}`)).toEqual(charges);

    // Nothing else was replayed: not the other group, not the runs before the window.
    expect(await replaysOf(otherGroup)).toEqual([]);
    const replayedAfter = (await h.s.db.select({ id: runRows.id }).from(runRows).where(isNotNull(runRows.replayedFromId))).length;
    expect(replayedAfter - replayedBefore).toBe(3);
  }, 120_000);

  it("follows a bulk replay live and aborts it half-way: the runs not reached stay unreplayed", async () => {
    // Order ids that are no strings: an error of their own.
    const selected = await failing(
      "send-notification",
      Array.from({ length: 4 }, (_, n) => ({ orderId: n, kind: "confirmation" })),
    );
    // One run every 3 s: the live page shows a part done (it refreshes on a change, but a loaded machine may
    // skip a step), with time to abort before the end.
    Object.assign(tuning(), { chunkSize: 1, chunkDelayMs: 3_000 });
    const page = await browser.page();
    await page.goto(`${dashboard()}/failed`);
    await page.click(`#failed-groups tr[data-task='send-notification']:has-text('must be a string') a:text('show runs')`);
    await page.click("button:text('Replay all 4 in this group')");
    await page.waitForURL(/\/bulk-actions\?id=bulk_/);
    // The bar moves without a reload.
    const partDone = async () => {
      const value = Number(await page.locator("[data-bulk-action] progress").getAttribute("value"));
      return value >= 1 && value < 4;
    };
    await expect.poll(partDone, { timeout: 20_000, interval: 100 }).toBe(true);
    await browser.screenshot(page, "bulk-replay-in-progress");
    await page.click("[data-bulk-action] button:text('Abort')");
    await page.waitForSelector(".flash.ok");
    expect(await page.locator(".flash").textContent()).toMatch(/^Bulk action bulk_\w+ aborted$/);
    const counts = await untilBulkEnds(page, "ABORTED");
    const done = Number(/^(\d) of 4 done/.exec(counts)?.[1]);
    expect(done).toBeGreaterThanOrEqual(1);
    expect(done).toBeLessThan(4);
    await new Promise((r) => setTimeout(r, 2_000)); // a further chunk would have come due
    expect(await replaysOf(selected)).toHaveLength(done);
  }, 90_000);
});

describe("an order's failed runs, from its page (Chromium)", () => {
  it("replays the charge that failed after all its retries, and follows the replay to the end", async () => {
    h.s.standIn!.faults.inject({ kind: "status_500", path: "/v1/payment_intents", times: 10_000 });
    const event = h.orderEvent({ "MUG-LOGO": 1 });
    expect((await h.post("order.created", event)).status).toBe(202);
    const failedCharge = await h.until(
      "the order's charge to fail after its retries",
      async () => {
        for await (const run of runs.list({ tag: `order:${event.id}`, taskIdentifier: "charge-payment" }))
          if (run.status === "FAILED") return run.id;
        return undefined;
      },
      120_000,
    );
    h.s.standIn!.faults.clear();

    const page = await browser.page();
    await page.goto(`${dashboard()}/orders/${event.id}`);
    const button = page.locator("#order-runs button:has-text('Replay failed runs')");
    expect(await button.textContent()).toBe("Replay failed runs (1)");
    await browser.screenshot(page, "order-failed-runs");
    await button.click();
    await page.waitForURL(/bulk=bulk_/);
    expect(await page.locator(".flash").textContent()).toBe("Replaying the order's failed runs");
    expect(await untilBulkEnds(page)).toBe("1 of 1 done: 1 replayed, 0 failed");

    const [replay] = await replaysOf([failedCharge]);
    expect(replay).toBeDefined();
    expect((await runs.retrieve(replay!.id)).payload).toEqual({ orderId: event.id });
    await untilStatus(replay!.id, "COMPLETED");
    // The replayed charge went through: the order holds one succeeded charge.
    expect((await h.order(event.id)).payments.filter((p) => p.kind === "charge" && p.status === "succeeded")).toHaveLength(1);
    await page.reload();
    await browser.screenshot(page, "order-failed-runs-replayed");
  }, 180_000);
});
