// Log lines and spans arrive in many small OTLP requests while runs execute. They are answered at once and
// written in batches (every 200 ms or 500 rows), so telemetry does not compete with the runs for Postgres.
import { sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { runEvents } from "../db/schema";
import { describeError } from "../describe-error";

export type RunEventRow = typeof runEvents.$inferInsert;

export class RunEventBuffer {
  private rows: RunEventRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly everyMs = 200,
    private readonly maxRows = 500,
  ) {}

  add(rows: RunEventRow[]): void {
    this.rows.push(...rows);
    if (this.rows.length >= this.maxRows) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.everyMs);
  }

  /** Writes what is buffered; resolves when it (and any flush before it) is in the database. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.rows;
    this.rows = [];
    this.flushing = this.flushing.then(async () => {
      for (let i = 0; i < batch.length; i += this.maxRows) {
        await insertRunEvents(this.db, batch.slice(i, i + this.maxRows)).catch((error: unknown) =>
          console.error("[platform] could not store run events:", describeError(error)),
        );
      }
    });
    return this.flushing;
  }
}

/** One statement with one parameter for the whole batch: building an insert of 500 rows value by value
 *  costs Drizzle more CPU than Postgres spends storing it. */
async function insertRunEvents(db: Database, rows: RunEventRow[]): Promise<void> {
  const records = rows.map((r) => ({
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
  }));
  await db.execute(sql`
    INSERT INTO trigger_platform.run_events (run_id, kind, trace_id, span_id, parent_span_id, name, level, start_time, duration_ms, attributes, is_error)
    SELECT run_id, kind, trace_id, span_id, parent_span_id, name, level, start_time, duration_ms, attributes, is_error
      FROM jsonb_to_recordset(${JSON.stringify(records)}::jsonb)
        AS r(run_id text, kind text, trace_id text, span_id text, parent_span_id text, name text, level text,
             start_time timestamptz, duration_ms int, attributes jsonb, is_error boolean)`);
}
