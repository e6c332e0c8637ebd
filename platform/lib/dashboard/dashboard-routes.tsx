/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The dashboard at the platform's root URL: server-rendered pages over the same tables the API answers
// from, and actions that go through the platform's own API in-process (the same validation and errors as
// the SDK gets). Every project has its pages at Trigger.dev's own URLs (/projects/v3/<ref>/runs, …, what the
// CLI prints); the default project's also answer on the short paths (/runs, …). Pages for things outside
// the platform (the orders of this project) plug in through a DashboardExtension, so the platform itself
// knows nothing of them.
import { and, desc, eq, inArray } from "drizzle-orm";
import { Hono, type Context } from "hono";
import type { Child } from "hono/jsx";
import { secureHeaders } from "hono/secure-headers";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { environments, projects, runs, schedules } from "../db/schema";
import type { PlatformEnv } from "../api/http-context";
import { currentWorker } from "../engine/workers";
import { ensureProjectEnvironment, findProjectEnvironment, type ProjectEnvironment } from "../environments";
import { apiStatus, findRun, listRuns, type ApiStatus } from "../run-view";
import { ApiKeysPage } from "./api-keys-page";
import { DASHBOARD_CLIENT_JS } from "./dashboard-client";
import { CsrfToken, dashboardSecrets, requireDashboardSession } from "./dashboard-session";
import { PageShell, platformNav, PROJECTS_NAV, withQuery, type NavItem, type ProjectSwitch } from "./page-shell";
import { PROJECT_SECTIONS, pathsOfProject, projectUrl, sectionOf, SHORT_PATHS, type ProjectPaths } from "./project-paths";
import { loadProjectsOverview, ProjectsPage } from "./projects-page";
import { loadRunDetails } from "./run-details";
import { RunPage } from "./run-page";
import { API_STATUSES, RunsPage, type RunsFilter } from "./runs-page";
import { SchedulesPage } from "./schedules-page";
import { operationsRoutes } from "./operations-routes";
import { TestPage, type TestForm } from "./test-page";
import { failedRunsRoutes } from "./failed-runs-routes";

export type DashboardContext = Context<PlatformEnv>;

/** Live pages open at once (server-sent event streams), across every tab and client. */
const MAX_LIVE_STREAMS = 32;
/** A project's environment as a page shows it, and where that project's pages are. */
export type ShownProject = { env: ProjectEnvironment; paths: ProjectPaths };
/** Renders `body` in the page frame (or, for a live refresh, just the body). */
export type RenderPage = (
  c: DashboardContext,
  page: {
    title: string;
    current: string;
    body: Child;
    live?: boolean;
    status?: 200 | 400 | 404;
    flash?: { kind: "error" | "ok"; text: string };
    /** Left out: the default project at its short paths (an extension's pages are the default project's). null: no project (the projects list). */
    project?: ShownProject | null;
  },
) => Response | Promise<Response>;
/** What a group of project pages gets from the dashboard to render and to act through the API. */
export type ProjectPageTools = {
  render: RenderPage;
  shown: (c: DashboardContext) => ShownProject;
  callApi: (c: DashboardContext, method: "POST" | "PUT", path: string, body?: unknown) => Promise<Record<string, unknown>>;
  act: (c: DashboardContext, back: string, action: () => Promise<string | { redirect: string; flash: string }>) => Promise<Response>;
};

export type DashboardExtension = { nav: NavItem[]; routes: (app: Hono<PlatformEnv>, render: RenderPage) => void };

const PAGE_SIZE = 50;

/** The project pages' own paths; the environment is set on these only (a "*" would reach the API's routes once mounted). */
const PROJECT_PAGE_PATHS = [
  "/runs",
  "/runs/*",
  "/test",
  "/schedules",
  "/schedules/*",
  "/apikeys",
  "/run-metrics",
  "/queues",
  "/queues/*",
  "/failed",
  "/failed/*",
  "/bulk-actions",
  "/bulk-actions/*",
];

/** Trigger.dev's links name the environment: ?envSlug=dev on runs (the CLI's "View runs"), ?environment=dev on test. */
const EnvironmentQuery = z.object({
  envSlug: z.string().trim().min(1).optional().catch(undefined),
  environment: z.string().trim().min(1).optional().catch(undefined),
});
const SwitchQuery = z.object({ ref: z.string().trim().min(1), section: z.enum(PROJECT_SECTIONS).catch("runs") });

/** An action the platform's API refused: its message is shown on the page. */
class ActionRefused extends Error {}

/** Calls the platform's API as the shown environment's backend would; a refusal becomes an ActionRefused. */
async function callApi(c: DashboardContext, method: "POST" | "PUT", path: string, body?: unknown): Promise<Record<string, unknown>> {
  const { platform, env } = c.var;
  const response = await platform.api(path, {
    method,
    headers: { authorization: `Bearer ${env.apiKey}`, "content-type": "application/json" },
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
const describeEnvironment = (env: ProjectEnvironment) => `${env.projectRef} (${env.slug})`;

export function dashboardRoutes(extension?: DashboardExtension): Hono<PlatformEnv> {
  const app = new Hono<PlatformEnv>();

  const render: RenderPage = async (c, page) => {
    const { csrf } = dashboardSecrets(c.var.platform.options.dashboardToken);
    if (c.req.header("x-dashboard-fragment") === "main") return c.html(<CsrfToken.Provider value={csrf}>{page.body}</CsrfToken.Provider>);
    const { platform } = c.var;
    const text = c.req.query("flash");
    const flash = page.flash ?? (text ? { kind: c.req.query("kind") === "error" ? ("error" as const) : ("ok" as const), text } : undefined);
    const shown =
      page.project === undefined
        ? { env: await ensureProjectEnvironment(platform.db, platform.options.defaultProjectRef, platform.options), paths: SHORT_PATHS }
        : page.project;
    const project: ProjectSwitch = {
      shown: shown ? { ref: shown.env.projectRef, name: shown.env.projectName } : undefined,
      choices: await platform.db
        .select({ ref: projects.ref, name: projects.name })
        .from(projects)
        .orderBy(projects.createdAt, projects.ref),
      section: shown ? sectionOf(shown.paths, page.current) : "runs",
    };
    const nav = [PROJECTS_NAV, ...(shown ? platformNav(shown.paths) : []), ...(extension?.nav ?? [])];
    return c.html(
      <CsrfToken.Provider value={csrf}>
        <PageShell title={page.title} nav={nav} current={page.current} flash={flash} live={page.live ?? false} project={project}>
          {page.body}
        </PageShell>
      </CsrfToken.Provider>,
      page.status ?? 200,
    );
  };

  // Pages carry no inline script and load nothing from elsewhere: were a payload ever to become markup, it
  // could neither run nor call out. (The inline stylesheet is ours.)
  app.use(
    "*",
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'unsafe-inline'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        frameSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'self'"],
        baseUri: ["'none'"],
      },
      crossOriginResourcePolicy: "same-origin",
      // Not no-referrer: under it a browser sends "Origin: null" with a form POST, which the Origin check refuses.
      referrerPolicy: "same-origin",
      // A route's own, stricter headers stand (the mail catcher's HTML part is served under a sandbox CSP).
      overwrite: false,
    }),
  );
  app.get("/dashboard/client.js", (c) => c.body(DASHBOARD_CLIENT_JS, 200, { "content-type": "text/javascript; charset=utf-8" }));
  app.use("*", requireDashboardSession());
  app.get("/", (c) => c.redirect("/runs"));
  const liveStreams = new Set<() => void>();
  app.get("/dashboard/live", (c) =>
    streamSSE(c, async (stream) => {
      // A bounded number of open pages: past it, the oldest stream ends (its page reconnects when looked at).
      if (liveStreams.size >= MAX_LIVE_STREAMS) liveStreams.values().next().value?.();
      let end!: () => void;
      const ended = new Promise<void>((resolve) => (end = resolve));
      liveStreams.add(end);
      stream.onAbort(end);
      // At most one "change" every 300 ms, however busy the platform is.
      let due: NodeJS.Timeout | undefined;
      const off = c.var.platform.notifier.onChange(() => {
        due ??= setTimeout(() => {
          due = undefined;
          void stream.writeSSE({ event: "change", data: String(Date.now()) });
        }, 300);
      });
      await ended;
      liveStreams.delete(end);
      off();
      clearTimeout(due);
    }),
  );

  app.get("/projects", async (c) => {
    const { platform } = c.var;
    const overview = await loadProjectsOverview(platform.db);
    return render(c, {
      title: "Projects",
      current: PROJECTS_NAV.href,
      project: null,
      live: true,
      body: (
        <ProjectsPage
          projects={overview}
          defaultRef={platform.options.defaultProjectRef}
          origin={platform.origin}
          accessToken={platform.options.accessToken ?? ""}
        />
      ),
    });
  });
  // The frame's project switcher: a plain GET form, so it works without a script.
  app.get("/projects/switch", (c) => {
    const chosen = SwitchQuery.safeParse(c.req.query());
    return c.redirect(chosen.success ? `${projectUrl(chosen.data.ref)}/${chosen.data.section}` : PROJECTS_NAV.href);
  });
  // The project's own link (`trigger.dev init` prints it) opens its runs.
  app.get("/projects/v3/:ref", (c) => c.redirect(pathsOfProject(c.req.param("ref")).runs));

  // The default project's pages at the short paths, as before the dashboard knew other projects.
  app.route(
    "/",
    projectPages(render, {
      environment: (c) => ensureProjectEnvironment(c.var.platform.db, c.var.platform.options.defaultProjectRef, c.var.platform.options),
      paths: () => SHORT_PATHS,
    }),
  );
  // Any project's pages at Trigger.dev's URLs. A page never creates a project: an unknown one is a 404 page.
  app.route(
    "/projects/v3/:ref",
    projectPages(render, {
      async environment(c) {
        const ref = c.req.param("ref") ?? "";
        const query = EnvironmentQuery.parse(c.req.query());
        const slug = query.envSlug ?? query.environment ?? "dev";
        const env = await findProjectEnvironment(c.var.platform.db, ref, slug);
        if (env) return env;
        const known = await c.var.platform.db
          .select({ slug: environments.slug })
          .from(environments)
          .where(eq(environments.projectRef, ref));
        return render(c, {
          title: "Project not found",
          current: "",
          status: 404,
          project: null,
          body: (
            <>
              <h1>{known.length ? `No environment ${slug} in project ${ref}` : `No project ${ref}`}</h1>
              <p class="muted">
                {known.length
                  ? `Its environments: ${known.map((e) => e.slug).join(", ")}.`
                  : "A project appears once its CLI (trigger.dev dev) or an API call names it."}{" "}
                See <a href={PROJECTS_NAV.href}>all projects</a>.
              </p>
            </>
          ),
        });
      },
      paths: (env) => pathsOfProject(env.projectRef),
    }),
  );

  extension?.routes(app, render);
  return app;
}

type ProjectScope = {
  /** The environment a request shows, or the page answered instead (no such project). */
  environment: (c: DashboardContext) => Promise<ProjectEnvironment | Response>;
  paths: (env: ProjectEnvironment) => ProjectPaths;
};

/** One project's pages (runs, a run, test, schedules, API keys) and their actions, relative to where they are mounted. */
function projectPages(render: RenderPage, scope: ProjectScope): Hono<PlatformEnv> {
  const app = new Hono<PlatformEnv>();
  for (const path of PROJECT_PAGE_PATHS) {
    app.use(path, async (c, next) => {
      const env = await scope.environment(c);
      if (env instanceof Response) return env;
      c.set("env", env);
      await next();
    });
  }
  const shown = (c: DashboardContext): ShownProject => ({ env: c.var.env, paths: scope.paths(c.var.env) });
  failedRunsRoutes(app, { render, shown, callApi, act });
  operationsRoutes(app, { render, shown, callApi, act });

  app.get("/runs", async (c) => {
    const q = c.req.query();
    const project = shown(c);
    const filter: RunsFilter = {
      task: q.task || undefined,
      status: q.status || undefined,
      tag: q.tag || undefined,
      from: q.from || undefined,
      to: q.to || undefined,
    };
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
    return render(c, {
      title: "Runs",
      current: project.paths.runs,
      project,
      live: !q.after && !q.before,
      body: <RunsPage page={page} filter={filter} tasks={await taskIds(c)} paths={project.paths} />,
    });
  });

  app.get("/runs/:run", async (c) => {
    const project = shown(c);
    const runId = c.req.param("run");
    const run = await findRun(c.var.platform, c.var.env, runId);
    if (!run) {
      // A link to the run's own project, if it is another's (a link copied from another project's page).
      const [owner] = await c.var.platform.db
        .select({ projectRef: environments.projectRef })
        .from(runs)
        .innerJoin(environments, eq(environments.id, runs.environmentId))
        .where(eq(runs.friendlyId, runId));
      return render(c, {
        title: "Run not found",
        current: project.paths.runs,
        project,
        status: 404,
        body: (
          <>
            <h1>Run not found</h1>
            <p class="muted">
              No run {runId} in {describeEnvironment(c.var.env)}.
              {owner ? (
                <>
                  {" "}
                  It belongs to project <a href={pathsOfProject(owner.projectRef).run(runId)}>{owner.projectRef}</a>.
                </>
              ) : null}
            </p>
          </>
        ),
      });
    }
    const details = await loadRunDetails(c.var.platform, run);
    return render(c, {
      title: `${run.taskIdentifier} ${run.friendlyId}`,
      current: project.paths.runs,
      project,
      live: true,
      body: <RunPage details={details} paths={project.paths} />,
    });
  });

  const runAction = (
    name: string,
    action: (c: DashboardContext, runId: string, paths: ProjectPaths) => Promise<string | { redirect: string; flash: string }>,
  ) =>
    app.post(`/runs/:run/${name}`, async (c) => {
      const runId = c.req.param("run");
      const { paths } = shown(c);
      return act(c, paths.run(runId), () => action(c, runId, paths));
    });
  runAction("cancel", async (c, id) => {
    await callApi(c, "POST", `/api/v2/runs/${id}/cancel`);
    return "Run cancelled";
  });
  runAction("replay", async (c, id, paths) => {
    const payload = parseJson(await formText(c, "payload"), "payload");
    const replay = await callApi(c, "POST", `/api/v1/runs/${id}/replay`, { payload });
    return { redirect: paths.run(String(replay.id)), flash: `Replay of ${id}` };
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
    await callApi(c, "POST", `/api/v1/idempotencyKeys/${encodeURIComponent(run.idempotencyKey)}/reset`, {
      taskIdentifier: run.taskIdentifier,
    });
    return "Idempotency key reset: the next trigger with it starts a new run";
  });
  app.post("/runs/:run/complete-token/:token", async (c) =>
    act(c, shown(c).paths.run(c.req.param("run")), async () => {
      const data = parseJson(await formText(c, "output"), "output");
      await callApi(c, "POST", `/api/v1/waitpoints/tokens/${c.req.param("token")}/complete`, { data });
      return `Token ${c.req.param("token")} completed`;
    }),
  );

  const testPage = async (c: DashboardContext, form: TestForm, status: 200 | 400 = 200, error?: string) => {
    const project = shown(c);
    return render(c, {
      title: "Test",
      current: project.paths.test,
      project,
      status,
      ...(error ? { flash: { kind: "error" as const, text: error } } : {}),
      body: (
        <TestPage tasks={await taskIds(c)} templates={c.var.platform.options.testPayloads?.() ?? {}} form={form} paths={project.paths} />
      ),
    });
  };
  app.get("/test", (c) => testPage(c, { task: c.req.query("task") }));
  app.post("/test", async (c) => {
    const body = await c.req.parseBody();
    const field = (name: keyof TestForm) => (typeof body[name] === "string" ? (body[name] as string) : "");
    const form: TestForm = {
      task: field("task"),
      payload: field("payload"),
      delay: field("delay"),
      tags: field("tags"),
      idempotencyKey: field("idempotencyKey"),
    };
    try {
      if (!form.task) throw new ActionRefused("task: pick a task");
      const payload = parseJson(form.payload ?? "", "payload");
      const tags = (form.tags ?? "")
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean);
      const options = {
        test: true,
        ...(form.delay?.trim() ? { delay: form.delay.trim() } : {}),
        ...(tags.length ? { tags } : {}),
        ...(form.idempotencyKey?.trim() ? { idempotencyKey: form.idempotencyKey.trim() } : {}),
      };
      const run = await callApi(c, "POST", `/api/v1/tasks/${encodeURIComponent(form.task)}/trigger`, { payload, options });
      return c.redirect(
        withQuery(shown(c).paths.run(String(run.id)), {
          flash: run.isCached ? "Cached: the idempotency key already has this run" : "Test run triggered",
        }),
        303,
      );
    } catch (error) {
      if (!(error instanceof ActionRefused)) throw error;
      // Shown on the form itself, with what was typed kept.
      return testPage(c, form, 400, error.message);
    }
  });

  app.get("/schedules", async (c) => {
    const { db } = c.var.platform;
    const project = shown(c);
    const rows = await db
      .select()
      .from(schedules)
      .where(eq(schedules.environmentId, c.var.env.id))
      .orderBy(schedules.taskIdentifier, schedules.createdAt);
    const recent = rows.length
      ? await db
          .select({
            friendlyId: runs.friendlyId,
            scheduleId: runs.scheduleId,
            status: runs.status,
            delayUntil: runs.delayUntil,
            createdAt: runs.createdAt,
          })
          .from(runs)
          .where(
            and(
              eq(runs.environmentId, c.var.env.id),
              inArray(
                runs.scheduleId,
                rows.map((r) => r.id),
              ),
            ),
          )
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
    return render(c, {
      title: "Schedules",
      current: project.paths.schedules,
      project,
      live: true,
      body: <SchedulesPage rows={withRuns} paths={project.paths} />,
    });
  });
  for (const action of ["fire", "activate", "deactivate"] as const) {
    app.post(`/schedules/:schedule/${action}`, async (c) => {
      const { paths } = shown(c);
      return act(c, paths.schedules, async () => {
        const result = await callApi(c, "POST", `/api/v1/schedules/${c.req.param("schedule")}/${action}`);
        return action === "fire" ? { redirect: paths.run(String(result.id)), flash: "Schedule fired now" } : `Schedule ${action}d`;
      });
    });
  }

  app.get("/apikeys", async (c) => {
    const { platform, env } = c.var;
    const project = shown(c);
    const envs = await platform.db
      .select()
      .from(environments)
      .where(eq(environments.projectRef, env.projectRef))
      .orderBy(environments.slug);
    return render(c, {
      title: `API keys · ${env.projectRef}`,
      current: project.paths.apiKeys,
      project,
      body: (
        <ApiKeysPage
          projectRef={env.projectRef}
          projectName={env.projectName}
          environments={envs}
          origin={platform.origin}
          accessToken={platform.options.accessToken ?? ""}
        />
      ),
    });
  });

  return app;
}
