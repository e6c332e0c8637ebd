// The dashboard at the platform's root URL: server-rendered pages over the same tables the API answers
// from, and actions that go through the platform's own API in-process (the same validation and errors as
// the SDK gets). Pages for things outside the platform (the orders of this project) plug in through a
// DashboardExtension, so the platform itself knows nothing of them.
import { and, desc, eq, inArray } from "drizzle-orm";
import { Hono, type Context } from "hono";
import type { Child } from "hono/jsx";
import { streamSSE } from "hono/streaming";
import { runs, schedules } from "../db/schema";
import type { PlatformEnv } from "../api/http-context";
import { currentWorker } from "../engine/workers";
import { apiKeyFor, ensureProjectEnvironment } from "../environments";
import { apiStatus, findRun, listRuns, type ApiStatus } from "../run-view";
import { DASHBOARD_CLIENT_JS } from "./dashboard-client";
import { PageShell, PLATFORM_NAV, withQuery, type NavItem } from "./page-shell";
import { loadRunDetails } from "./run-details";
import { RunPage } from "./run-page";
import { API_STATUSES, RunsPage, type RunsFilter } from "./runs-page";
import { SchedulesPage } from "./schedules-page";
import { TestPage, type TestForm } from "./test-page";

export type DashboardContext = Context<PlatformEnv>;
/** Renders `body` in the page frame (or, for a live refresh, just the body). */
export type RenderPage = (
  c: DashboardContext,
  page: { title: string; current: string; body: Child; live?: boolean; status?: 200 | 400 | 404; flash?: { kind: "error" | "ok"; text: string } },
) => Response | Promise<Response>;
export type DashboardExtension = { nav: NavItem[]; routes: (app: Hono<PlatformEnv>, render: RenderPage) => void };

const PAGE_SIZE = 50;

/** An action the platform's API refused: its message is shown on the page. */
class ActionRefused extends Error {}

export function dashboardRoutes(extension?: DashboardExtension): Hono<PlatformEnv> {
  const nav = [...PLATFORM_NAV, ...(extension?.nav ?? [])];
  const app = new Hono<PlatformEnv>();

  // The dashboard shows the default project's dev environment, as `trigger.dev dev` for it would. (Only on
  // its own paths: a "*" here would reach the API's routes once mounted.)
  for (const path of ["/runs", "/runs/*", "/test", "/schedules", "/schedules/*"]) {
    app.use(path, async (c, next) => {
      const { platform } = c.var;
      c.set("env", await ensureProjectEnvironment(platform.db, platform.options.defaultProjectRef, platform.options));
      await next();
    });
  }

  const render: RenderPage = (c, page) => {
    if (c.req.header("x-dashboard-fragment") === "main") return c.html(<>{page.body}</>);
    const text = c.req.query("flash");
    const flash = page.flash ?? (text ? { kind: c.req.query("kind") === "error" ? ("error" as const) : ("ok" as const), text } : undefined);
    return c.html(
      <PageShell title={page.title} nav={nav} current={page.current} flash={flash} live={page.live ?? false}>
        {page.body}
      </PageShell>,
      page.status ?? 200,
    );
  };

  /** Calls the platform's API as the environment's backend would; a refusal becomes an ActionRefused. */
  async function callApi(c: DashboardContext, method: "POST" | "PUT", path: string, body?: unknown): Promise<Record<string, unknown>> {
    const { platform, env } = c.var;
    const response = await platform.api(path, {
      method,
      headers: { authorization: `Bearer ${apiKeyFor(env.projectRef, platform.options)}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok) throw new ActionRefused(typeof json.error === "string" ? json.error : `The platform answered ${response.status}`);
    return json;
  }

  /** Runs an action and redirects to `back` with its outcome as the flash message. */
  async function act(c: DashboardContext, back: string, action: () => Promise<string | { redirect: string; flash: string }>) {
    try {
      const outcome = await action();
      const target = typeof outcome === "string" ? back : outcome.redirect;
      return c.redirect(withQuery(target, { flash: typeof outcome === "string" ? outcome : outcome.flash }), 303);
    } catch (error) {
      if (!(error instanceof ActionRefused)) throw error;
      return c.redirect(withQuery(back, { flash: error.message, kind: "error" }), 303);
    }
  }

  const formText = async (c: DashboardContext, name: string) => {
    const value = (await c.req.parseBody())[name];
    return typeof value === "string" ? value : "";
  };
  const parseJson = (text: string, field: string): unknown => {
    try {
      return text.trim() === "" ? null : JSON.parse(text);
    } catch (error) {
      throw new ActionRefused(`${field}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
  };
  const taskIds = async (c: DashboardContext) => [...((await currentWorker(c.var.platform, c.var.env.id))?.tasks.keys() ?? [])].sort();

  app.get("/", (c) => c.redirect("/runs"));
  app.get("/dashboard/client.js", (c) => c.body(DASHBOARD_CLIENT_JS, 200, { "content-type": "text/javascript; charset=utf-8" }));
  app.get("/dashboard/live", (c) =>
    streamSSE(c, async (stream) => {
      // At most one "change" every 300 ms, however busy the platform is.
      let due: NodeJS.Timeout | undefined;
      const off = c.var.platform.notifier.onChange(() => {
        due ??= setTimeout(() => {
          due = undefined;
          void stream.writeSSE({ event: "change", data: String(Date.now()) });
        }, 300);
      });
      await new Promise<void>((resolve) => stream.onAbort(resolve));
      off();
      clearTimeout(due);
    }),
  );

  app.get("/runs", async (c) => {
    const q = c.req.query();
    const filter: RunsFilter = { task: q.task || undefined, status: q.status || undefined, tag: q.tag || undefined, from: q.from || undefined, to: q.to || undefined };
    const status = filter.status && API_STATUSES.includes(filter.status as ApiStatus) ? [filter.status as ApiStatus] : undefined;
    const date = (text: string | undefined) => (text && !Number.isNaN(new Date(text).getTime()) ? new Date(text) : undefined);
    const from = date(filter.from);
    const to = date(filter.to);
    const page = await listRuns(c.var.platform, c.var.env, {
      limit: PAGE_SIZE,
      ...(status ? { status } : {}),
      ...(filter.task ? { taskIdentifier: [filter.task] } : {}),
      ...(filter.tag ? { tag: [filter.tag] } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      ...(q.after ? { after: q.after } : {}),
      ...(q.before ? { before: q.before } : {}),
    });
    return render(c, { title: "Runs", current: "/runs", live: !q.after && !q.before, body: <RunsPage page={page} filter={filter} tasks={await taskIds(c)} /> });
  });

  app.get("/runs/:run", async (c) => {
    const run = await findRun(c.var.platform, c.var.env, c.req.param("run"));
    if (!run) return render(c, { title: "Run not found", current: "/runs", status: 404, body: <p class="muted">No run {c.req.param("run")} in this environment.</p> });
    const details = await loadRunDetails(c.var.platform, run);
    return render(c, { title: `${run.taskIdentifier} ${run.friendlyId}`, current: "/runs", live: true, body: <RunPage details={details} /> });
  });

  const runAction = (name: string, action: (c: DashboardContext, runId: string) => Promise<string | { redirect: string; flash: string }>) =>
    app.post(`/runs/:run/${name}`, async (c) => {
      const runId = c.req.param("run");
      return act(c, `/runs/${runId}`, () => action(c, runId));
    });
  runAction("cancel", async (c, id) => {
    await callApi(c, "POST", `/api/v2/runs/${id}/cancel`);
    return "Run cancelled";
  });
  runAction("replay", async (c, id) => {
    const payload = parseJson(await formText(c, "payload"), "payload");
    const replay = await callApi(c, "POST", `/api/v1/runs/${id}/replay`, { payload });
    return { redirect: `/runs/${String(replay.id)}`, flash: `Replay of ${id}` };
  });
  runAction("reschedule", async (c, id) => {
    const delay = (await formText(c, "delay")).trim();
    if (!delay) throw new ActionRefused("delay: give a duration like 30s or 10m, or a date");
    await callApi(c, "POST", `/api/v1/runs/${id}/reschedule`, { delay });
    return `Rescheduled (${delay})`;
  });
  runAction("reset-idempotency-key", async (c, id) => {
    const run = await findRun(c.var.platform, c.var.env, id);
    if (!run?.idempotencyKey) throw new ActionRefused("This run holds no idempotency key");
    await callApi(c, "POST", `/api/v1/idempotencyKeys/${encodeURIComponent(run.idempotencyKey)}/reset`, { taskIdentifier: run.taskIdentifier });
    return "Idempotency key reset: the next trigger with it starts a new run";
  });
  app.post("/runs/:run/complete-token/:token", async (c) =>
    act(c, `/runs/${c.req.param("run")}`, async () => {
      const data = parseJson(await formText(c, "output"), "output");
      await callApi(c, "POST", `/api/v1/waitpoints/tokens/${c.req.param("token")}/complete`, { data });
      return `Token ${c.req.param("token")} completed`;
    }),
  );

  const testPage = async (c: DashboardContext, form: TestForm, status: 200 | 400 = 200, error?: string) =>
    render(c, { title: "Test", current: "/test", status, ...(error ? { flash: { kind: "error" as const, text: error } } : {}), body: <TestPage tasks={await taskIds(c)} templates={c.var.platform.options.testPayloads?.() ?? {}} form={form} /> });
  app.get("/test", (c) => testPage(c, { task: c.req.query("task") }));
  app.post("/test", async (c) => {
    const body = await c.req.parseBody();
    const field = (name: keyof TestForm) => (typeof body[name] === "string" ? (body[name] as string) : "");
    const form: TestForm = { task: field("task"), payload: field("payload"), delay: field("delay"), tags: field("tags"), idempotencyKey: field("idempotencyKey") };
    try {
      if (!form.task) throw new ActionRefused("task: pick a task");
      const payload = parseJson(form.payload ?? "", "payload");
      const tags = (form.tags ?? "").split(",").map((t) => t.trim()).filter(Boolean);
      const options = {
        test: true,
        ...(form.delay?.trim() ? { delay: form.delay.trim() } : {}),
        ...(tags.length ? { tags } : {}),
        ...(form.idempotencyKey?.trim() ? { idempotencyKey: form.idempotencyKey.trim() } : {}),
      };
      const run = await callApi(c, "POST", `/api/v1/tasks/${encodeURIComponent(form.task)}/trigger`, { payload, options });
      return c.redirect(withQuery(`/runs/${String(run.id)}`, { flash: run.isCached ? "Cached: the idempotency key already has this run" : "Test run triggered" }), 303);
    } catch (error) {
      if (!(error instanceof ActionRefused)) throw error;
      // Shown on the form itself, with what was typed kept.
      return testPage(c, form, 400, error.message);
    }
  });

  app.get("/schedules", async (c) => {
    const { db } = c.var.platform;
    const rows = await db.select().from(schedules).where(eq(schedules.environmentId, c.var.env.id)).orderBy(schedules.taskIdentifier, schedules.createdAt);
    const recent = rows.length
      ? await db
          .select({ friendlyId: runs.friendlyId, scheduleId: runs.scheduleId, status: runs.status, delayUntil: runs.delayUntil, createdAt: runs.createdAt })
          .from(runs)
          .where(and(eq(runs.environmentId, c.var.env.id), inArray(runs.scheduleId, rows.map((r) => r.id))))
          .orderBy(desc(runs.createdAt))
          .limit(rows.length * 20)
      : [];
    const withRuns = rows.map((schedule) => ({
      schedule,
      lastRuns: recent
        .filter((r) => r.scheduleId === schedule.id)
        .slice(0, 5)
        .map((r) => ({ friendlyId: r.friendlyId, apiStatus: apiStatus(r), createdAt: r.createdAt })),
    }));
    return render(c, { title: "Schedules", current: "/schedules", live: true, body: <SchedulesPage rows={withRuns} /> });
  });
  for (const action of ["fire", "activate", "deactivate"] as const) {
    app.post(`/schedules/:schedule/${action}`, async (c) =>
      act(c, "/schedules", async () => {
        const result = await callApi(c, "POST", `/api/v1/schedules/${c.req.param("schedule")}/${action}`);
        return action === "fire" ? { redirect: `/runs/${String(result.id)}`, flash: "Schedule fired now" } : `Schedule ${action}d`;
      }),
    );
  }

  extension?.routes(app, render);
  return app;
}
