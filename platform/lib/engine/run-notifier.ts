// Tells the CLI about changes as they happen instead of letting it poll: wakes the dequeue requests held
// open for an environment, and sends `run:notify` over socket.io to the CLI that runs a run, so a waiting
// run resumes at once (without it the CLI polls every 5 s).
import { EventEmitter } from "node:events";
import type { Namespace } from "socket.io";
import type { Run } from "../db/schema";

export type Effects = {
  wakeEnvironments: Set<string>;
  notifyRuns: Set<string>;
  /** Runs resumed by their waitpoints: told again a moment later (see publish). */
  resumedRuns: Set<string>;
  timers: Date[];
  /** Runs that ended, and attempts that started, in this change (as they are now): for the metrics. */
  finishedRuns: Run[];
  startedRuns: Run[];
};

/** Rows deleted, by table name. */
export type DeletedRows = Record<string, number>;

/**
 * When a resumed run is told again. The CLI handles one snapshot change of a run at a time and drops a
 * notification that arrives meanwhile: a run that blocks (EXECUTING_WITH_WAITPOINTS, whose handling flushes
 * the task process) and is resumed a moment later would otherwise wait for the CLI's 5 s poll. A repeat
 * about an unchanged snapshot costs the CLI one read.
 */
export const RESUME_REPEATS_MS = [300, 1_200];

export const noEffects = (): Effects => ({
  wakeEnvironments: new Set(),
  notifyRuns: new Set(),
  resumedRuns: new Set(),
  timers: [],
  finishedRuns: [],
  startedRuns: [],
});

export class RunNotifier {
  private readonly wakeups = new EventEmitter();
  private devWorkers: Namespace | undefined;
  private readonly wakeCounts = new Map<string, number>();

  constructor() {
    this.wakeups.setMaxListeners(0);
  }

  attach(namespace: Namespace): void {
    this.devWorkers = namespace;
  }

  /** Called after every published change (the dashboard's live pages listen). */
  onChange(listener: () => void): () => void {
    this.wakeups.on(CHANGE_EVENT, listener);
    return () => this.wakeups.off(CHANGE_EVENT, listener);
  }

  /** Called with what each committed transaction changed (the metrics count from it). */
  onPublished(listener: (effects: Effects) => void): () => void {
    this.wakeups.on(PUBLISHED_EVENT, listener);
    return () => this.wakeups.off(PUBLISHED_EVENT, listener);
  }

  /** Called with the rows the retention sweep deleted, per table, after each of its transactions commits. */
  onRowsDeleted(listener: (counts: DeletedRows) => void): () => void {
    this.wakeups.on(DELETED_EVENT, listener);
    return () => this.wakeups.off(DELETED_EVENT, listener);
  }

  rowsDeleted(counts: DeletedRows): void {
    this.wakeups.emit(DELETED_EVENT, counts);
  }

  /** Publishes what a committed transaction changed. */
  publish(effects: Effects): void {
    this.wakeups.emit(CHANGE_EVENT);
    if (effects.finishedRuns.length > 0 || effects.startedRuns.length > 0) this.wakeups.emit(PUBLISHED_EVENT, effects);
    for (const at of effects.timers) this.timerChanged(at);
    for (const environmentId of effects.wakeEnvironments) this.wake(environmentId);
    for (const runFriendlyId of effects.notifyRuns) this.notifyRun(runFriendlyId);
    for (const runFriendlyId of effects.resumedRuns) {
      for (const ms of RESUME_REPEATS_MS) setTimeout(() => this.notifyRun(runFriendlyId), ms).unref();
    }
  }

  private notifyRun(runFriendlyId: string): void {
    this.devWorkers?.to(roomFor(runFriendlyId)).emit("run:notify", { version: "1", run: { friendlyId: runFriendlyId } });
  }

  /** Something is now due at `at` (a wait, a delay, a retry, a timeout): the timers re-arm if it is sooner. */
  timerChanged(at: Date): void {
    this.wakeups.emit(TIMER_EVENT, at);
  }

  onTimerChanged(listener: (at: Date) => void): () => void {
    this.wakeups.on(TIMER_EVENT, listener);
    return () => this.wakeups.off(TIMER_EVENT, listener);
  }

  wake(environmentId: string): void {
    this.wakeCounts.set(environmentId, this.wakeCount(environmentId) + 1);
    this.wakeups.emit(environmentId);
  }

  /** How often the environment was woken so far: read it before looking for work, pass it to waitForWork. */
  wakeCount(environmentId: string): number {
    return this.wakeCounts.get(environmentId) ?? 0;
  }

  /**
   * Resolves when the environment is woken, after `ms`, or when `signal` aborts, whichever is first — at
   * once if it was woken since `seen` (work that arrived while the caller was looking would be missed).
   */
  waitForWork(environmentId: string, ms: number, signal?: AbortSignal, seen?: number): Promise<void> {
    if (seen !== undefined && this.wakeCount(environmentId) !== seen) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeups.off(environmentId, done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeups.once(environmentId, done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}

const TIMER_EVENT = "\u0000timer";
const CHANGE_EVENT = "\u0000change";
const PUBLISHED_EVENT = "\u0000published";
const DELETED_EVENT = "\u0000deleted";

export const roomFor = (runFriendlyId: string) => `run:${runFriendlyId}`;
