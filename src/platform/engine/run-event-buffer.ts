// Log lines and spans arrive in many small OTLP requests while runs execute. They are answered at once and
// written in batches (every 200 ms or 500 rows), so telemetry does not compete with the runs for Postgres.
import type { Database } from "../../../db/client";
import { runEvents } from "../../../db/schema";
import { describeError } from "../../describe-error";

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
        await this.db
          .insert(runEvents)
          .values(batch.slice(i, i + this.maxRows))
          .catch((error: unknown) => console.error("[platform] could not store run events:", describeError(error)));
      }
    });
    return this.flushing;
  }
}
