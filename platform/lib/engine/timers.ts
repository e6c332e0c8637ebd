// The one timer loop of the engine. Each system brings its own due work (waits.ts: DATETIME waits and token
// timeouts; available-runs.ts: delayed and retrying runs becoming available; run-ttl.ts: queued runs
// expiring; crash-recovery.ts: runs whose heartbeat stopped; schedules.ts: cron ticks). The loop sleeps
// until the soonest due moment in the database (at most `maxSleepMs`) and is re-armed when something
// sooner is created, so a due wait resumes within milliseconds instead of on a polling interval. All state
// is in Postgres: after a restart the first pass catches up on whatever came due while the platform was down.
import { sql, type SQL } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { DatabaseOrTransaction } from "../db/client";
import { describeError } from "../describe-error";
import type { RunNotifier } from "./run-notifier";

/** How many due items one pass handles per kind of work (the next pass follows at once). */
export const DUE_BATCH = 100;

/** A system's work that comes due: when next, and what to do (`previousPass`: when the last pass began). */
/** The earliest `column` of the rows `where` picks: when a kind of work next comes due (null: never). */
export async function earliest(db: DatabaseOrTransaction, table: PgTable, column: PgColumn, where: SQL | undefined): Promise<Date | null> {
  const [row] = await db
    .select({ at: sql<Date | null>`min(${column})` })
    .from(table)
    .where(where);
  return row?.at ? new Date(row.at) : null;
}

export type DueWork = {
  name: string;
  nextDue: () => Promise<Date | null>;
  run: (previousPass: Date) => Promise<void>;
  /** Work that goes on beside the loop (a long sweep) ends here when the timers stop. */
  stop?: () => Promise<void>;
};

export class PlatformTimers {
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private running = false;
  private again = false;
  private stopped = false;
  private lastPass = new Date(0);
  private readonly unsubscribe: () => void;
  private readonly work: DueWork[];

  constructor(
    notifier: RunNotifier,
    work: DueWork[],
    private readonly maxSleepMs = 1_000,
  ) {
    this.work = work;
    this.unsubscribe = notifier.onTimerChanged((at) => this.arm(at.getTime()));
  }

  start(): void {
    this.arm(Date.now());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    clearTimeout(this.timer);
    while (this.running) await new Promise((r) => setTimeout(r, 10));
    await Promise.all(this.work.map((w) => w.stop?.()));
  }

  private arm(at: number): void {
    if (this.stopped) return;
    if (this.running) {
      if (at <= Date.now() + 1) this.again = true;
      else this.rearm(at);
      return;
    }
    this.rearm(at);
  }

  private rearm(at: number): void {
    // A pass that was running when stop() came must not arm the next one (the database may be closed by then).
    if (this.stopped || (at >= this.armedFor && this.timer)) return;
    clearTimeout(this.timer);
    this.armedFor = at;
    this.timer = setTimeout(() => void this.pass(), Math.max(0, at - Date.now()));
  }

  private async pass(): Promise<void> {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    this.running = true;
    const passStarted = new Date();
    try {
      for (const work of this.work) {
        try {
          await work.run(this.lastPass);
        } catch (error) {
          console.error(`[platform timers] ${work.name}:`, describeError(error));
        }
      }
      this.lastPass = passStarted;
      const dues = await Promise.all(this.work.map((w) => w.nextDue().catch(() => null)));
      const next = Math.min(Date.now() + this.maxSleepMs, ...dues.filter((d): d is Date => d !== null).map((d) => d.getTime()));
      this.running = false;
      this.rearm(this.again ? Date.now() : next);
      this.again = false;
    } finally {
      this.running = false;
    }
  }
}
