// Everything that happens at a time rather than on a request: DATETIME waits come due, tokens time out,
// delayed and retrying runs become available (waking the CLI's held dequeue), queued runs expire (ttl),
// runs whose heartbeat stopped are retried or crashed, schedules fire. The timer sleeps until the next
// due moment in the database (at most `maxSleepMs`) and is re-armed when something sooner is created, so
// a due wait resumes within a few milliseconds instead of on a polling interval. All state is in Postgres:
// after a restart the first pass catches up on whatever came due while the platform was down.
import { and, asc, eq, gt, inArray, isNotNull, lte, sql } from "drizzle-orm";
import { describeError } from "../describe-error";
import { runs, waitpoints } from "../db/schema";
import type { PlatformContext } from "../platform-context";
import { recoverStalledRun } from "./crash-recovery";
import { finishRun } from "./finish-run";
import { noEffects } from "./run-notifier";
import { lockRun } from "./snapshots";
import { completeWaitpoint } from "./waitpoints";
import { WAITPOINT_TIMEOUT_ERROR_CODE } from "./waits";

const BATCH = 100;

export type DueWork = { name: string; nextDue: () => Promise<Date | null>; run: () => Promise<void> };

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
    ctx: PlatformContext,
    extraWork: DueWork[] = [],
    private readonly maxSleepMs = 1_000,
  ) {
    this.work = [...coreWork(ctx, () => this.lastPass), ...extraWork];
    this.unsubscribe = ctx.notifier.onTimerChanged((at) => this.arm(at.getTime()));
  }

  start(): void {
    this.arm(Date.now());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    clearTimeout(this.timer);
    while (this.running) await new Promise((r) => setTimeout(r, 10));
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
    if (at >= this.armedFor && this.timer) return;
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
          await work.run();
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

function coreWork(ctx: PlatformContext, lastPass: () => Date): DueWork[] {
  const { db } = ctx;
  return [
    {
      name: "waits and token timeouts",
      nextDue: async () => {
        const [row] = await db
          .select({ at: sql<Date | null>`min(${waitpoints.completeAfter})` })
          .from(waitpoints)
          .where(and(eq(waitpoints.status, "PENDING"), isNotNull(waitpoints.completeAfter)));
        return row?.at ? new Date(row.at) : null;
      },
      run: async () => {
        const due = await db
          .select()
          .from(waitpoints)
          .where(and(eq(waitpoints.status, "PENDING"), lte(waitpoints.completeAfter, sql`now()`)))
          .orderBy(asc(waitpoints.completeAfter))
          .limit(BATCH);
        for (const waitpoint of due) {
          const effects = noEffects();
          await db.transaction((tx) =>
            completeWaitpoint(
              tx,
              effects,
              waitpoint.id,
              waitpoint.type === "MANUAL"
                ? { output: JSON.stringify({ message: `Waitpoint timed out at ${waitpoint.completeAfter?.toISOString()}`, name: WAITPOINT_TIMEOUT_ERROR_CODE }), outputType: "application/json", isError: true }
                : { output: null, outputType: null, isError: false },
            ),
          );
          ctx.notifier.publish(effects);
        }
      },
    },
    {
      name: "delayed and retrying runs",
      nextDue: async () => {
        const [row] = await db.select({ at: sql<Date | null>`min(${runs.availableAt})` }).from(runs).where(sql`${runs.availableAt} > now()`);
        return row?.at ? new Date(row.at) : null;
      },
      run: async () => {
        // Runs that became available since the last pass: wake the CLI's held dequeue for their environment.
        const woken = await db
          .selectDistinct({ environmentId: runs.environmentId })
          .from(runs)
          .where(and(isNotNull(runs.availableAt), lte(runs.availableAt, sql`now()`), gt(runs.availableAt, lastPass())));
        for (const { environmentId } of woken) ctx.notifier.wake(environmentId);
        await db
          .update(runs)
          .set({ status: "PENDING", updatedAt: sql`now()` })
          .where(and(eq(runs.status, "DELAYED"), lte(runs.availableAt, sql`now()`)));
      },
    },
    {
      name: "expired runs",
      nextDue: async () => {
        const [row] = await db.select({ at: sql<Date | null>`min(${runs.expireAt})` }).from(runs).where(and(isNotNull(runs.availableAt), isNotNull(runs.expireAt)));
        return row?.at ? new Date(row.at) : null;
      },
      run: async () => {
        const due = await db.select().from(runs).where(and(isNotNull(runs.availableAt), lte(runs.expireAt, sql`now()`))).limit(BATCH);
        for (const run of due) {
          const effects = noEffects();
          await db.transaction(async (tx) => {
            const locked = await lockRun(tx, run.id);
            if (locked && locked.availableAt) await finishRun(ctx, tx, effects, locked, { status: "EXPIRED", error: { type: "STRING_ERROR", raw: `Run expired: not started within its ttl (${locked.ttl})` } });
          });
          ctx.notifier.publish(effects);
        }
      },
    },
    {
      name: "stalled runs",
      nextDue: async () => {
        const [row] = await db.select({ at: sql<Date | null>`min(${runs.leaseUntil})` }).from(runs).where(isNotNull(runs.leaseUntil));
        return row?.at ? new Date(row.at) : null;
      },
      run: async () => {
        const stalled = await db
          .select({ id: runs.id })
          .from(runs)
          .where(and(isNotNull(runs.leaseUntil), lte(runs.leaseUntil, sql`now()`), inArray(runs.status, ["DEQUEUED", "EXECUTING", "WAITING_TO_RESUME"])))
          .limit(BATCH);
        for (const { id } of stalled) await recoverStalledRun(ctx, id, { cliGone: false, code: "TASK_RUN_HEARTBEAT_TIMEOUT", message: "The run stopped sending heartbeats (its CLI or task process died)" });
      },
    },
  ];
}

