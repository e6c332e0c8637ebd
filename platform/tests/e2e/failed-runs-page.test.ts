// The Failed page and bulk actions' page over HTTP, on a platform without a CLI: runs are made to fail through
// the engine (as a CLI's attempts would), then the pages are fetched and their forms posted as a browser would.
// What is checked here: each project sees its own failed runs; a replay posted from the page reaches the
// bulk-actions API and ends with the replays made; bad input is refused naming the field, and writes nothing.
import { count } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bulkActions } from "../../lib/db/schema";
import { currentWorker } from "../../lib/engine/workers";
import { findProjectEnvironment, type ProjectEnvironment } from "../../lib/environments";
import { ACCESS_TOKEN, dashboardHeaders, FIXTURE_REF, startPlatformHarness, type PlatformHarness } from "../support/platform";

let h: PlatformHarness;
let env: ProjectEnvironment;
const failed: string[] = [];

/** Triggers `task` and ends its attempt with `message` (no retry: FAILED). */
async function failRun(task: string, payload: unknown, message: string): Promise<string> {
  const engine = h.platform.context.engine;
  const { run } = await engine.trigger(env, task, { payload: JSON.stringify(payload), options: { payloadType: "application/json" } });
  const worker = (await currentWorker(h.platform.context, env.id))!;
  const [dequeued] = (await engine.dequeue(env, worker.id)).filter((m) => m.run.friendlyId === run.friendlyId);
  await engine.startAttempt(env, dequeued!.run.id, dequeued!.snapshot.friendlyId);
  await engine.completeAttempt(env, run.id, {
    ok: false,
    id: run.friendlyId,
    error: { type: "BUILT_IN_ERROR", name: "Error", message, stackTrace: "" },
  });
  return run.friendlyId;
}

const page = async (path: string) => {
  const response = await fetch(`${h.url}${path}`, { headers: dashboardHeaders() });
  return { status: response.status, html: await response.text() };
};

/** Posts a form (with the page's CSRF token unless `csrf` is false); returns where it redirects. */
async function post(path: string, form: [string, string][], csrf = true) {
  const headers: Record<string, string> = { ...dashboardHeaders(), "content-type": "application/x-www-form-urlencoded" };
  if (!csrf) delete headers["x-csrf-token"];
  const response = await fetch(`${h.url}${path}`, {
    method: "POST",
    headers,
    body: new URLSearchParams(form).toString(),
    redirect: "manual",
  });
  const location = response.headers.get("location") ?? "";
  const target = new URL(location, h.url);
  return {
    status: response.status,
    path: target.pathname,
    query: Object.fromEntries(target.searchParams),
    ids: target.searchParams.getAll("id"),
  };
}

const bulkActionCount = async () => (await h.database.db.select({ n: count() }).from(bulkActions))[0]!.n;

beforeAll(async () => {
  h = await startPlatformHarness();
  const worker = await fetch(`${h.url}/api/v1/projects/${FIXTURE_REF}/background-workers`, {
    method: "POST",
    headers: { authorization: `Bearer ${ACCESS_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({
      localOnly: true,
      metadata: { packageVersion: "4.8.3", contentHash: "failed-1", tasks: [{ id: "import-row", filePath: "src/import-row.ts" }] },
    }),
  });
  expect(worker.status).toBe(200);
  env = (await findProjectEnvironment(h.database.db, FIXTURE_REF, "dev"))!;
  for (const n of [1, 2, 3]) failed.push(await failRun("import-row", { row: n }, "checksum mismatch"));
}, 60_000);

afterAll(async () => {
  await h?.platform.close();
  await h?.database.close();
});

describe("the Failed page over HTTP", () => {
  it("shows the project's failed runs, at the short paths and at the project's own; another project has none", async () => {
    for (const path of ["/failed", `/projects/v3/${FIXTURE_REF}/failed`]) {
      const { status, html } = await page(path);
      expect(status).toBe(200);
      expect(html).toContain('<h2 id="failed-total">3 failed runs in 1 group</h2>');
      expect(html).toMatch(/<td class="count">3<\/td>/);
    }
    await fetch(`${h.url}/api/v1/projects/proj_otherfailed/dev`, { headers: { authorization: `Bearer ${ACCESS_TOKEN}` } });
    expect((await page("/projects/v3/proj_otherfailed/failed")).html).toContain("0 failed runs in 0 groups");
  });

  it("a replay posted from the page becomes a bulk action, followed on its page to the end", async () => {
    const started = await post("/failed/replay", [
      ["scope", "all"],
      ["task", "import-row"],
    ]);
    expect(started).toMatchObject({ status: 303, path: "/bulk-actions" });
    expect(started.ids).toHaveLength(1);
    expect(started.query.flash).toBe(`Bulk replay started: ${started.ids[0]}`);
    await expect
      .poll(async () => (await page(`/bulk-actions?id=${started.ids[0]}`)).html, { timeout: 15_000, interval: 100 })
      .toContain('data-status="COMPLETED"');
    const { html } = await page(`/bulk-actions?id=${started.ids[0]}`);
    expect(html).toContain("3 of 3 done: 3 replayed, 0 failed");
    for (const id of failed) expect(html).toContain(`href="/runs/${id}"`);

    // Aborting it now is refused, and the page says why.
    const abort = await post(`/bulk-actions/${started.ids[0]}/abort`, []);
    expect(abort).toMatchObject({
      status: 303,
      path: "/bulk-actions",
      query: { kind: "error", flash: `Bulk action ${started.ids[0]} has already completed` },
    });
    expect((await page("/bulk-actions?id=bulk_doesnotexist")).html).toContain("No bulk action bulk_doesnotexist in this project.");
  });

  const refusals: { form: [string, string][]; message: RegExp }[] = [
    { form: [["scope", "selected"]], message: /^run: pick at least one run$/ },
    {
      form: [
        ["scope", "selected"],
        ["run", "hello"],
      ],
      message: /^run\.0: must be run ids like run_abc123$/,
    },
    {
      form: [
        ["scope", "selected"],
        ["run", "run_nosuchrun"],
      ],
      message: /^run: not a failed run of this environment: run_nosuchrun$/,
    },
    {
      form: [
        ["scope", "all"],
        ["from", "the day before"],
      ],
      message: /^from: must be a date and time like 2025-01-31T14:00$/,
    },
    {
      form: [
        ["scope", "all"],
        ["from", "2025-02-01T00:00"],
        ["to", "2025-01-01T00:00"],
      ],
      message: /^to: must not be before from$/,
    },
    { form: [["scope", "everything"]], message: /^scope: must be selected or all$/ },
    {
      form: [
        ["scope", "all"],
        ["group", "not-a-key"],
      ],
      message: /^group: must be an error group's key \(32 hex digits\)$/,
    },
  ];
  it.each(refusals)("$form is refused naming the field, and nothing is replayed", async ({ form, message }) => {
    const before = await bulkActionCount();
    const refused = await post("/failed/replay", form);
    expect(refused).toMatchObject({ status: 303, path: "/failed", query: { kind: "error" } });
    expect(refused.query.flash).toMatch(message);
    expect(await bulkActionCount()).toBe(before);
  });

  it("a form without the page's CSRF token is refused; a bad filter in the address is a 400 naming it", async () => {
    const before = await bulkActionCount();
    expect((await post("/failed/replay", [["scope", "all"]], false)).status).toBe(403);
    expect(await bulkActionCount()).toBe(before);
    const { status, html } = await page("/failed?from=soon");
    expect(status).toBe(400);
    expect(html).toContain("from: must be a date and time like 2025-01-31T14:00");
  });

  it("a bulk action or queue named badly in the path is refused naming it, before the API is asked", async () => {
    expect(await post("/bulk-actions/not-an-id/abort", [])).toMatchObject({
      status: 303,
      path: "/bulk-actions",
      query: { kind: "error", flash: "bulkAction: must be a bulk action id like bulk_abc123" },
    });
    expect(await post(`/queues/${encodeURIComponent("<b>mail</b>")}/pause`, [])).toMatchObject({
      status: 303,
      path: "/queues",
      query: { kind: "error", flash: "queue: must be a queue id like queue_abc123" },
    });
  });

  it("says which window it reads when the filter names no start", async () => {
    const { html } = await page("/failed");
    expect(html).toContain('<p class="muted" id="failed-window">Showing runs triggered in the 7 days before now;');
    expect((await page("/failed?from=2025-01-01T00:00")).html).not.toContain('id="failed-window"');
  });
});
