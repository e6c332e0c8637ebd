// Bulk actions (runs.bulk.*): cancel or replay every run a runs.list filter or a list of run ids selects, as
// Trigger.dev's BulkActionService does. Creating one fixes its selection (a filter's time range ends when it is
// created, so runs triggered later, its own replays among them, are never taken) and counts it; the timers then
// work through it a chunk at a time, newest run first. A chunk is one transaction: the cancels or replays, a
// bulk_action_runs row per run, the counts and the cursor commit together, so a restart resumes after the last
// committed chunk, and no run is processed twice or skipped. An abort waits for the chunk in hand, so none
// follows it.
import { BulkActionId, parseNaturalLanguageDurationInMs } from "@trigger.dev/core/v3/isomorphic";
import { RunStatus, type CreateBulkActionRequestBody } from "@trigger.dev/core/v3/schemas";
import { and, count, eq, inArray, isNotNull, lte, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Database, Transaction } from "../db/client";
import { bulkActionRuns, bulkActions, runs, type BulkAction, type Run } from "../db/schema";
import { cursorPage, readPageRows, type PageQuery } from "../cursor-pages";
import { describeError } from "../describe-error";
import { environmentById, type ProjectEnvironment } from "../environments";
import { internalId } from "../ids";
import { PlatformError } from "../platform-error";
import { runListConditions } from "../run-view";
import type { EngineContext } from "./engine-context";
import { isCancelPending } from "./finish-run";
import { cancelRunWithin, replayRunWithin } from "./run-actions";
import { noEffects, type Effects } from "./run-notifier";
import { DUE_BATCH, earliest, type DueWork } from "./timers";

export type BulkActionRequest = z.output<typeof CreateBulkActionRequestBody>;
export type BulkActionType = BulkAction["type"];

/** How a bulk action is worked through (Trigger.dev's BULK_ACTION_BATCH_SIZE and BULK_ACTION_BATCH_DELAY_MS). */
export type BulkActionTuning = { chunkSize: number; chunkDelayMs: number };
export const DEFAULT_BULK_ACTION_TUNING: BulkActionTuning = { chunkSize: 100, chunkDelayMs: 200 };

/** Run ids one request may name (Trigger.dev's BULK_ACTION_MAX_RUN_IDS); a filter selects any number. */
export const MAX_BULK_ACTION_RUN_IDS = 500;

/** A chunk that failed as a whole (its transaction rolled back) is tried again after this long. */
const CHUNK_RETRY_MS = 1_000;

const TYPE_OF_ACTION: Record<BulkActionRequest["action"], BulkActionType> = { cancel: "CANCEL", replay: "REPLAY" };

/** Filters of Trigger.dev's request that select by what the local platform does not keep: refused, not ignored
 *  (ignoring one would act on more runs than were asked for). */
const UNSUPPORTED_FILTERS = ["version", "queue", "machine", "region"] as const;

/** The selection as stored: runs.list's filters with a fixed time range, or run ids (internal). */
const Selection = z.object({
  status: z.array(RunStatus).optional(),
  taskIdentifier: z.array(z.string()).optional(),
  tag: z.array(z.string()).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  isTest: z.boolean().optional(),
  batch: z.string().optional(),
  schedule: z.string().optional(),
  bulkAction: z.string().optional(),
  runIds: z.array(z.string()).optional(),
});
type Selection = z.output<typeof Selection>;

const asArray = <T>(value: T | T[] | undefined): T[] | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? value : [value];
const asDate = (value: Date | number | undefined) => (value === undefined ? undefined : new Date(value));

/** The request's runs, fixed as Trigger.dev fixes them (freezeRunListFilters): a period becomes the range
 *  ending now, and a range without an end ends now. Run ids are taken as they are. */
function selectionOf(request: BulkActionRequest, now: Date): Selection {
  if (request.runIds) {
    if (request.runIds.length > MAX_BULK_ACTION_RUN_IDS)
      throw new PlatformError(
        `runIds: at most ${MAX_BULK_ACTION_RUN_IDS} run ids (got ${request.runIds.length}); use a filter to select more runs`,
      );
    return { runIds: request.runIds.map(internalId) };
  }
  const filter = request.filter ?? {};
  for (const name of UNSUPPORTED_FILTERS)
    if (filter[name] !== undefined) throw new PlatformError(`filter.${name}: the local platform cannot select runs by ${name}`);
  let from = asDate(filter.from);
  let to = asDate(filter.to) ?? now;
  if (filter.period) {
    const periodMs = parseNaturalLanguageDurationInMs(filter.period);
    if (periodMs === undefined) throw new PlatformError(`filter.period: "${filter.period}" is not a period like 1h or 7d`);
    from = new Date(now.getTime() - periodMs);
    to = now;
  }
  return {
    status: asArray(filter.status),
    taskIdentifier: asArray(filter.taskIdentifier),
    tag: asArray(filter.tag),
    from,
    to,
    isTest: filter.isTest,
    batch: filter.batch,
    schedule: filter.schedule,
    bulkAction: filter.bulkAction,
  };
}

/** The conditions on `runs` of the runs the action selects: runs.list's own, or the run ids. */
function selectionConditions(environmentId: string, selection: Selection): SQL[] {
  const { runIds, ...filter } = selection;
  const where = runListConditions(environmentId, filter);
  if (runIds) where.push(inArray(runs.id, runIds));
  return where;
}

export async function createBulkAction(ctx: EngineContext, env: ProjectEnvironment, request: BulkActionRequest): Promise<BulkAction> {
  const selection = selectionOf(request, new Date());
  const [counted] = await ctx.db
    .select({ total: count() })
    .from(runs)
    .where(and(...selectionConditions(env.id, selection)));
  const [action] = await ctx.db
    .insert(bulkActions)
    .values({
      ...BulkActionId.generate(),
      environmentId: env.id,
      name: request.name ?? null,
      type: TYPE_OF_ACTION[request.action],
      selection,
      totalCount: counted?.total ?? 0,
      nextChunkAt: sql`now()`,
    })
    .returning();
  ctx.notifier.publish({ ...noEffects(), timers: [new Date()] });
  return action!;
}

export async function findBulkAction(db: Database, env: ProjectEnvironment, friendlyId: string): Promise<BulkAction | undefined> {
  const [action] = await db
    .select()
    .from(bulkActions)
    .where(and(eq(bulkActions.friendlyId, friendlyId), eq(bulkActions.environmentId, env.id)));
  return action;
}

/** The environment's bulk actions, newest first, in keyset pages. */
export async function listBulkActions(db: Database, env: ProjectEnvironment, q: PageQuery) {
  return cursorPage(await readPageRows(db, bulkActions, [eq(bulkActions.environmentId, env.id)], q), q);
}

/** Stops a pending action between chunks: the chunk in hand (which holds the action's row) commits first. */
export async function abortBulkAction(ctx: EngineContext, env: ProjectEnvironment, friendlyId: string): Promise<BulkAction> {
  const aborted = await ctx.db.transaction(async (tx) => {
    const [action] = await tx
      .select()
      .from(bulkActions)
      .where(and(eq(bulkActions.friendlyId, friendlyId), eq(bulkActions.environmentId, env.id)))
      .for("update");
    if (!action) throw new PlatformError(`No bulk action ${friendlyId}`, 404);
    if (action.status !== "PENDING")
      throw new PlatformError(`Bulk action ${friendlyId} has already ${action.status === "COMPLETED" ? "completed" : "been aborted"}`, 409);
    const [updated] = await tx
      .update(bulkActions)
      .set({ status: "ABORTED", nextChunkAt: null, updatedAt: sql`now()` })
      .where(eq(bulkActions.id, action.id))
      .returning();
    return updated!;
  });
  ctx.notifier.publish(noEffects());
  return aborted;
}

type Outcome = { succeeded: boolean; listedRunId: string | null; error: string | null };

/** One run, in a savepoint of the chunk: a run whose action throws is a failure and leaves no trace. As on
 *  Trigger.dev, cancelling a run that had already finished is a failure, and the run is listed all the same. */
async function actOn(ctx: EngineContext, tx: Transaction, effects: Effects, action: BulkAction, env: ProjectEnvironment, run: Run) {
  try {
    return await tx.transaction(async (savepoint): Promise<Outcome> => {
      if (action.type === "CANCEL") {
        const cancelled = await cancelRunWithin(ctx, savepoint, effects, run);
        const why = isCancelPending(run) ? "is already being cancelled" : "had already finished";
        return { succeeded: cancelled, listedRunId: run.id, error: cancelled ? null : `Run ${run.friendlyId} ${why}` };
      }
      const replay = await replayRunWithin(ctx, savepoint, effects, env, run, {});
      return { succeeded: true, listedRunId: replay.id, error: null };
    });
  } catch (error) {
    return { succeeded: false, listedRunId: null, error: describeError(error) } satisfies Outcome;
  }
}

/** The next chunk of the action, committed as one: its runs, their rows, the counts and the cursor. */
async function processChunk(ctx: EngineContext, tuning: BulkActionTuning, actionId: string): Promise<void> {
  const effects = noEffects();
  await ctx.db.transaction(async (tx) => {
    const [action] = await tx.select().from(bulkActions).where(eq(bulkActions.id, actionId)).for("update");
    if (!action || action.status !== "PENDING") return;
    const env = await environmentById(ctx.db, action.environmentId);
    if (!env) throw new Error(`Bulk action ${action.friendlyId} has no environment`);
    const page = { limit: tuning.chunkSize, ...(action.cursorRunId ? { after: action.cursorRunId } : {}) };
    const read = await readPageRows(tx, runs, selectionConditions(action.environmentId, Selection.parse(action.selection)), page);
    const chunk = read.slice(0, page.limit);
    const finished = read.length <= page.limit;

    const processed: (typeof bulkActionRuns.$inferInsert & Outcome)[] = [];
    for (const run of chunk)
      processed.push({ bulkActionId: action.id, runId: run.id, ...(await actOn(ctx, tx, effects, action, env, run)) });
    if (processed.length > 0) await tx.insert(bulkActionRuns).values(processed);
    const succeeded = processed.filter((p) => p.succeeded).length;
    const nextChunkAt = finished ? null : new Date(Date.now() + tuning.chunkDelayMs);
    await tx
      .update(bulkActions)
      .set({
        cursorRunId: chunk.at(-1)?.id ?? action.cursorRunId,
        successCount: sql`${bulkActions.successCount} + ${succeeded}`,
        failureCount: sql`${bulkActions.failureCount} + ${processed.length - succeeded}`,
        nextChunkAt,
        ...(finished ? { status: "COMPLETED" as const, completedAt: sql`now()` } : {}),
        updatedAt: sql`now()`,
      })
      .where(eq(bulkActions.id, action.id));
    if (nextChunkAt) effects.timers.push(nextChunkAt);
  });
  ctx.notifier.publish(effects);
}

/** Pending actions whose next chunk is due: one chunk each per pass. `tuning` is read at each pass. */
export function bulkActionsDueWork(ctx: EngineContext, tuning: BulkActionTuning): DueWork {
  const pending = eq(bulkActions.status, "PENDING");
  return {
    name: "bulk actions",
    nextDue: () => earliest(ctx.db, bulkActions, bulkActions.nextChunkAt, and(pending, isNotNull(bulkActions.nextChunkAt))),
    run: async () => {
      const due = await ctx.db
        .select({ id: bulkActions.id, friendlyId: bulkActions.friendlyId })
        .from(bulkActions)
        .where(and(pending, lte(bulkActions.nextChunkAt, sql`now()`)))
        .orderBy(bulkActions.nextChunkAt)
        .limit(DUE_BATCH);
      for (const { id, friendlyId } of due) {
        try {
          await processChunk(ctx, tuning, id);
        } catch (error) {
          // Nothing of the chunk was kept: it is tried again, later, so a chunk that keeps failing does not spin.
          console.error(`[platform] bulk action ${friendlyId}:`, describeError(error));
          await ctx.db
            .update(bulkActions)
            .set({ nextChunkAt: new Date(Date.now() + CHUNK_RETRY_MS) })
            .where(and(eq(bulkActions.id, id), pending));
        }
      }
    },
  };
}
