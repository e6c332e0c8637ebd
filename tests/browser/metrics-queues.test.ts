// The platform dashboard's Metrics and Queues pages in Chromium (issue 15), on the platform alone: runs made
// and driven through its engine as a CLI would (dequeue, start, complete), their timings then set in the
// table so the durations are known. Metrics: the counts, failure rates and p50/p95 of a known set of runs, the
// charts' minute values, and the same page after a restart. Queues: queued, running and limit per queue, and
// Pause then Resume through the page (CSRF-checked), seen on the page, in the table and in the dequeue.
// A task and a queue with hostile names render as text.
import { and, eq, sql } from "drizzle-orm";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureProjectEnvironment, startPlatform, type PlatformOptions, type RunningPlatform } from "local-trigger";
import { queueSettings, runs } from "local-trigger/schema";
import { useBrowser } from "../support/browser";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const PROJECT = "proj_opspages";
const HOSTILE_TASK = `<img src=x onerror="window.__pwned=1">`;
const HOSTILE_QUEUE = `"><svg onload=window.__pwned=1>`;
const MAIL_LIMIT = 2;
const OPTIONS: PlatformOptions = {
  defaultProjectRef: PROJECT,
  dashboardToken: "ops-pages-dashboard",
  dequeue: { holdMs: 0, intervalWithRunMs: 0, intervalWithoutRunMs: 20, maxConcurrentRuns: 10 },
  heartbeatTimeoutMs: 60_000,
  defaultMaxAttempts: 1,
  taskEnvironment: {},
};

const state: { database?: TestDatabase; platform?: RunningPlatform; workerId?: string } = {};
const browser = useBrowser();
const origin = () => state.platform!.url;
const engine = () => state.platform!.context.engine;
const environment = () => ensureProjectEnvironment(state.platform!.context.db, PROJECT, OPTIONS);

/** Every run the engine hands out now, as a CLI's dequeue would take them. */
async function dequeueAll() {
  const taken = [];
  for (;;) {
    const batch = await engine().dequeue(await environment(), state.workerId!);
    if (batch.length === 0) return taken;
    taken.push(...batch);
  }
}

const trigger = async (task: string, options: Record<string, unknown> = {}) =>
  (await engine().trigger(await environment(), task, { payload: "{}", options: { payloadType: "application/json", ...options } })).run;

const succeed = async (runId: string, friendlyId: string) =>
  engine().completeAttempt(await environment(), runId, { ok: true, id: friendlyId, output: "null", outputType: "application/json" });

/** The known set: charge-card 3 succeeded (1, 2, 3 s), 1 failed (4 s), 1 cancelled; the hostile task 1 succeeded (10 s);
 *  all ended at the same moment two minutes ago. send-mail: 5 runs behind a limit of 2, so 2 running and 3 queued. */
async function seed() {
  const env = await environment();
  const worker = await engine().registerWorker(env, {
    contentHash: "ops-pages-1",
    tasks: [
      { id: "charge-card", filePath: "src/charge-card.ts", exportName: "chargeCard" },
      { id: HOSTILE_TASK, filePath: "src/hostile.ts", exportName: "hostile", queue: { name: HOSTILE_QUEUE, concurrencyLimit: 1 } },
      { id: "send-mail", filePath: "src/send-mail.ts", exportName: "sendMail", queue: { name: "mail", concurrencyLimit: MAIL_LIMIT } },
    ],
    queues: [
      { name: HOSTILE_QUEUE, concurrencyLimit: 1 },
      { name: "mail", concurrencyLimit: MAIL_LIMIT },
    ],
  });
  state.workerId = worker.id;
  const charges = [];
  for (let i = 0; i < 4; i++) charges.push(await trigger("charge-card"));
  const hostile = await trigger(HOSTILE_TASK);
  const taken = await dequeueAll();
  expect(taken.map((m) => m.run.friendlyId).sort()).toEqual([...charges, hostile].map((r) => r.friendlyId).sort());
  for (const message of taken) await engine().startAttempt(env, message.run.id, message.snapshot.friendlyId);
  for (const run of charges.slice(0, 3)) await succeed(run.id, run.friendlyId);
  await engine().completeAttempt(env, charges[3]!.id, {
    ok: false,
    id: charges[3]!.friendlyId,
    error: { type: "BUILT_IN_ERROR", name: "Error", message: "card declined", stackTrace: "" },
  });
  await succeed(hostile.id, hostile.friendlyId);
  const delayed = await trigger("charge-card", { delay: "1h" });
  await engine().cancel(delayed);

  const seconds: [string, number | null][] = [
    ...charges.map((run, i) => [run.id, i + 1] as [string, number]),
    [hostile.id, 10],
    [delayed.id, null],
  ];
  for (const [id, duration] of seconds)
    await state.database!.db.execute(sql`
      UPDATE trigger_platform.runs
         SET completed_at = date_trunc('minute', now()) - interval '2 minutes' + interval '30 seconds',
             started_at = CASE WHEN ${duration}::int IS NULL THEN NULL
                               ELSE date_trunc('minute', now()) - interval '2 minutes' + interval '30 seconds' - make_interval(secs => ${duration}::int) END
       WHERE id = ${id}`);
  const statuses = await state.database!.db.select({ status: runs.status }).from(runs);
  expect(statuses.map((r) => r.status).sort()).toEqual([
    "CANCELED",
    "COMPLETED_SUCCESSFULLY",
    "COMPLETED_SUCCESSFULLY",
    "COMPLETED_SUCCESSFULLY",
    "COMPLETED_SUCCESSFULLY",
    "COMPLETED_WITH_ERRORS",
  ]);

  for (let i = 0; i < 5; i++) await trigger("send-mail");
  const mail = await dequeueAll();
  expect(mail).toHaveLength(MAIL_LIMIT);
  for (const message of mail) await engine().startAttempt(env, message.run.id, message.snapshot.friendlyId);
}

const startOn = (database: TestDatabase) => startPlatform({ databaseUrl: database.url, port: 0, options: OPTIONS });

beforeAll(async () => {
  state.database = await createTestDatabase();
  state.platform = await startOn(state.database);
  await seed();
}, 120_000);

afterAll(async () => {
  await state.platform?.close();
  await state.database?.close();
});

async function open(path: string): Promise<Page> {
  const page = await browser.page();
  await page.goto(state.platform!.loginUrl);
  const response = await page.goto(`${origin()}${path}`);
  expect(response?.status(), path).toBe(200);
  return page;
}

const text = async (page: Page, selector: string) => (await page.locator(selector).first().textContent())?.trim();
const metric = (page: Page, scope: string, name: string) => text(page, `${scope} [data-metric="${name}"]`);
/** The minute the seeded runs ended in, as the charts name it. */
const seededMinute = () => {
  const minute = new Date();
  minute.setUTCSeconds(0, 0);
  return new Date(minute.getTime() - 2 * 60_000);
};

/** Nothing from the data ran or became markup. */
async function expectInert(page: Page) {
  expect(await page.evaluate("typeof window.__pwned")).toBe("undefined");
  expect(await page.locator("main img, main svg[onload]").count()).toBe(0);
}

describe("Metrics page (Chromium)", () => {
  it("shows the last hour's counts, failure rates and p50/p95 per task from the tables", async () => {
    const page = await open("/run-metrics");
    expect(await text(page, "header nav a.current")).toBe("Metrics");
    const summary = "#metrics-summary";
    expect(await metric(page, summary, "finished")).toBe("6");
    expect(await metric(page, summary, "succeeded")).toBe("4");
    expect(await metric(page, summary, "failed")).toBe("1");
    expect(await metric(page, summary, "cancelled")).toBe("1");
    expect(await metric(page, summary, "failure-rate")).toBe("20 %"); // 1 of 5 with an outcome
    expect(await metric(page, summary, "throughput")).toBe("0.1 runs/min"); // 6 in 60 minutes
    expect(await metric(page, summary, "queued")).toBe("3");
    expect(await metric(page, summary, "running")).toBe(String(MAIL_LIMIT));

    const charge = '#task-metrics tr[data-task="charge-card"]';
    expect(await metric(page, charge, "succeeded")).toBe("3");
    expect(await metric(page, charge, "failed")).toBe("1");
    expect(await metric(page, charge, "cancelled")).toBe("1");
    expect(await metric(page, charge, "failure-rate")).toBe("25 %");
    // percentile_cont over 1, 2, 3, 4 s: p50 2.5 s, p95 3 + 0.85 × 1 s.
    expect(Number(await page.locator(`${charge} [data-metric="p50"]`).getAttribute("data-ms"))).toBeCloseTo(2500, 3);
    expect(Number(await page.locator(`${charge} [data-metric="p95"]`).getAttribute("data-ms"))).toBeCloseTo(3850, 3);
    expect(await metric(page, charge, "p50")).toBe("2.5 s");

    // The hostile task's row: its name as text, its link's query escaped.
    const hostileRow = page.locator("#task-metrics tbody tr").filter({ hasText: HOSTILE_TASK });
    expect(await hostileRow.count()).toBe(1);
    expect((await hostileRow.locator("td").first().textContent())?.trim()).toBe(HOSTILE_TASK);
    expect(await hostileRow.locator('[data-metric="p95"]').getAttribute("data-ms")).toBe("10000");
    expect(await hostileRow.locator('[data-metric="failure-rate"]').textContent()).toBe("0 %");
    expect(await page.locator('#task-metrics tr[data-task="send-mail"]').count()).toBe(0); // none finished yet
    await expectInert(page);

    // The charts: 60 minutes; the seeded minute's column stacks the six endings; its failure rate 20 %.
    const columns = page.locator("#chart-throughput g[data-minute]");
    expect(await columns.count()).toBe(60);
    const minute = seededMinute();
    const hhmm = minute.toISOString().slice(11, 16);
    const column = page.locator(`#chart-throughput g[data-minute="${minute.toISOString()}"]`);
    expect(await column.locator("title").textContent()).toBe(`${hhmm}: 4 succeeded, 1 failed, 1 cancelled`);
    expect(await column.locator("rect").count()).toBe(3);
    expect(await page.locator("#chart-failure-rate circle title").allTextContents()).toEqual([`${hhmm}: 20% failed`]);
    // Queue depth now (the last minute's end): the three mails queued, two running.
    const depth = await page.locator("#chart-queue-depth circle title").allTextContents();
    expect(depth.filter((t) => t.endsWith(" queued")).at(-1)).toMatch(/: 3 queued$/);
    expect(depth.filter((t) => t.endsWith(" running")).at(-1)).toMatch(new RegExp(`: ${MAIL_LIMIT} running$`));
    await browser.screenshot(page, "metrics-page");

    // At a phone's width the charts stack and the page does not scroll sideways.
    const phone = await browser.page({ width: 390, height: 844 });
    await phone.goto(state.platform!.loginUrl);
    await phone.goto(`${origin()}/run-metrics`);
    expect(await phone.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    await browser.screenshot(phone, "metrics-page-phone");

    // The same page under the project's own path.
    const project = await open(`/projects/v3/${PROJECT}/run-metrics?envSlug=dev`);
    expect(await metric(project, summary, "finished")).toBe("6");
    expect(await project.locator(`header nav a[href="/projects/v3/${PROJECT}/queues"]`).count()).toBe(1);
  }, 60_000);

  it("is answered beside the Prometheus endpoint, which keeps GET /metrics", async () => {
    const cookie = { cookie: state.platform!.sessionCookie };
    expect((await fetch(`${origin()}/metrics`, { headers: cookie })).status).toBe(401); // the access token's, not the dashboard's
    expect((await fetch(`${origin()}/run-metrics`, { headers: cookie })).status).toBe(200);
  });
});

describe("Queues page (Chromium)", () => {
  const row = (queue: string) => `#queues-table tr[data-queue="${queue}"]`;

  it("lists each queue with its queued and running runs, its limit and state", async () => {
    const page = await open("/queues");
    expect(await text(page, "header nav a.current")).toBe("Queues");
    expect(await text(page, "#environment-limit")).toBe("10");
    expect(await metric(page, row("mail"), "queued")).toBe("3");
    expect(await metric(page, row("mail"), "running")).toBe(String(MAIL_LIMIT));
    expect(await metric(page, row("mail"), "limit")).toBe(String(MAIL_LIMIT));
    expect(await metric(page, row("mail"), "state")).toBe("active");
    expect(await metric(page, row("charge-card"), "queued")).toBe("0");
    expect(await metric(page, row("charge-card"), "limit")).toBe("none");
    const hostile = page.locator("#queues-table tbody tr").filter({ hasText: HOSTILE_QUEUE });
    expect((await hostile.locator("td").first().textContent())?.trim()).toBe(HOSTILE_QUEUE);
    expect(await hostile.locator('[data-metric="limit"]').textContent()).toBe("1");
    await expectInert(page);
    await browser.screenshot(page, "queues-page");
  }, 30_000);

  it("pauses and resumes a queue through the API: the page, the table and the dequeue follow", async () => {
    const env = await environment();
    const settingOf = async () =>
      (
        await state
          .database!.db.select({ paused: queueSettings.paused })
          .from(queueSettings)
          .where(and(eq(queueSettings.environmentId, env.id), eq(queueSettings.queue, "mail")))
      )[0]?.paused;

    const page = await open("/queues");
    await page.click(`${row("mail")} button:text("Pause")`); // its confirm() is accepted
    await page.waitForSelector(".flash.ok");
    expect(await text(page, ".flash")).toBe("Queue mail paused");
    expect(await metric(page, row("mail"), "state")).toBe("paused");
    expect(await page.locator(`${row("mail")} button`).textContent()).toBe("Resume");
    expect(await settingOf()).toBe(true);
    // Paused: a mail that ends frees a slot, and still none is handed out.
    const [done] = await state
      .database!.db.select({ id: runs.id, friendlyId: runs.friendlyId })
      .from(runs)
      .where(and(eq(runs.taskIdentifier, "send-mail"), eq(runs.status, "EXECUTING")))
      .limit(1);
    await succeed(done!.id, done!.friendlyId);
    expect(await dequeueAll()).toEqual([]);
    await page.reload();
    expect(await metric(page, row("mail"), "running")).toBe(String(MAIL_LIMIT - 1));
    expect(await metric(page, row("mail"), "queued")).toBe("3");
    await browser.screenshot(page, "queues-paused");

    await page.click(`${row("mail")} button:text("Resume")`);
    await page.waitForSelector(".flash.ok");
    expect(await text(page, ".flash")).toBe("Queue mail resumed");
    expect(await metric(page, row("mail"), "state")).toBe("active");
    expect(await settingOf()).toBe(false);
    const handed = await dequeueAll();
    expect(handed).toHaveLength(1);
    const [taken] = await state
      .database!.db.select({ task: runs.taskIdentifier })
      .from(runs)
      .where(eq(runs.friendlyId, handed[0]!.run.friendlyId));
    expect(taken?.task).toBe("send-mail");
    await page.reload();
    expect(await metric(page, row("mail"), "queued")).toBe("2");
    expect(await metric(page, row("mail"), "running")).toBe(String(MAIL_LIMIT));
  }, 60_000);

  it("refuses a pause without the page's CSRF token, and names a queue it does not know", async () => {
    const env = await environment();
    const { queues } = await engine().listQueues(env, { page: 1, perPage: 10 });
    const mail = queues.find((q) => q.name === "mail")!;
    const forged = await fetch(`${origin()}/queues/${mail.id}/pause`, {
      method: "POST",
      headers: { cookie: state.platform!.sessionCookie, "content-type": "application/x-www-form-urlencoded" },
      body: "",
      redirect: "manual",
    });
    expect(forged.status).toBe(403);
    expect((await engine().retrieveQueue(env, { custom: "mail" })).paused).toBe(false);

    const page = await open("/queues");
    // A form for a queue that is not there (as a page left open after its queue went away would post).
    await page
      .locator('form[action$="/pause"]')
      .first()
      .evaluate((form) => form.setAttribute("action", "/queues/queue_nosuchqueue/pause"));
    await page.click('#queues-table button:text("Pause")');
    await page.waitForSelector(".flash.error");
    expect(await text(page, ".flash")).toBe('Queue not found: no queue with id "queue_nosuchqueue" in this environment');
  }, 30_000);
});

describe("after a restart", () => {
  it("the Metrics page shows the same (read from the tables, not from the process)", async () => {
    const read = async () => {
      const page = await open("/run-metrics");
      return {
        finished: await metric(page, "#metrics-summary", "finished"),
        summary: await page.locator("#metrics-summary").innerText(),
        tasks: await page.locator("#task-metrics tbody").innerText(),
      };
    };
    const before = await read();
    await state.platform!.close();
    state.platform = await startOn(state.database!);
    const after = await read();
    expect(after).toEqual(before);
    expect(after.finished).toBe("7"); // the mail that ended while its queue was paused, too
  }, 60_000);
});
