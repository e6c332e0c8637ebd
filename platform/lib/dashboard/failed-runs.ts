// The Failed page's reads (the dead-letter view): the runs that failed after their last attempt, grouped by
// task and error message, and one group's runs with their error, attempts and payload; and the bulk replay
// requests that take "all matching". A filter is runs.list's own (runListConditions), so a replay sent to the
// bulk-actions API as a filter takes exactly the runs this page counts; an error group is no filter the API
// knows, so its runs are sent by id. Every read is bounded by a time window (DEFAULT_WINDOW_DAYS unless the
// filter names a start), so a request's work grows with the window, not with the environment's history.
import type { CreateBulkActionRequestBody } from "@trigger.dev/core/v3/schemas";
import { and, count, desc, eq, inArray, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { attempts, bulkActionRuns, runs, type BulkAction } from "../db/schema";
import { cursorPage, readPageRows, type PageQuery } from "../cursor-pages";
import { MAX_BULK_ACTION_RUN_IDS } from "../engine/bulk-actions";
import { DEAD_LETTER_API_STATUSES } from "../engine/run-statuses";
import type { ProjectEnvironment } from "../environments";
import { presignedPacketUrl, STORE_DATA_TYPE } from "../packet-urls";
import type { PlatformContext } from "../platform-context";
import { apiStatus, decodePacket, runListConditions, serializedError } from "../run-view";

/** Groups shown at once, most recently seen first (each distinct message is a group). */
export const MAX_GROUPS = 200;
/** Runs of one group per page. */
export const GROUP_PAGE_SIZE = 50;
/** Runs one "replay all" of an error group may take (sent by id, in bulk actions of MAX_BULK_ACTION_RUN_IDS). */
export const MAX_GROUP_REPLAY = 5_000;
/** How much of a payload the page shows inline; the run's page has it whole. */
const PAYLOAD_PREVIEW_CHARS = 2_000;
/** The window read when the filter names no start: the runs triggered in this many days before its end (or now). */
export const DEFAULT_WINDOW_DAYS = 7;
const DAY_MS = 86_400_000;

const optional = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === "" ? undefined : value), schema.optional());
const dateText = z
  .string()
  .max(40)
  .refine((text) => !Number.isNaN(new Date(text).getTime()), "must be a date and time like 2025-01-31T14:00");

/** The page's filter as its query (and its replay forms) carry it: all optional, empty meaning none. */
export const FailedRunsFilter = z
  .object({
    task: optional(z.string().trim().min(1).max(200)),
    /** An error group: the key failedRunGroups gives it. */
    group: optional(z.string().regex(/^[0-9a-f]{32}$/, "must be an error group's key (32 hex digits)")),
    /** Triggered at or after / at or before (the bulk-actions API's from and to). */
    from: optional(dateText),
    to: optional(dateText),
  })
  .refine((f) => !f.from || !f.to || new Date(f.from) <= new Date(f.to), { path: ["to"], message: "must not be before from" });
export type FailedRunsFilter = z.output<typeof FailedRunsFilter>;

/** A failed run's error message as the API shows it (serializedError: message, else raw, else code). */
const ERROR_MESSAGE = sql<string>`coalesce(${runs.error}->>'message', ${runs.error}->>'raw', ${runs.error}->>'code', 'Unknown error')`;
/** A group's key: task and message, hashed so that it fits a link. Grouped, it is computed once per group;
 *  as a condition, once per run of the window (the other conditions narrow the rows first). */
const GROUP_KEY = sql<string>`md5(${runs.taskIdentifier} || chr(10) || ${ERROR_MESSAGE})`;

/** The window a filter reads: its own start, else the DEFAULT_WINDOW_DAYS before its end (or now). */
export function windowStart(filter: FailedRunsFilter, now = new Date()): Date {
  if (filter.from) return new Date(filter.from);
  return new Date((filter.to ? new Date(filter.to) : now).getTime() - DEFAULT_WINDOW_DAYS * DAY_MS);
}

/** The runs the filter selects, without its group: what the bulk-actions API's filter would select. Status,
 *  then triggered time, so that runs_status_idx (environment, status, created_at) reads only the window. */
function filterConditions(env: ProjectEnvironment, filter: FailedRunsFilter): SQL[] {
  return runListConditions(env.id, {
    status: [...DEAD_LETTER_API_STATUSES],
    ...(filter.task ? { taskIdentifier: [filter.task] } : {}),
    from: windowStart(filter),
    ...(filter.to ? { to: new Date(filter.to) } : {}),
  });
}

const selectionConditions = (env: ProjectEnvironment, filter: FailedRunsFilter): SQL[] => [
  ...filterConditions(env, filter),
  ...(filter.group ? [sql`${GROUP_KEY} = ${filter.group}`] : []),
];

export type FailedRunGroup = {
  key: string;
  task: string;
  errorName: string | null;
  message: string;
  count: number;
  firstSeen: Date | null;
  lastSeen: Date | null;
};

/** The filter's failed runs grouped by task and error message, most recently seen first, and how many runs
 *  match in all (the groups past MAX_GROUPS included). "Seen" is when a run failed. */
export async function failedRunGroups(ctx: Pick<PlatformContext, "db">, env: ProjectEnvironment, filter: FailedRunsFilter) {
  const lastSeen = sql`max(${runs.completedAt})`.mapWith(runs.completedAt);
  const groups = await ctx.db
    .select({
      key: GROUP_KEY,
      task: runs.taskIdentifier,
      message: ERROR_MESSAGE,
      errorName: sql<string | null>`max(coalesce(${runs.error}->>'name', ${runs.error}->>'code'))`,
      count: sql<number>`count(*)::int`,
      firstSeen: sql`min(${runs.completedAt})`.mapWith(runs.completedAt),
      lastSeen,
      total: sql<number>`(sum(count(*)) over ())::int`,
    })
    .from(runs)
    .where(and(...filterConditions(env, { ...filter, group: undefined })))
    .groupBy(runs.taskIdentifier, ERROR_MESSAGE)
    .orderBy(sql`${lastSeen} desc nulls last`, runs.taskIdentifier)
    .limit(MAX_GROUPS);
  return {
    groups: groups.map(({ total: _total, ...group }): FailedRunGroup => group),
    total: groups[0]?.total ?? 0,
  };
}

/** A payload as the page shows it: inline JSON (cut short), a link to an offloaded packet, or none. */
export type PayloadShown = { kind: "inline"; text: string; cut: boolean } | { kind: "stored"; url: string } | { kind: "none" };

async function payloadShown(ctx: Pick<PlatformContext, "origin">, env: ProjectEnvironment, payload: string | null, type: string) {
  if (payload === null) return { kind: "none" } as const;
  if (type === STORE_DATA_TYPE) return { kind: "stored", url: presignedPacketUrl(ctx.origin, env, payload, "GET") } as const;
  // A payload past the preview is shown as its raw text, cut: decoding and pretty-printing all of it for a
  // preview would cost as much as the payload is large.
  if (payload.length > PAYLOAD_PREVIEW_CHARS) return { kind: "inline", text: payload.slice(0, PAYLOAD_PREVIEW_CHARS), cut: true } as const;
  const decoded = await decodePacket(payload, type);
  const text = typeof decoded === "string" ? decoded : (JSON.stringify(decoded, null, 2) ?? "undefined");
  return { kind: "inline", text: text.slice(0, PAYLOAD_PREVIEW_CHARS), cut: text.length > PAYLOAD_PREVIEW_CHARS } as const;
}

/** One page of the runs the filter (its group included) selects, newest first, each with its error,
 *  attempts and payload. */
export async function failedRunsPage(
  ctx: Pick<PlatformContext, "db" | "origin">,
  env: ProjectEnvironment,
  filter: FailedRunsFilter,
  page: Omit<PageQuery, "limit">,
) {
  const q: PageQuery = { limit: GROUP_PAGE_SIZE, ...page };
  const { rows, pagination } = cursorPage(await readPageRows(ctx.db, runs, selectionConditions(env, filter), q), q);
  const counted = rows.length
    ? await ctx.db
        .select({ runId: attempts.runId, n: count() })
        .from(attempts)
        .where(
          inArray(
            attempts.runId,
            rows.map((r) => r.id),
          ),
        )
        .groupBy(attempts.runId)
    : [];
  const attemptsOf = new Map(counted.map((a) => [a.runId, a.n]));
  return {
    runs: await Promise.all(
      rows.map(async (run) => ({
        id: run.friendlyId,
        taskIdentifier: run.taskIdentifier,
        status: apiStatus(run),
        error: serializedError(run.error ?? {}),
        attempts: attemptsOf.get(run.id) ?? 0,
        createdAt: run.createdAt,
        failedAt: run.completedAt,
        payload: await payloadShown(ctx, env, run.payload, run.payloadType),
      })),
    ),
    pagination,
  };
}

export type FailedRunsPage = Awaited<ReturnType<typeof failedRunsPage>>;

/** Of the run ids picked on the page, those that are no dead-letter run of the environment (another status,
 *  or no run of it): a replay takes only runs the page could have shown. */
export async function notDeadLetters(ctx: Pick<PlatformContext, "db">, env: ProjectEnvironment, ids: string[]): Promise<string[]> {
  const found = await ctx.db
    .select({ id: runs.friendlyId })
    .from(runs)
    .where(and(...runListConditions(env.id, { status: [...DEAD_LETTER_API_STATUSES] }), inArray(runs.friendlyId, ids)));
  const failed = new Set(found.map((r) => r.id));
  return ids.filter((id) => !failed.has(id));
}
export type ReplayRequest = z.input<typeof CreateBulkActionRequestBody>;

/** Too many runs in one error group to send by id: the page says so, and nothing is replayed. */
export class TooManyToReplay extends Error {}

/** The bulk replays that take every run the filter selects: one by filter, or, for an error group, its run ids
 *  in requests of at most MAX_BULK_ACTION_RUN_IDS. */
export async function replayAllRequests(ctx: Pick<PlatformContext, "db">, env: ProjectEnvironment, filter: FailedRunsFilter) {
  const name = replayName(filter);
  if (!filter.group)
    return [
      {
        action: "replay",
        name,
        filter: {
          status: [...DEAD_LETTER_API_STATUSES],
          ...(filter.task ? { taskIdentifier: filter.task } : {}),
          from: windowStart(filter),
          ...(filter.to ? { to: new Date(filter.to) } : {}),
        },
      },
    ] satisfies ReplayRequest[];
  const ids = await ctx.db
    .select({ id: runs.friendlyId })
    .from(runs)
    .where(and(...selectionConditions(env, filter)))
    .orderBy(desc(runs.createdAt), desc(runs.id))
    .limit(MAX_GROUP_REPLAY + 1);
  if (ids.length > MAX_GROUP_REPLAY)
    throw new TooManyToReplay(
      `group: more than ${MAX_GROUP_REPLAY} runs match; narrow the time window, or replay the task's failed runs without choosing a group`,
    );
  const requests: ReplayRequest[] = [];
  for (let start = 0; start < ids.length; start += MAX_BULK_ACTION_RUN_IDS)
    requests.push({ action: "replay", name, runIds: ids.slice(start, start + MAX_BULK_ACTION_RUN_IDS).map((r) => r.id) });
  return requests;
}

function replayName(filter: FailedRunsFilter): string {
  const parts = [filter.task ?? "every task", filter.group ? "one error" : "every error"];
  parts.push(
    filter.from
      ? `triggered ${filter.from} to ${filter.to ?? "now"}`
      : `triggered in the ${DEFAULT_WINDOW_DAYS} days to ${filter.to ?? "now"}`,
  );
  return `Replay failed runs: ${parts.join(", ")}`;
}

/** What a bulk action did, newest first: each run taken, the run it listed (a replay, a cancelled run), and why
 *  it failed, if it did. */
export async function bulkActionOutcomes(ctx: Pick<PlatformContext, "db">, action: BulkAction, limit: number) {
  const rows = await ctx.db
    .select({
      runId: bulkActionRuns.runId,
      succeeded: bulkActionRuns.succeeded,
      error: bulkActionRuns.error,
      listed: runs.friendlyId,
      listedStatus: runs.status,
      listedDelayUntil: runs.delayUntil,
    })
    .from(bulkActionRuns)
    .leftJoin(runs, eq(runs.id, bulkActionRuns.listedRunId))
    .where(eq(bulkActionRuns.bulkActionId, action.id))
    .orderBy(desc(bulkActionRuns.processedAt), desc(bulkActionRuns.runId))
    .limit(limit);
  return rows.map((r) => ({
    // Friendly ids carry the internal id as their tail (ids.ts).
    runId: `run_${r.runId}`,
    succeeded: r.succeeded,
    error: r.error,
    listed: r.listed ? { id: r.listed, status: apiStatus({ status: r.listedStatus!, delayUntil: r.listedDelayUntil }) } : null,
  }));
}
