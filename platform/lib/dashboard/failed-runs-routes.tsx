/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The Failed page and bulk actions' progress, as routes of a project's pages. Replays and aborts go through
// the platform's bulk-actions API in-process (callApi), so they meet the same rules and errors as
// runs.bulk.replay and runs.bulk.abort; the pages read the tables.
import { desc, eq } from "drizzle-orm";
import type { Hono } from "hono";
import { z } from "zod";
import type { PlatformEnv } from "../api/http-context";
import { bulkActionObject } from "../api/bulk-actions-api";
import { bulkActions } from "../db/schema";
import { findBulkAction, MAX_BULK_ACTION_RUN_IDS } from "../engine/bulk-actions";
import { currentWorker } from "../engine/workers";
import { describeIssues } from "../platform-error";
import type { ProjectPageTools } from "./dashboard-routes";
import { BulkActionsPage, OUTCOMES_SHOWN, type BulkActionView } from "./bulk-actions-page";
import {
  bulkActionOutcomes,
  failedRunGroups,
  failedRunsPage,
  FailedRunsFilter,
  MAX_GROUP_REPLAY,
  notDeadLetters,
  replayAllRequests,
  TooManyToReplay,
  type ReplayRequest,
} from "./failed-runs";
import { FailedRunsPage } from "./failed-runs-page";
import { withQuery } from "./page-shell";

/** Bulk actions one page shows (latest first, when none is named). */
const LATEST_SHOWN = 10;

const RunId = z.string().regex(/^run_[a-z0-9]+$/, "must be run ids like run_abc123");
const PageCursor = z.object({ after: RunId.optional().catch(undefined), before: RunId.optional().catch(undefined) });
const ReplayForm = z.discriminatedUnion(
  "scope",
  [
    z.object({
      scope: z.literal("selected"),
      run: z.preprocess(
        (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]),
        z.array(RunId).min(1, "pick at least one run").max(MAX_BULK_ACTION_RUN_IDS, `pick at most ${MAX_BULK_ACTION_RUN_IDS} runs`),
      ),
    }),
    z.object({ scope: z.literal("all") }),
  ],
  { error: "must be selected or all" },
);
const BulkActionId = z
  .string()
  .max(100)
  .regex(/^bulk_[a-z0-9]+$/, "must be a bulk action id like bulk_abc123");
/** As many as one "replay all" of an error group makes. */
const BulkActionIds = z.array(BulkActionId).max(Math.ceil(MAX_GROUP_REPLAY / MAX_BULK_ACTION_RUN_IDS));
const AbortPath = z.object({ bulkAction: BulkActionId });

const bulkActionsUrl = (base: string, ids: string[]) => `${base}?${new URLSearchParams(ids.map((id) => ["id", id]))}`;

export function failedRunsRoutes(app: Hono<PlatformEnv>, { render, shown, callApi, act }: ProjectPageTools): void {
  app.get("/failed", async (c) => {
    const project = shown(c);
    const parsed = FailedRunsFilter.safeParse(c.req.query());
    const filter = parsed.success ? parsed.data : {};
    const [{ groups, total }, opened, worker] = await Promise.all([
      failedRunGroups(c.var.platform, c.var.env, filter),
      filter.group ? failedRunsPage(c.var.platform, c.var.env, filter, PageCursor.parse(c.req.query())) : Promise.resolve(undefined),
      currentWorker(c.var.platform, c.var.env.id),
    ]);
    return render(c, {
      title: "Failed runs",
      current: project.paths.failed,
      project,
      ...(parsed.success ? {} : { status: 400 as const, flash: { kind: "error" as const, text: describeIssues(parsed.error) } }),
      body: (
        <FailedRunsPage
          filter={filter}
          groups={groups}
          total={total}
          opened={opened}
          tasks={[...(worker?.tasks.keys() ?? [])].sort()}
          paths={project.paths}
        />
      ),
    });
  });

  app.post("/failed/replay", async (c) => {
    const { paths } = shown(c);
    const form = await c.req.parseBody({ all: true });
    const filter = FailedRunsFilter.safeParse(form);
    const replay = ReplayForm.safeParse(form);
    const back = withQuery(paths.failed, filter.success ? filter.data : {});
    // Refused before anything is asked of the API: nothing is replayed.
    if (!filter.success || !replay.success) {
      const issues = filter.error ?? replay.error;
      return c.redirect(withQuery(back, { flash: issues ? describeIssues(issues, "form") : "", kind: "error" }), 303);
    }
    if (replay.data.scope === "selected") {
      const refused = await notDeadLetters(c.var.platform, c.var.env, replay.data.run);
      if (refused.length)
        return c.redirect(
          withQuery(back, { flash: `run: not a failed run of this environment: ${refused.join(", ")}`, kind: "error" }),
          303,
        );
    }
    let requests: ReplayRequest[];
    try {
      requests =
        replay.data.scope === "selected"
          ? [{ action: "replay", name: `Replay ${replay.data.run.length} failed runs`, runIds: replay.data.run }]
          : await replayAllRequests(c.var.platform, c.var.env, filter.data);
    } catch (error) {
      if (!(error instanceof TooManyToReplay)) throw error;
      return c.redirect(withQuery(back, { flash: error.message, kind: "error" }), 303);
    }
    return act(c, back, async () => {
      const ids: string[] = [];
      for (const request of requests) ids.push(String((await callApi(c, "POST", "/api/v1/bulk-actions", request)).id));
      return { redirect: bulkActionsUrl(paths.bulkActions, ids), flash: `Bulk replay started: ${ids.join(", ")}` };
    });
  });

  app.get("/bulk-actions", async (c) => {
    const project = shown(c);
    const { db } = c.var.platform;
    const named = BulkActionIds.safeParse(c.req.queries("id") ?? []);
    const ids = named.success ? named.data : [];
    const found = ids.length
      ? await Promise.all(ids.map((id) => findBulkAction(db, c.var.env, id)))
      : await db
          .select()
          .from(bulkActions)
          .where(eq(bulkActions.environmentId, c.var.env.id))
          .orderBy(desc(bulkActions.createdAt), desc(bulkActions.id))
          .limit(LATEST_SHOWN);
    const views: BulkActionView[] = await Promise.all(
      found.flatMap((action) =>
        action
          ? [
              bulkActionOutcomes(c.var.platform, action, OUTCOMES_SHOWN).then((outcomes) => ({
                action: bulkActionObject(action),
                outcomes,
              })),
            ]
          : [],
      ),
    );
    return render(c, {
      title: "Bulk actions",
      current: project.paths.bulkActions,
      project,
      live: true,
      ...(named.success ? {} : { status: 400 as const, flash: { kind: "error" as const, text: describeIssues(named.error, "id") } }),
      body: <BulkActionsPage views={views} missing={ids.filter((_, n) => !found[n])} paths={project.paths} />,
    });
  });

  app.post("/bulk-actions/:bulkAction/abort", async (c) => {
    const { paths } = shown(c);
    const parsed = AbortPath.safeParse(c.req.param());
    if (!parsed.success)
      return c.redirect(withQuery(paths.bulkActions, { flash: describeIssues(parsed.error, "bulkAction"), kind: "error" }), 303);
    const id = parsed.data.bulkAction;
    return act(c, bulkActionsUrl(paths.bulkActions, [id]), async () => {
      await callApi(c, "POST", `/api/v1/bulk-actions/${encodeURIComponent(id)}/abort`);
      return `Bulk action ${id} aborted`;
    });
  });
}
