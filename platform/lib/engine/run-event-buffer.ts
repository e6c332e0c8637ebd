// Log lines and spans arrive in many small OTLP requests while runs execute. They are answered at once and
// written in batches (every 200 ms or 500 rows), so telemetry does not compete with the runs for Postgres.
// The buffer is bounded: when Postgres falls behind, a receiver waits for room (a write frees it) and, if none
// comes soon, is told to come back later (the OTLP exporters retry), so memory does not grow with the backlog.
import { sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { runEvents } from "../db/schema";
import { describeError } from "../describe-error";

export type RunEventRow = typeof runEvents.$inferInsert;

/** The most rows (and characters of their JSON) held until Postgres has them: a few seconds of a heavy
 *  flood, a few MB of ordinary rows; the characters bound keeps large rows from making that gigabytes. */
export const RUN_EVENT_BUFFER_CAPACITY = { rows: 10_000, chars: 64 * 1024 * 1024 } as const;

export type RunEventBufferOptions = {
  /** How long rows wait for company before they are written (default 200 ms). */
  flushEveryMs?: number;
  /** Rows per INSERT; this many buffered are written at once (default 500). */
  rowsPerInsert?: number;
  /** The bound (default RUN_EVENT_BUFFER_CAPACITY). */
  capacity?: { rows: number; chars: number };
  /** How long admit() waits for room before it gives up (default 2 s). */
  waitForRoomMs?: number;
};

/** What became of the rows offered since the platform started. */
export type RunEventTally = {
  /** Rows written to Postgres. */
  stored: number;
  /** Values the receiver repaired in rows it stored (NUL removed, NaN made null, a bad time replaced…). */
  repaired: number;
  /** Records the receiver refused as unusable (malformed, no run id, no span id), and rows naming a run that is
   *  not in the sender's environment (another project's, or none), which the write leaves out. */
  rejected: number;
  /** Rows accepted but refused by Postgres, or not written after retries (each logged). */
  lost: number;
  /** Rows turned away because the buffer stayed full (answered 503: the exporter sends them again). */
  turnedAway: number;
};

type Waiter = { rows: string[]; chars: number; notes: AdmitNotes; admitted: (yes: boolean) => void; timer: NodeJS.Timeout };
type AdmitNotes = { repaired?: number; rejected?: number };

/** Second and third tries of a write that failed for a reason other than its rows (a connection lost). */
const RETRY_DELAYS_MS = [250, 1_000];

export class RunEventBuffer {
  /** Rows not yet handed to a write, each as its JSON record (the form the INSERT takes). */
  private queued: string[] = [];
  /** Everything not yet in Postgres: queued plus being written. */
  private holding = { rows: 0, chars: 0 };
  private peak = 0;
  private readonly waiting: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly tallies: RunEventTally = { stored: 0, repaired: 0, rejected: 0, lost: 0, turnedAway: 0 };
  private readonly flushEveryMs: number;
  private readonly rowsPerInsert: number;
  private readonly waitForRoomMs: number;
  readonly capacity: { readonly rows: number; readonly chars: number };

  constructor(
    private readonly db: Database,
    options: RunEventBufferOptions = {},
  ) {
    this.flushEveryMs = options.flushEveryMs ?? 200;
    this.rowsPerInsert = options.rowsPerInsert ?? 500;
    this.waitForRoomMs = options.waitForRoomMs ?? 2_000;
    this.capacity = { ...(options.capacity ?? RUN_EVENT_BUFFER_CAPACITY) };
  }

  get tally(): RunEventTally {
    return { ...this.tallies };
  }

  /** Rows (and characters) held until Postgres has them, and the most rows held at once so far. */
  get held(): { rows: number; chars: number; peakRows: number } {
    return { ...this.holding, peakRows: this.peak };
  }

  /**
   * Takes the rows if there is room, else writes what is buffered and waits (first come, first served) up to
   * waitForRoomMs for room. false: still full, nothing was taken; the caller should have the sender retry.
   * A batch larger than the whole capacity is taken once the buffer is empty, so it is not refused for ever.
   * `notes` are the receiver's counts for the request, tallied only if its rows are taken (a retry resends them).
   */
  admit(environmentId: string, rows: RunEventRow[], notes: AdmitNotes = {}): Promise<boolean> {
    const records: string[] = [];
    let chars = 0;
    for (const row of rows) {
      const record = toRecord(environmentId, row);
      if (record === undefined) this.tallies.lost++;
      else {
        records.push(record);
        chars += record.length;
      }
    }
    if (records.length === 0 || (this.waiting.length === 0 && this.fits(records.length, chars))) {
      this.take(records, chars, notes);
      return Promise.resolve(true);
    }
    void this.flush(); // room comes from writing what is queued
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        rows: records,
        chars,
        notes,
        admitted: resolve,
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          this.tallies.turnedAway += records.length;
          resolve(false);
          this.admitWaiting(); // the next in line may fit where this one did not
        }, this.waitForRoomMs),
      };
      this.waiting.push(waiter);
    });
  }

  /** Writes what is buffered; resolves when it (and any flush before it) is in the database. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queued;
    this.queued = [];
    if (batch.length > 0) this.writing = this.writing.then(() => this.write(batch));
    return this.writing;
  }

  private fits(rows: number, chars: number): boolean {
    if (this.holding.rows === 0) return true;
    return this.holding.rows + rows <= this.capacity.rows && this.holding.chars + chars <= this.capacity.chars;
  }

  private take(records: string[], chars: number, notes: AdmitNotes): void {
    this.tallies.repaired += notes.repaired ?? 0;
    this.tallies.rejected += notes.rejected ?? 0;
    if (records.length === 0) return;
    for (const record of records) this.queued.push(record);
    this.holding.rows += records.length;
    this.holding.chars += chars;
    this.peak = Math.max(this.peak, this.holding.rows);
    if (this.queued.length >= this.rowsPerInsert) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushEveryMs);
  }

  private admitWaiting(): void {
    for (let next = this.waiting[0]; next && this.fits(next.rows.length, next.chars); next = this.waiting[0]) {
      this.waiting.shift();
      clearTimeout(next.timer);
      this.take(next.rows, next.chars, next.notes);
      next.admitted(true);
    }
  }

  private async write(batch: string[]): Promise<void> {
    for (let i = 0; i < batch.length; i += this.rowsPerInsert) {
      const chunk = batch.slice(i, i + this.rowsPerInsert);
      await this.store(chunk);
      this.holding.rows -= chunk.length;
      this.holding.chars -= chunk.reduce((sum, record) => sum + record.length, 0);
      this.admitWaiting();
    }
  }

  /** Stores a chunk, never throws: a row Postgres refuses costs only itself; a chunk that fails otherwise is
   *  tried again, then counted lost. Either way the loss is logged and tallied. */
  private async store(chunk: string[]): Promise<void> {
    let failure: unknown;
    for (const delay of [0, ...RETRY_DELAYS_MS]) {
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      try {
        this.count(chunk.length, await insertRunEvents(this.db, chunk));
        return;
      } catch (error) {
        failure = error;
        if (!isRowFault(error)) continue;
        const refused = chunk.length > 1 ? await this.isolate(chunk) : { rows: 1, error };
        if (refused.rows === 0) return;
        this.tallies.lost += refused.rows;
        console.error(`[platform] Postgres refused ${refused.rows} run event(s), the rest are stored:`, describeError(refused.error));
        return;
      }
    }
    this.tallies.lost += chunk.length;
    console.error(`[platform] could not store ${chunk.length} run events:`, describeError(failure));
  }

  /** A write's rows: those stored, and those it left out as naming a run outside their sender's environment. */
  private count(rows: number, stored: number): void {
    this.tallies.stored += stored;
    this.tallies.rejected += rows - stored;
  }

  /** Halves a chunk that failed because of some row until the rows at fault are alone; stores the rest. */
  private async isolate(chunk: string[]): Promise<{ rows: number; error: unknown }> {
    const half = Math.ceil(chunk.length / 2);
    let refused = { rows: 0, error: undefined as unknown };
    for (const part of [chunk.slice(0, half), chunk.slice(half)]) {
      try {
        this.count(part.length, await insertRunEvents(this.db, part));
      } catch (error) {
        const inner = part.length > 1 && isRowFault(error) ? await this.isolate(part) : { rows: part.length, error };
        refused = { rows: refused.rows + inner.rows, error: refused.error ?? inner.error };
      }
    }
    return refused;
  }
}

/** A row as the record jsonb_to_recordset reads, with the environment that sent it; undefined (logged) for one
 *  that cannot be written at all. */
function toRecord(environmentId: string, r: RunEventRow): string | undefined {
  try {
    return JSON.stringify({
      environment_id: environmentId,
      run_id: r.runId,
      kind: r.kind,
      trace_id: r.traceId ?? null,
      span_id: r.spanId ?? null,
      parent_span_id: r.parentSpanId ?? null,
      name: r.name,
      level: r.level ?? null,
      start_time: r.startTime.toISOString(),
      duration_ms: r.durationMs ?? null,
      attributes: r.attributes ?? {},
      is_error: r.isError ?? false,
    });
  } catch (error) {
    console.error("[platform] a run event that cannot be written was dropped:", describeError(error));
    return undefined;
  }
}

/** Data errors (22…), constraint violations (23…) and limits (54…, e.g. a jsonb too large) are a row's fault:
 *  the others would fail any row. The SQLSTATE is on the driver's error, the cause of Drizzle's. */
function isRowFault(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return ["22", "23", "54"].includes(code.slice(0, 2));
  }
  return false;
}

/** One statement with one parameter for the whole batch: building an insert of 500 rows value by value
 *  costs Drizzle more CPU than Postgres spends storing it. Only rows whose run is in the environment that sent
 *  them are stored: a project's key writes into its own runs' logs, not another project's. Returns how many. */
async function insertRunEvents(db: Database, records: string[]): Promise<number> {
  const inserted = await db.execute(sql`
    INSERT INTO trigger_platform.run_events (run_id, kind, trace_id, span_id, parent_span_id, name, level, start_time, duration_ms, attributes, is_error)
    SELECT r.run_id, r.kind, r.trace_id, r.span_id, r.parent_span_id, r.name, r.level, r.start_time, r.duration_ms, r.attributes, r.is_error
      FROM jsonb_to_recordset(${`[${records.join(",")}]`}::jsonb)
        AS r(environment_id text, run_id text, kind text, trace_id text, span_id text, parent_span_id text, name text, level text,
             start_time timestamptz, duration_ms int, attributes jsonb, is_error boolean)
      JOIN trigger_platform.runs ON runs.id = r.run_id AND runs.environment_id = r.environment_id`);
  return inserted.count;
}
