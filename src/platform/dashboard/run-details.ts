// Everything the run page shows, read from the same tables the API answers from: the run as runs.retrieve
// sees it, its snapshots (the timeline), attempts, spans and log lines, waitpoints, and the tree of runs
// under its root.
import { and, asc, eq, or } from "drizzle-orm";
import { attempts, runEvents, runs, runWaitpoints, snapshots, waitpoints, type Run } from "../../../db/schema";
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
    ctx.db
      .select({ id: runs.id, friendlyId: runs.friendlyId, parentRunId: runs.parentRunId, taskIdentifier: runs.taskIdentifier, status: runs.status, delayUntil: runs.delayUntil, createdAt: runs.createdAt })
      .from(runs)
      .where(and(eq(runs.environmentId, run.environmentId), or(eq(runs.id, rootId), eq(runs.rootRunId, rootId))))
      .orderBy(asc(runs.createdAt))
      .limit(TREE_LIMIT),
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
    tree: buildTree(family.map((r) => ({ ...r, apiStatus: apiStatus(r) })), rootId),
  };
}

export type RunDetails = Awaited<ReturnType<typeof loadRunDetails>>;
export type TreeNode = { id: string; friendlyId: string; taskIdentifier: string; apiStatus: string; children: TreeNode[] };

function buildTree(rows: { id: string; friendlyId: string; parentRunId: string | null; taskIdentifier: string; apiStatus: string }[], rootId: string): TreeNode | undefined {
  const nodes = new Map(rows.map((r) => [r.id, { id: r.id, friendlyId: r.friendlyId, taskIdentifier: r.taskIdentifier, apiStatus: r.apiStatus, children: [] as TreeNode[] }]));
  for (const r of rows) if (r.parentRunId) nodes.get(r.parentRunId)?.children.push(nodes.get(r.id)!);
  return nodes.get(rootId);
}
