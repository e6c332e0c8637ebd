// Runs as Trigger.dev's API shows them (runs.retrieve, runs.list): the API status, the is* flags, and
// payload and output decoded from their packets (superjson or JSON), as the webapp does.
import { parsePacketAsJson } from "@trigger.dev/core/v3/utils/ioSerialization";
import { arrayOverlaps, count, eq, gte, inArray, lte, sql, type SQL } from "drizzle-orm";
import { attempts, bulkActionRuns, runs, schedules, workers, type Run } from "./db/schema";
import { cronGenerator } from "./engine/schedules";
import { environmentById, type ProjectEnvironment } from "./environments";
import { cursorPage, readPageRows } from "./cursor-pages";
import { internalId } from "./ids";
import { presignedPacketUrl, STORE_DATA_TYPE } from "./packet-urls";
import type { PlatformContext } from "./platform-context";
import { readMetadata } from "./engine/run-metadata";
import { selectRow } from "./engine/row-mapping";
import { apiStatus, ENGINE_STATUSES_OF, FAILED_API_STATUSES, type ApiStatus } from "./engine/run-statuses";

export { apiStatus, type ApiStatus };

export function runSummary(run: Run, version?: string) {
  const status = apiStatus(run);
  const finished = run.completedAt !== null;
  return {
    id: run.friendlyId,
    status,
    taskIdentifier: run.taskIdentifier,
    ...(run.idempotencyKey ? { idempotencyKey: run.idempotencyKey } : {}),
    ...(version ? { version } : {}),
    isQueued: status === "QUEUED" || status === "DELAYED" || status === "PENDING_VERSION",
    isExecuting: status === "EXECUTING" || status === "DEQUEUED",
    isWaiting: status === "WAITING",
    isCompleted: finished,
    isSuccess: status === "COMPLETED",
    isFailed: FAILED_API_STATUSES.includes(status),
    isCancelled: status === "CANCELED",
    isTest: run.isTest,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    ...(run.startedAt ? { startedAt: run.startedAt } : {}),
    ...(run.completedAt ? { finishedAt: run.completedAt } : {}),
    ...(run.delayUntil ? { delayedUntil: run.delayUntil } : {}),
    ...(run.ttl ? { ttl: run.ttl } : {}),
    ...(status === "EXPIRED" && run.completedAt ? { expiredAt: run.completedAt } : {}),
    tags: run.tags,
    costInCents: 0,
    baseCostInCents: 0,
    durationMs: run.startedAt ? (run.completedAt ?? new Date()).getTime() - run.startedAt.getTime() : 0,
    metadata: readMetadata(run),
  };
}

function related(run: Run, version?: string) {
  return {
    ...runSummary(run, version),
    depth: run.depth,
    triggerFunction: run.batchId
      ? run.resumeParentOnCompletion
        ? ("batchTriggerAndWait" as const)
        : ("batchTrigger" as const)
      : run.resumeParentOnCompletion
        ? ("triggerAndWait" as const)
        : ("trigger" as const),
    ...(run.batchId ? { batchId: `batch_${run.batchId}` } : {}),
  };
}

export async function findRun(ctx: PlatformContext, env: ProjectEnvironment, runId: string): Promise<Run | undefined> {
  return selectRow(ctx.db, runs, sql`SELECT * FROM trigger_platform.runs WHERE id = ${internalId(runId)} AND environment_id = ${env.id}`);
}

/** A packet as JSON, as Trigger.dev's API answers it (parsePacketAsJson): superjson's JSON view, so a BigInt
 *  is a string, a Date an ISO string, a circular link null, rather than live values that cannot be sent. */
export async function decodePacket(data: string | null, dataType: string | null): Promise<unknown> {
  if (data === null || dataType === null) return undefined;
  try {
    return await parsePacketAsJson({ data, dataType });
  } catch {
    return data;
  }
}

/** The run's environment (its id and key sign its packets' URLs). */
async function keyOf(ctx: PlatformContext, run: Run): Promise<ProjectEnvironment> {
  const env = await environmentById(ctx.db, run.environmentId);
  if (!env) throw new Error(`Run ${run.friendlyId} has no environment`);
  return env;
}

export async function retrieveRunView(ctx: PlatformContext, run: Run) {
  const versionOf = async (workerId: string | null) =>
    workerId ? (await ctx.db.select({ version: workers.version }).from(workers).where(eq(workers.id, workerId)))[0]?.version : undefined;
  const byId = (id: string | null) =>
    id
      ? ctx.db
          .select()
          .from(runs)
          .where(eq(runs.id, id))
          .then((r) => r[0])
      : Promise.resolve(undefined);
  const [root, parent, children, attemptRows, [schedule]] = await Promise.all([
    byId(run.rootRunId),
    byId(run.parentRunId),
    ctx.db.select().from(runs).where(eq(runs.parentRunId, run.id)).orderBy(runs.createdAt),
    ctx.db.select({ n: count() }).from(attempts).where(eq(attempts.runId, run.id)),
    run.scheduleId ? ctx.db.select().from(schedules).where(eq(schedules.id, run.scheduleId)) : Promise.resolve([]),
  ]);
  const error = run.error ? serializedError(run.error) : undefined;
  const storedPayload = run.payloadType === STORE_DATA_TYPE && run.payload !== null;
  const storedOutput = run.outputType === STORE_DATA_TYPE && run.output !== null;
  const signer = storedPayload || storedOutput ? await keyOf(ctx, run) : undefined;
  return {
    ...related(run, await versionOf(run.workerId)),
    // A stored packet is not inlined: the SDK fetches it from its presigned URL, as from Trigger.dev's store.
    payload: storedPayload ? undefined : await decodePacket(run.payload, run.payloadType),
    payloadPresignedUrl: storedPayload ? presignedPacketUrl(ctx.origin, signer!, run.payload!, "GET") : undefined,
    output: storedOutput ? undefined : await decodePacket(run.output, run.outputType),
    outputPresignedUrl: storedOutput ? presignedPacketUrl(ctx.origin, signer!, run.output!, "GET") : undefined,
    ...(error ? { error } : {}),
    // The schedule that fired the run, as Trigger.dev's retrieve shows it (RunScheduleDetails).
    ...(schedule
      ? {
          schedule: {
            id: schedule.friendlyId,
            ...(schedule.externalId ? { externalId: schedule.externalId } : {}),
            ...(schedule.deduplicationKey ? { deduplicationKey: schedule.deduplicationKey } : {}),
            generator: cronGenerator(schedule),
          },
        }
      : {}),
    relatedRuns: {
      ...(root ? { root: related(root) } : {}),
      ...(parent ? { parent: related(parent) } : {}),
      children: children.map((c) => related(c)),
    },
    attemptCount: attemptRows[0]?.n ?? 0,
  };
}

/** A TaskRunError as the API's SerializedError ({message, name, stackTrace}). */
export function serializedError(error: Record<string, unknown>) {
  const message =
    typeof error.message === "string" ? error.message : typeof error.raw === "string" ? error.raw : String(error.code ?? "Unknown error");
  return {
    message,
    ...(typeof error.name === "string" ? { name: error.name } : typeof error.code === "string" ? { name: error.code } : {}),
    ...(typeof error.stackTrace === "string" ? { stackTrace: error.stackTrace } : {}),
  };
}

export type RunListQuery = {
  status?: ApiStatus[];
  taskIdentifier?: string[];
  tag?: string[];
  from?: Date;
  to?: Date;
  isTest?: boolean;
  batch?: string;
  schedule?: string;
  idempotencyKey?: string;
  /** Runs a bulk action touched: the runs it cancelled, the replays it made (as Trigger.dev lists them). */
  bulkAction?: string;
  /** Keyset pagination: run ids (friendly) to continue after / before. */
  after?: string;
  before?: string;
  limit: number;
};

/** What runs.list's filters select (a bulk action selects runs by them too). */
export type RunListFilter = Omit<RunListQuery, "after" | "before" | "limit">;

/** The conditions on `runs` of the environment's runs that `q` selects. */
export function runListConditions(environmentId: string, q: RunListFilter): SQL[] {
  const where: SQL[] = [eq(runs.environmentId, environmentId)];
  if (q.status?.length)
    where.push(
      inArray(
        runs.status,
        q.status.flatMap((s) => ENGINE_STATUSES_OF[s]),
      ),
    );
  if (q.taskIdentifier?.length) where.push(inArray(runs.taskIdentifier, q.taskIdentifier));
  if (q.tag?.length) where.push(arrayOverlaps(runs.tags, q.tag));
  if (q.from) where.push(gte(runs.createdAt, q.from));
  if (q.to) where.push(lte(runs.createdAt, q.to));
  if (q.isTest !== undefined) where.push(eq(runs.isTest, q.isTest));
  if (q.batch) where.push(eq(runs.batchId, internalId(q.batch)));
  if (q.schedule) where.push(eq(runs.scheduleId, internalId(q.schedule)));
  if (q.idempotencyKey) where.push(eq(runs.idempotencyKey, q.idempotencyKey));
  if (q.bulkAction)
    where.push(
      sql`${runs.id} IN (SELECT ${bulkActionRuns.listedRunId} FROM ${bulkActionRuns} WHERE ${bulkActionRuns.bulkActionId} = ${internalId(q.bulkAction)})`,
    );
  return where;
}

/** Newest first, keyset pages on (created_at, id): fast at any depth. */
export async function listRuns(ctx: PlatformContext, env: ProjectEnvironment, q: RunListQuery) {
  const read = await readPageRows(ctx.db, runs, runListConditions(env.id, q), q);
  const { rows, pagination } = cursorPage(read, q);
  return { data: rows.map((run) => ({ ...runSummary(run), env: { id: env.id, name: env.slug } })), pagination };
}
