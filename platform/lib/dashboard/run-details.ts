// Everything the run page shows, read from the same tables the API answers from: the run as runs.retrieve
// sees it, its snapshots (the timeline), attempts, spans and log lines, waitpoints, and the tree of runs
// under its root.
import { asc, eq, sql } from "drizzle-orm";
import { attempts, runEvents, runWaitpoints, snapshots, waitpoints, type Run } from "../db/schema";
import { readMetadata } from "../engine/run-metadata";
import type { PlatformContext } from "../platform-context";
import { apiStatus, retrieveRunView } from "../run-view";

const TREE_LIMIT = 200;

export async function loadRunDetails(ctx: PlatformContext, run: Run) {
  const rootId = run.rootRunId ?? run.id;
  const [view, timeline, attemptRows, events, waits, family] = await Promise.all([
    retrieveRunView(ctx, run),
    ctx.db.select().from(snapshots).where(eq(snapshots.runId, run.id)).orderBy(asc(snapshots.seq)),
    ctx.db.select().from(attempts).where(eq(attempts.runId, run.id)).orderBy(asc(attempts.number)),
    ctx.db.select().from(runEvents).where(eq(runEvents.runId, run.id)).orderBy(asc(runEvents.startTime), asc(runEvents.id)).limit(2_000),
    ctx.db
      .select({ link: runWaitpoints, waitpoint: waitpoints })
      .from(runWaitpoints)
      .innerJoin(waitpoints, eq(waitpoints.id, runWaitpoints.waitpointId))
      .where(eq(runWaitpoints.runId, run.id))
      .orderBy(asc(runWaitpoints.createdAt)),
    // Down from the root along parent_run_id (indexed), so a big store does not make this slow.
    ctx.db.execute<{
      id: string;
      friendly_id: string;
      parent_run_id: string | null;
      task_identifier: string;
      status: string;
      delay_until: string | null;
    }>(sql`
      WITH RECURSIVE tree AS (
        SELECT id, friendly_id, parent_run_id, task_identifier, status, delay_until, created_at, 0 AS level FROM trigger_platform.runs WHERE id = ${rootId}
        UNION ALL
        SELECT r.id, r.friendly_id, r.parent_run_id, r.task_identifier, r.status, r.delay_until, r.created_at, tree.level + 1
          FROM trigger_platform.runs r JOIN tree ON r.parent_run_id = tree.id
         WHERE tree.level < 10)
      SELECT * FROM tree ORDER BY created_at LIMIT ${TREE_LIMIT}`),
  ]);
  return {
    run,
    view,
    metadata: readMetadata(run),
    timeline,
    attempts: attemptRows,
    spans: events.filter((e) => e.kind === "span"),
    logs: events.filter((e) => e.kind === "log"),
    waitpoints: waits,
    tree: buildTree(
      family.map((r) => ({
        id: r.id,
        friendlyId: r.friendly_id,
        parentRunId: r.parent_run_id,
        taskIdentifier: r.task_identifier,
        apiStatus: apiStatus({ status: r.status, delayUntil: r.delay_until ? new Date(r.delay_until) : null }),
      })),
      rootId,
    ),
  };
}

export type RunDetails = Awaited<ReturnType<typeof loadRunDetails>>;
export type TreeNode = { id: string; friendlyId: string; taskIdentifier: string; apiStatus: string; children: TreeNode[] };

function buildTree(
  rows: { id: string; friendlyId: string; parentRunId: string | null; taskIdentifier: string; apiStatus: string }[],
  rootId: string,
): TreeNode | undefined {
  const nodes = new Map(
    rows.map((r) => [
      r.id,
      { id: r.id, friendlyId: r.friendlyId, taskIdentifier: r.taskIdentifier, apiStatus: r.apiStatus, children: [] as TreeNode[] },
    ]),
  );
  for (const r of rows) if (r.parentRunId) nodes.get(r.parentRunId)?.children.push(nodes.get(r.id)!);
  return nodes.get(rootId);
}
