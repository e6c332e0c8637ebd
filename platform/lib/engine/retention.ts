// Retention: finished runs older than RUN_RETENTION are deleted with everything hanging off them (snapshots,
// attempts, waitpoints, run events, realtime streams, packets, batch items, alert deliveries, bulk-action rows).
// The unit is a run's whole tree (its root and every run below it): no run loses its parent or its children.
// A tree stays while any run in it
//   - is not final (a cancel still pending counts as live), or finished less than RUN_RETENTION ago;
//   - holds an idempotency key still in force (a trigger with that key would be handed this run);
//   - is the newest run of its task with one of its tags (apps find their runs by tag: the order project's
//     `order:<id>` keeps each order's latest workflow and latest run of each step), or of its schedule;
//   - completed a waitpoint a run of another tree waits on, is an item of another tree's batch, or has an alert
//     still to deliver.
// An environment with a bulk action still pending is left alone until it ends: the action's selection is read
// chunk by chunk as it goes, and any run it has yet to reach must still be there.
// The sweep runs beside the timer loop (at start, then every RUN_RETENTION_INTERVAL), in transactions of at most
// `batchRuns` runs, locked with SKIP LOCKED under short lock, statement and transaction limits, resting between
// them: it never holds a lock for long nor crowds out the runs at work. A transaction deletes whole trees (a tree
// larger than one goes deepest runs first, its root last; once a slice of it is left, so is the rest, root
// included), so a crash loses nothing: what is left is still eligible, and the next sweep goes on from there.
import { setTimeout as sleep } from "node:timers/promises";
import { sql, type SQL } from "drizzle-orm";
import type { DatabaseOrTransaction, Transaction } from "../db/client";
import { environments } from "../db/schema";
import { describeError } from "../describe-error";
import { STORE_DATA_TYPE } from "../packet-urls";
import type { PlatformOptions, SweepTuning } from "../platform-options";
import type { EngineContext } from "./engine-context";
import { textArray, timestampParam } from "./row-mapping";
import { FINAL_STATUSES } from "./run-statuses";
import type { DueWork } from "./timers";

export type RetentionSettings = NonNullable<PlatformOptions["retention"]>;

/** A twentieth of the time: it rests 19× as long as its last transaction took. On two cores with orders flowing
 *  at 1.5/s that deletes 100,000 runs in about twelve minutes, and moves the orders' p95 by about the noise
 *  between windows (npm run bench:retention; at a tenth of the time, four runs gave p95 ratios of 0.97–1.75).
 *  Scans of 500 roots keep each lookup of their tags' newest runs short. Retention is housekeeping: in steady
 *  state an hourly sweep deletes an hour's old runs, and a first backlog can wait. */
export const DEFAULT_SWEEP_TUNING: SweepTuning = { batchRuns: 200, scanRoots: 500, pauseMs: 20, workShare: 0.05 };

/** Each table the sweep deletes from, as the metrics' `kind` label names it. */
export const DELETED_KINDS = [
  "runs",
  "snapshots",
  "attempts",
  "waitpoints",
  "run_waitpoints",
  "run_events",
  "packets",
  "batch_items",
  "batches",
  "alert_deliveries",
  "realtime_streams",
  "realtime_stream_records",
  "input_stream_waits",
  "bulk_action_runs",
] as const;
export type DeletedKind = (typeof DELETED_KINDS)[number];

export type SweepResult = {
  deleted: Record<DeletedKind, number>;
  /** Runs deleted by each transaction, in order. */
  transactions: number[];
  cutoff: Date;
};

/** A sweep's transaction gives up rather than wait this long for a lock, run a statement this long, or go on
 *  past this long in all (checked between its statements). */
const LOCK_TIMEOUT_MS = 1_000;
const STATEMENT_TIMEOUT_MS = 10_000;
const TRANSACTION_LIMIT_MS = 5_000;
/** What ends one transaction early without failing the sweep: a lock not had in time (55P03), a statement
 *  cancelled by its timeout (57014). Its trees wait for the next sweep. */
const GIVE_UP_CODES = new Set(["55P03", "57014"]);
/** A sweep that failed is tried again this soon (or at the interval, if sooner). */
const RETRY_MS = 60_000;
const PROGRESS_EVERY_MS = 10_000;

const noneDeleted = () => Object.fromEntries(DELETED_KINDS.map((kind) => [kind, 0])) as Record<DeletedKind, number>;
const finalStatuses = () => textArray([...FINAL_STATUSES]);

type Member = { id: string; root: string; depth: number; task: string; tags: string[]; scheduleId: string | null; done: boolean };
/** Runs of one tree to delete in one transaction: the whole tree, or a slice of a large one (deepest first). */
type Part = { root: string; runIds: string[] };

/** Deletes every old finished run that nothing needs any more (see the top of this file). `stop` ends it between
 *  transactions (and cuts a rest short); `onProgress` is told after each one. */
export async function sweepOldRuns(
  ctx: EngineContext,
  settings: RetentionSettings,
  tuning: SweepTuning = DEFAULT_SWEEP_TUNING,
  stop: AbortSignal = new AbortController().signal,
  onProgress?: (deletedSoFar: Record<DeletedKind, number>) => void,
): Promise<SweepResult> {
  const result: SweepResult = { deleted: noneDeleted(), transactions: [], cutoff: new Date(Date.now() - settings.olderThanMs) };
  const newest = new NewestRuns(ctx.db);
  let working = performance.now();
  const rest = async () => {
    const ms = Math.max(tuning.pauseMs, ((performance.now() - working) * (1 - tuning.workShare)) / tuning.workShare);
    if (ms > 0) await sleep(ms, undefined, { signal: stop }).catch(() => {}); // a stop ends the rest
    working = performance.now();
  };
  const envs = await ctx.db.select({ id: environments.id }).from(environments);
  for (const env of envs) {
    let cursor: Cursor | undefined;
    // Roots of trees a transaction left (whole, or a slice of): the rest of them, root included, waits too.
    const left = new Set<string>();
    environment: while (!stop.aborted) {
      if (await bulkActionPending(ctx.db, env.id)) break;
      const roots = await scanRoots(ctx.db, env.id, result.cutoff, cursor, tuning.scanRoots);
      if (roots.length === 0) break;
      cursor = roots.at(-1);
      const trees = await deletableTrees(
        ctx.db,
        env.id,
        roots.map((r) => r.id),
        result.cutoff,
        newest,
      );
      for (const whole of units(trees, tuning.batchRuns)) {
        if (stop.aborted) break environment;
        const unit = whole.filter((part) => !left.has(part.root));
        if (unit.length === 0) continue;
        const outcome = await deleteUnit(ctx.db, env.id, unit);
        if (outcome === "bulk action pending") break environment;
        for (const root of outcome.left) left.add(root);
        const { deleted } = outcome;
        if (deleted.runs > 0) {
          for (const kind of DELETED_KINDS) result.deleted[kind] += deleted[kind];
          result.transactions.push(deleted.runs);
          ctx.notifier.rowsDeleted(deleted);
          onProgress?.(result.deleted);
        }
        await rest(); // a transaction that deleted nothing worked all the same
      }
      if (roots.length < tuning.scanRoots) break;
      await rest(); // after a scan that found little to delete, too
    }
  }
  return result;
}

/** The sweep as the timers' work: at start, then `everyMs` after each one ends; it runs beside the loop (a
 *  long sweep must not hold up waits coming due), logging its progress. */
export function retentionDueWork(ctx: EngineContext, settings: RetentionSettings): DueWork {
  const tuning = settings.tuning ?? DEFAULT_SWEEP_TUNING;
  let nextSweepAt = new Date();
  let sweeping: Promise<void> | undefined;
  const stop = new AbortController();
  const sweep = async () => {
    const started = Date.now();
    let lastLog = started;
    const result = await sweepOldRuns(ctx, settings, tuning, stop.signal, (soFar) => {
      if (Date.now() - lastLog < PROGRESS_EVERY_MS) return;
      lastLog = Date.now();
      console.log(`[platform retention] deleting old runs: ${soFar.runs.toLocaleString("en-US")} so far…`);
    });
    if (result.deleted.runs === 0) return;
    const rows = Object.entries(result.deleted)
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${kind} ${n.toLocaleString("en-US")}`);
    console.log(
      `[platform retention] deleted runs finished before ${result.cutoff.toISOString()} in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
        rows.join(", "),
    );
  };
  return {
    name: "retention",
    nextDue: async () => (sweeping ? null : nextSweepAt),
    run: async () => {
      if (sweeping || stop.signal.aborted || Date.now() < nextSweepAt.getTime()) return;
      let after = settings.everyMs;
      sweeping = sweep()
        .catch((error: unknown) => {
          console.error("[platform retention] the sweep stopped, to be tried again:", describeError(error));
          after = Math.min(after, RETRY_MS);
        })
        .finally(() => {
          sweeping = undefined;
          nextSweepAt = new Date(Date.now() + after);
          ctx.notifier.timerChanged(nextSweepAt);
        });
    },
    stop: async () => {
      stop.abort();
      await sweeping;
    },
  };
}

type Cursor = { id: string; at: string };

/** The next old finished roots of the environment, oldest first, after `cursor` (its created_at as Postgres
 *  prints it: a JS Date would drop the microseconds and read the cursor's row again). */
async function scanRoots(db: DatabaseOrTransaction, environmentId: string, cutoff: Date, cursor: Cursor | undefined, limit: number) {
  return db.execute<Cursor>(
    sql`SELECT id, created_at::text AS at FROM trigger_platform.runs
         WHERE environment_id = ${environmentId} AND root_run_id IS NULL AND created_at < ${timestampParam(cutoff)}
           AND status = ANY(${finalStatuses()}) AND completed_at < ${timestampParam(cutoff)}
           ${cursor ? sql`AND (created_at, id) > (${cursor.at}::timestamptz, ${cursor.id})` : sql``}
         ORDER BY created_at, id LIMIT ${limit}`,
  );
}

/** The trees under `roots` that may go, each as its runs, deepest first. */
async function deletableTrees(
  db: DatabaseOrTransaction,
  environmentId: string,
  roots: string[],
  cutoff: Date,
  newest: NewestRuns,
): Promise<Part[]> {
  const rows = await db.execute<{
    id: string;
    root: string;
    depth: number;
    task: string;
    tags: string[];
    schedule_id: string | null;
    done: boolean;
  }>(
    sql`SELECT id, coalesce(root_run_id, id) AS root, depth, task_identifier AS task, tags, schedule_id,
               coalesce(status = ANY(${finalStatuses()}) AND completed_at < ${timestampParam(cutoff)} AND created_at < ${timestampParam(cutoff)}
                        AND (idempotency_key IS NULL OR idempotency_key_expires_at < now()), false) AS done
          FROM trigger_platform.runs WHERE ${inTrees(roots)}`,
  );
  const trees = new Map<string, Member[]>();
  for (const r of rows) {
    const member = { id: r.id, root: r.root, depth: r.depth, task: r.task, tags: r.tags, scheduleId: r.schedule_id, done: r.done };
    const tree = trees.get(r.root);
    if (tree) tree.push(member);
    else trees.set(r.root, [member]);
  }
  // The cheap rules first, then the lookups, each only for the trees still in the running.
  const finished = roots
    .map((root) => trees.get(root))
    .filter((members): members is Member[] => members !== undefined && members.every((m) => m.done));
  const newestOfKind = await newest.among(environmentId, finished.flat());
  const unclaimed = finished.filter((members) => !members.some((m) => newestOfKind.has(m.id)));
  const needed = await neededElsewhere(
    db,
    unclaimed.map((members) => members[0]!.root),
  );
  return unclaimed
    .filter((members) => !needed.has(members[0]!.root))
    .map((members) => ({ root: members[0]!.root, runIds: [...members].sort((a, b) => b.depth - a.depth).map((m) => m.id) }));
}

/** The runs of the trees under `roots`. */
const inTrees = (roots: string[]): SQL => sql`(id = ANY(${textArray(roots)}) OR root_run_id = ANY(${textArray(roots)}))`;

/** Whether a bulk action of the environment is still pending (its runs must stay until it ends). */
async function bulkActionPending(db: DatabaseOrTransaction, environmentId: string): Promise<boolean> {
  const [row] = await db.execute<{ pending: boolean }>(
    sql`SELECT EXISTS (SELECT 1 FROM trigger_platform.bulk_actions WHERE environment_id = ${environmentId} AND status = 'PENDING') AS pending`,
  );
  return row?.pending ?? false;
}

/** Roots among `roots` whose tree something outside it still needs: a run of another tree waiting on (or done
 *  waiting on) one of its runs, another tree's batch holding one as an item, an alert still to send. */
async function neededElsewhere(db: DatabaseOrTransaction, roots: string[]): Promise<Set<string>> {
  if (roots.length === 0) return new Set();
  const rows = await db.execute<{ root: string }>(
    sql`SELECT DISTINCT coalesce(m.root_run_id, m.id) AS root FROM trigger_platform.runs m
         WHERE (m.id = ANY(${textArray(roots)}) OR m.root_run_id = ANY(${textArray(roots)})) AND (
           EXISTS (SELECT 1 FROM trigger_platform.waitpoints w
                     JOIN trigger_platform.run_waitpoints rw ON rw.waitpoint_id = w.id
                     JOIN trigger_platform.runs o ON o.id = rw.run_id
                    WHERE w.completed_by_run_id = m.id AND coalesce(o.root_run_id, o.id) <> coalesce(m.root_run_id, m.id))
           OR EXISTS (SELECT 1 FROM trigger_platform.batch_items i
                        JOIN trigger_platform.batches b ON b.id = i.batch_id
                        JOIN trigger_platform.runs p ON p.id = b.parent_run_id
                       WHERE i.run_id = m.id AND coalesce(p.root_run_id, p.id) <> coalesce(m.root_run_id, m.id))
           OR EXISTS (SELECT 1 FROM trigger_platform.alert_deliveries a WHERE a.run_id = m.id AND a.status = 'pending'))`,
  );
  return new Set(rows.map((r) => r.root));
}

/**
 * The newest run of each task and tag, and of each schedule and task, looked up once per sweep (a newer run
 * arriving meanwhile only makes the one remembered deletable later; the newest is never deleted).
 */
class NewestRuns {
  private readonly known = new Map<string, string | null>();

  constructor(private readonly db: DatabaseOrTransaction) {}

  /** The ids among `members` that are the newest of one of their (task, tag) or (schedule, task). */
  async among(environmentId: string, members: Member[]): Promise<Set<string>> {
    const byTag = (task: string, tag: string) => `${environmentId}\u0000tag\u0000${task}\u0000${tag}`;
    const bySchedule = (schedule: string, task: string) => `${environmentId}\u0000schedule\u0000${schedule}\u0000${task}`;
    const tagPairs = new Map<string, { task: string; tag: string }>();
    const schedulePairs = new Map<string, { schedule: string; task: string }>();
    for (const m of members) {
      for (const tag of m.tags) if (!this.known.has(byTag(m.task, tag))) tagPairs.set(byTag(m.task, tag), { task: m.task, tag });
      if (m.scheduleId && !this.known.has(bySchedule(m.scheduleId, m.task)))
        schedulePairs.set(bySchedule(m.scheduleId, m.task), { schedule: m.scheduleId, task: m.task });
    }
    if (tagPairs.size > 0) {
      // Ordered by an expression, not the column: otherwise Postgres walks the (task, created_at) index back
      // from the newest run looking for a rare tag, through every run of the task; the tags' GIN index finds it.
      const rows = await this.db.execute<{ task: string; tag: string; newest: string | null }>(
        sql`SELECT t.task, t.tag,
                   (SELECT n.id FROM trigger_platform.runs n
                     WHERE n.environment_id = ${environmentId} AND n.task_identifier = t.task AND n.tags @> ARRAY[t.tag]
                     ORDER BY n.created_at + interval '0 seconds' DESC, n.id DESC LIMIT 1) AS newest
              FROM jsonb_to_recordset(${JSON.stringify([...tagPairs.values()])}::jsonb) AS t(task text, tag text)`,
      );
      for (const r of rows) this.known.set(byTag(r.task, r.tag), r.newest);
    }
    if (schedulePairs.size > 0) {
      // A schedule that was deleted needs none of its runs.
      const rows = await this.db.execute<{ schedule: string; task: string; newest: string | null }>(
        sql`SELECT t.schedule, t.task,
                   (SELECT n.id FROM trigger_platform.runs n
                     WHERE n.environment_id = ${environmentId} AND n.task_identifier = t.task AND n.schedule_id = t.schedule
                       AND EXISTS (SELECT 1 FROM trigger_platform.schedules s WHERE s.id = t.schedule)
                     ORDER BY n.created_at DESC, n.id DESC LIMIT 1) AS newest
              FROM jsonb_to_recordset(${JSON.stringify([...schedulePairs.values()])}::jsonb) AS t(schedule text, task text)`,
      );
      for (const r of rows) this.known.set(bySchedule(r.schedule, r.task), r.newest);
    }
    const newest = new Set<string>();
    for (const m of members) {
      const keys = [...m.tags.map((tag) => byTag(m.task, tag)), ...(m.scheduleId ? [bySchedule(m.scheduleId, m.task)] : [])];
      if (keys.some((key) => this.known.get(key) === m.id)) newest.add(m.id);
    }
    return newest;
  }
}

/** Trees packed into transactions of at most `max` runs; a tree larger than that is cut into slices, deepest
 *  runs first, its root in the last. */
function* units(trees: Part[], max: number): Generator<Part[]> {
  let unit: Part[] = [];
  let size = 0;
  for (const tree of trees) {
    if (size + tree.runIds.length > max && unit.length > 0) {
      yield unit;
      unit = [];
      size = 0;
    }
    if (tree.runIds.length > max) {
      for (let i = 0; i < tree.runIds.length; i += max) yield [{ root: tree.root, runIds: tree.runIds.slice(i, i + max) }];
      continue;
    }
    unit.push(tree);
    size += tree.runIds.length;
  }
  if (unit.length > 0) yield unit;
}

/** A transaction that ran past TRANSACTION_LIMIT_MS, thrown between its statements to roll it back. */
class TransactionOverran extends Error {
  override name = "TransactionOverran";
}

/** Whether the error (or one it was caused by: the SQLSTATE is on the driver's error, the cause of Drizzle's)
 *  only means that this transaction gave up. */
function gaveUp(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e instanceof TransactionOverran) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && GIVE_UP_CODES.has(code)) return true;
  }
  return false;
}

/** One transaction: the parts whose runs it could all lock, checked again under the lock, deleted. The roots of
 *  the parts it left (locked, needed, or all of them if it gave up) are `left`. */
async function deleteUnit(
  db: DatabaseOrTransaction,
  environmentId: string,
  unit: Part[],
): Promise<{ deleted: Record<DeletedKind, number>; left: string[] } | "bulk action pending"> {
  const deadline = performance.now() + TRANSACTION_LIMIT_MS;
  const inTime = () => {
    if (performance.now() > deadline) throw new TransactionOverran(`a retention transaction ran past ${TRANSACTION_LIMIT_MS} ms`);
  };
  try {
    return await db.transaction(async (tx) => {
      // Its commit need not wait for the disk: one lost in a crash leaves its trees whole, for the next sweep.
      await tx.execute(
        sql`SELECT set_config('lock_timeout', ${`${LOCK_TIMEOUT_MS}ms`}, true), set_config('statement_timeout', ${`${STATEMENT_TIMEOUT_MS}ms`}, true),
                   set_config('synchronous_commit', 'off', true)`,
      );
      const all = unit.flatMap((part) => part.runIds);
      const locked = await tx.execute<{ id: string }>(
        sql`SELECT id FROM trigger_platform.runs WHERE id = ANY(${textArray(all)}) FOR UPDATE SKIP LOCKED`,
      );
      // Checked again in the transaction: a bulk action may have begun since the scan.
      if (await bulkActionPending(tx, environmentId)) return "bulk action pending" as const;
      const lockedIds = new Set(locked.map((r) => r.id));
      // A run locked elsewhere is being acted on: its tree waits for the next sweep.
      const whole = unit.filter((part) => part.runIds.every((id) => lockedIds.has(id)));
      inTime();
      // Checked again under the lock: a run of another tree may have come to wait on one of these meanwhile.
      const needed = await neededElsewhere(
        tx,
        whole.map((part) => part.root),
      );
      const going = whole.filter((part) => !needed.has(part.root));
      const left = unit.filter((part) => !going.includes(part)).map((part) => part.root);
      const ids = going.flatMap((part) => part.runIds);
      return { deleted: ids.length === 0 ? noneDeleted() : await deleteRuns(tx, ids, inTime), left };
    });
  } catch (error) {
    if (!gaveUp(error)) throw error;
    return { deleted: noneDeleted(), left: unit.map((part) => part.root) };
  }
}

/** Deletes the runs and every row that hangs off them; returns the rows deleted per table. `inTime` is called
 *  before each statement (it throws once the transaction has run too long). */
async function deleteRuns(tx: Transaction, ids: string[], inTime: () => void): Promise<Record<DeletedKind, number>> {
  const deleted = noneDeleted();
  const runIds = () => textArray(ids);
  const execute = async <Row extends Record<string, unknown>>(query: SQL) => {
    inTime();
    return tx.execute<Row>(query);
  };
  const count = async (kind: DeletedKind, deletion: SQL) => {
    const [row] = await execute<{ n: number }>(sql`WITH d AS (${deletion} RETURNING 1) SELECT count(*)::int AS n FROM d`);
    deleted[kind] += row?.n ?? 0;
  };
  const idsOf = async (query: SQL) => (await execute<{ id: string }>(query)).map((r) => r.id);

  await count("input_stream_waits", sql`DELETE FROM trigger_platform.input_stream_waits WHERE run_id = ANY(${runIds()})`);
  // Their own waitpoints (RUN: what their parents waited on) and the ones they waited on.
  const own = await idsOf(sql`SELECT id FROM trigger_platform.waitpoints WHERE completed_by_run_id = ANY(${runIds()})`);
  const waitedOn = await idsOf(
    sql`SELECT DISTINCT waitpoint_id AS id FROM trigger_platform.run_waitpoints WHERE run_id = ANY(${runIds()})`,
  );
  await count(
    "run_waitpoints",
    sql`DELETE FROM trigger_platform.run_waitpoints WHERE run_id = ANY(${runIds()}) OR waitpoint_id = ANY(${textArray(own)})`,
  );

  // Batch items; a batch goes with its last item, and its BATCH waitpoint with it.
  const emptied = await execute<{ batch_id: string; n: number }>(
    sql`WITH d AS (DELETE FROM trigger_platform.batch_items WHERE run_id = ANY(${runIds()}) RETURNING batch_id)
        SELECT batch_id, count(*)::int AS n FROM d GROUP BY batch_id`,
  );
  deleted.batch_items += emptied.reduce((sum, r) => sum + r.n, 0);
  const batchIds = await idsOf(
    sql`WITH d AS (DELETE FROM trigger_platform.batches b WHERE b.id = ANY(${textArray(emptied.map((r) => r.batch_id))})
                     AND NOT EXISTS (SELECT 1 FROM trigger_platform.batch_items i WHERE i.batch_id = b.id) RETURNING id)
        SELECT id FROM d`,
  );
  deleted.batches += batchIds.length;
  const batchWaitpoints = await idsOf(
    sql`SELECT id FROM trigger_platform.waitpoints WHERE completed_by_batch_id = ANY(${textArray(batchIds)})`,
  );
  await count("run_waitpoints", sql`DELETE FROM trigger_platform.run_waitpoints WHERE waitpoint_id = ANY(${textArray(batchWaitpoints)})`);
  // Their own and their batches' waitpoints; a wait or token they waited on, once completed and waited on by no
  // one else (another run's RUN or BATCH waitpoint stays with it; a token's idempotency key in force keeps it).
  await count(
    "waitpoints",
    sql`DELETE FROM trigger_platform.waitpoints w
         WHERE w.id = ANY(${textArray([...own, ...batchWaitpoints, ...waitedOn])})
           AND (w.id = ANY(${textArray([...own, ...batchWaitpoints])})
                OR (w.type IN ('DATETIME', 'MANUAL') AND w.status = 'COMPLETED'
                    AND (w.idempotency_key IS NULL OR w.idempotency_key_expires_at < now())))
           AND NOT EXISTS (SELECT 1 FROM trigger_platform.run_waitpoints rw WHERE rw.waitpoint_id = w.id)
           AND NOT EXISTS (SELECT 1 FROM trigger_platform.input_stream_waits i WHERE i.waitpoint_id = w.id)`,
  );

  for (const [kind, table] of [
    ["snapshots", "snapshots"],
    ["attempts", "attempts"],
    ["run_events", "run_events"],
    ["realtime_stream_records", "realtime_stream_records"],
    ["realtime_streams", "realtime_streams"],
    ["alert_deliveries", "alert_deliveries"],
    ["bulk_action_runs", "bulk_action_runs"],
  ] as const)
    await count(kind, sql`DELETE FROM ${sql.raw(`trigger_platform.${table}`)} WHERE run_id = ANY(${runIds()})`);

  // Stored payloads and outputs; a payload a replay shares goes with the last run that has it. (The type is
  // written out, not a parameter, so that Postgres uses the partial index of stored payloads.)
  const STORE = sql.raw(`'${STORE_DATA_TYPE}'`);
  await count(
    "packets",
    sql`DELETE FROM trigger_platform.packets p
         USING (SELECT environment_id, payload AS key FROM trigger_platform.runs WHERE id = ANY(${runIds()}) AND payload_type = ${STORE}
                UNION SELECT environment_id, output FROM trigger_platform.runs WHERE id = ANY(${runIds()}) AND output_type = ${STORE}) k
         WHERE p.environment_id = k.environment_id AND p.key = k.key
           AND NOT EXISTS (SELECT 1 FROM trigger_platform.runs o
                            WHERE o.environment_id = k.environment_id AND o.payload_type = ${STORE} AND o.payload = k.key
                              AND NOT o.id = ANY(${runIds()}))`,
  );
  await count("runs", sql`DELETE FROM trigger_platform.runs WHERE id = ANY(${runIds()})`);
  return deleted;
}
