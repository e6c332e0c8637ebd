// The run engine: one object that wires the platform's systems (one file each in this folder) over shared
// resources, as Trigger.dev's own run engine does (internal-packages/run-engine/src/engine/index.ts and its
// systems/). Every change the API routes and the dashboard make goes through it (reads — run views, lists —
// read the tables directly); every method commits its change, then publishes it (wakes the CLI's held dequeue, sends run:notify, re-arms the timers, refreshes live pages).
//
//   triggering     trigger-run.ts, batches.ts          executing   dequeue.ts, attempts.ts, requeue.ts
//   waiting        waits.ts, waitpoints.ts             ending      finish-run.ts, run-ttl.ts, crash-recovery.ts
//   acting on runs run-actions.ts, run-metadata.ts     schedules   schedules.ts      workers   workers.ts
//   bulk actions   bulk-actions.ts (cancels and replays of many runs, a chunk per timer pass)
//   queues         queues.ts (pause, concurrency limit overrides; the dequeue obeys them)
//   streams        ../realtime/stream-log.ts (realtime streams' records), input-streams.ts (send, wait)
//   time           timers.ts runs each system's DueWork; available-runs.ts wakes dequeues as delays pass
//   retention      retention.ts (old finished runs deleted, whole trees, in small batches beside the timers)
import type { CreateBatchRequestBody, CreateScheduleOptions, UpdateScheduleOptions } from "@trigger.dev/core/v3/schemas";
import { sql } from "drizzle-orm";
import type { z } from "zod";
import type { Database } from "../db/client";
import { runs, type Run, type Schedule } from "../db/schema";
import type { ProjectEnvironment } from "../environments";
import { internalId } from "../ids";
import type { PlatformOptions } from "../platform-options";
import { StreamLog } from "../realtime/stream-log";
import { completeAttempt, heartbeat, heldLeaseRenewal, startAttempt, type Completion } from "./attempts";
import { alertDeliveriesDueWork } from "./alerts";
import { availableRunsDueWork } from "./available-runs";
import { addBatchItems, createBatch, retrieveBatch, type BatchItem } from "./batches";
import {
  abortBulkAction,
  bulkActionsDueWork,
  createBulkAction,
  DEFAULT_BULK_ACTION_TUNING,
  type BulkActionRequest,
  type BulkActionTuning,
} from "./bulk-actions";
import { recoverStalledRun, renewLeasesAfterStart, stalledRunsDueWork } from "./crash-recovery";
import { dequeueRuns, type Dequeued } from "./dequeue";
import type { EngineContext } from "./engine-context";
import { sendToInputStream, waitForInputStream, type InputStreamWaitBody } from "./input-streams";
import { plannerStatisticsDueWork } from "./planner-statistics";
import { listQueues, overrideQueueLimit, resetQueueLimit, retrieveQueue, setQueuePaused, type QueueRef } from "./queues";
import { addTags, cancelRun, replayRun, rescheduleRun, resetIdempotencyKey, type ReplayOptions } from "./run-actions";
import { flushMetadata, type Flushed } from "./run-metadata";
import { retentionDueWork } from "./retention";
import { noEffects, RunNotifier } from "./run-notifier";
import { expiredRunsDueWork } from "./run-ttl";
import {
  createSchedule,
  deleteSchedule,
  fireScheduleNow,
  schedulesDueWork,
  setScheduleActive,
  syncDeclarativeSchedules,
  updateSchedule,
} from "./schedules";
import { runWithLatestSnapshot } from "./snapshots";
import { PlatformTimers, type DueWork } from "./timers";
import { triggerTask, type TriggerBody } from "./trigger-run";
import { completeToken, createToken, dueWaitsDueWork, waitForDuration, waitForToken } from "./waits";
import { currentWorker, registerWorker, type WorkerView } from "./workers";

export type { EngineContext } from "./engine-context";
export type RunEngineOptions = { db: Database; options: PlatformOptions; origin?: string; bulkActions?: Partial<BulkActionTuning> };

export class RunEngine {
  readonly notifier = new RunNotifier();
  /** Shared by every system; `origin` is set once the platform listens. */
  readonly context: EngineContext;
  private readonly timers: PlatformTimers;
  /** How bulk actions are chunked; read at every chunk, so it may be changed while the engine runs (tests do). */
  readonly bulkActionTuning: BulkActionTuning;
  /** Realtime streams' records and their live readers; a new output key is published as a run change. */
  readonly streams: StreamLog;

  constructor({ db, options, origin = "", bulkActions }: RunEngineOptions) {
    this.context = { db, options, notifier: this.notifier, origin };
    this.bulkActionTuning = { ...DEFAULT_BULK_ACTION_TUNING, ...bulkActions };
    this.streams = new StreamLog(db, () => this.notifier.publish(noEffects()));
    const due: DueWork[] = [dueWaitsDueWork, availableRunsDueWork, expiredRunsDueWork, stalledRunsDueWork, schedulesDueWork].map((work) =>
      work(this.context),
    );
    due.push(bulkActionsDueWork(this.context, this.bulkActionTuning));
    due.push(alertDeliveriesDueWork(this.context));
    due.push(plannerStatisticsDueWork(this.context));
    if (options.retention) due.push(retentionDueWork(this.context, options.retention));
    this.timers = new PlatformTimers(this.notifier, due);
  }

  /** After a (re)start: leases begin afresh (the platform being down is no run's fault), timers catch up. */
  async start(): Promise<void> {
    await renewLeasesAfterStart(this.context);
    this.timers.start();
  }

  async stop(): Promise<void> {
    await this.timers.stop();
  }

  /** Called after every published change (the dashboard's live pages listen). */
  onChange(listener: () => void): () => void {
    return this.notifier.onChange(listener);
  }

  // Triggering
  /** `oneTimeUseToken`: the digest of a one-time-use public token, spent by this trigger. */
  trigger(env: ProjectEnvironment, taskIdentifier: string, body: TriggerBody, oneTimeUseToken?: string) {
    return triggerTask(this.context, env.id, taskIdentifier, body, oneTimeUseToken);
  }
  createBatch(env: ProjectEnvironment, body: z.output<typeof CreateBatchRequestBody>, oneTimeUseToken?: string) {
    return createBatch(this.context, env, body, oneTimeUseToken);
  }
  addBatchItems(env: ProjectEnvironment, batchFriendlyId: string, items: BatchItem[]) {
    return addBatchItems(this.context, env, batchFriendlyId, items);
  }
  retrieveBatch(env: ProjectEnvironment, batchFriendlyId: string) {
    return retrieveBatch(this.context, env, batchFriendlyId);
  }

  // Executing (the dev CLI)
  /** A build of the project's tasks; its schedules.task crons are synced, and queued runs may now start. */
  async registerWorker(env: ProjectEnvironment, metadata: Record<string, unknown> & { contentHash: string }) {
    const worker = await registerWorker(this.context, env.id, metadata);
    await syncDeclarativeSchedules(this.context, env, worker);
    this.notifier.wake(env.id);
    return worker;
  }
  currentWorker(env: ProjectEnvironment) {
    return currentWorker(this.context, env.id);
  }
  /**
   * Runs for the CLI's worker, held open up to `holdMs` while there are none (a long poll: a trigger, a retry
   * or a delay coming due answers it at once). A request from an older build gets nothing.
   */
  async dequeue(
    env: ProjectEnvironment,
    workerId: string,
    hold: { holdMs: number; signal?: AbortSignal } = { holdMs: 0 },
  ): Promise<Dequeued[]> {
    const deadline = performance.now() + hold.holdMs;
    for (;;) {
      const worker = await currentWorker(this.context, env.id);
      if (!worker || worker.id !== workerId) return [];
      const seen = this.notifier.wakeCount(env.id);
      const messages = await this.timedDequeue(env, worker);
      const left = deadline - performance.now();
      if (messages.length > 0 || left <= 0 || hold.signal?.aborted) return messages;
      // A wake that brought nothing for this CLI (a slot freed with no run waiting, another queue's run) goes
      // on holding: answering it empty would only make the CLI ask again at once, for another empty look.
      await this.notifier.waitForWork(env.id, left, hold.signal, seen);
      if (hold.signal?.aborted) return [];
    }
  }
  /** Told how long each dequeue took to choose its runs (the metrics' histogram). */
  onDequeueTimed: ((seconds: number) => void) | undefined;
  private async timedDequeue(env: ProjectEnvironment, worker: WorkerView) {
    const started = performance.now();
    const messages = await dequeueRuns(this.context, env, worker);
    this.onDequeueTimed?.((performance.now() - started) / 1000);
    return messages;
  }
  startAttempt(env: ProjectEnvironment, runId: string, snapshotId: string) {
    return startAttempt(this.context, env, runId, snapshotId);
  }
  completeAttempt(env: ProjectEnvironment, runId: string, completion: Completion) {
    return completeAttempt(this.context, env, runId, completion);
  }
  heartbeat(env: ProjectEnvironment, runId: string) {
    return heartbeat(this.context, env, runId);
  }
  /** The CLI's run controller polls the run it holds: that keeps its lease while its process is not silent too long. */
  async latestSnapshot(env: ProjectEnvironment, runId: string) {
    const found = await runWithLatestSnapshot(this.context.db, runId, false, heldLeaseRenewal(this.context, env, runId));
    return found && found.run.environmentId === env.id ? found : undefined;
  }
  /** The CLI died (its watchdog says so): its runs are requeued at once, or crash without attempts left. */
  async disconnect(env: ProjectEnvironment, runFriendlyIds: string[]): Promise<number> {
    let affected = 0;
    for (const friendlyId of runFriendlyIds) {
      const [run] = await this.context.db
        .select({ id: runs.id })
        .from(runs)
        .where(sql`${runs.id} = ${internalId(friendlyId)} AND ${runs.environmentId} = ${env.id}`);
      if (!run) continue;
      await recoverStalledRun(this.context, run.id, {
        cliGone: true,
        code: "TASK_RUN_CRASHED",
        message: "The dev CLI running it disconnected",
      });
      affected++;
    }
    return affected;
  }

  // Waiting
  waitForDuration(env: ProjectEnvironment, runFriendlyId: string, body: Parameters<typeof waitForDuration>[3]) {
    return waitForDuration(this.context, env, runFriendlyId, body);
  }
  createToken(env: ProjectEnvironment, body: Parameters<typeof createToken>[2]) {
    return createToken(this.context, env, body);
  }
  waitForToken(env: ProjectEnvironment, runFriendlyId: string, tokenFriendlyId: string) {
    return waitForToken(this.context, env, runFriendlyId, tokenFriendlyId);
  }
  completeToken(environmentId: string, tokenFriendlyId: string, data: unknown) {
    return completeToken(this.context, environmentId, tokenFriendlyId, data);
  }

  // Input streams (output streams' writes go straight to `streams`: they change no run state but its keys)
  sendInputStream(run: Run, streamId: string, data: unknown) {
    return sendToInputStream(this.context, this.streams, run, streamId, data);
  }
  waitForInputStream(env: ProjectEnvironment, run: Run, body: InputStreamWaitBody) {
    return waitForInputStream(this.context, env, run, body);
  }

  // Acting on runs
  cancel(run: Run) {
    return cancelRun(this.context, run);
  }
  replay(env: ProjectEnvironment, run: Run, options: ReplayOptions) {
    return replayRun(this.context, env, run, options);
  }
  reschedule(run: Run, delay: string | Date) {
    return rescheduleRun(this.context, run, delay);
  }
  addTags(run: Run, tags: string[]) {
    return addTags(this.context, run, tags);
  }
  resetIdempotencyKey(env: ProjectEnvironment, taskIdentifier: string, key: string) {
    return resetIdempotencyKey(this.context, env, taskIdentifier, key);
  }
  async updateMetadata(run: Run, flushed: Flushed) {
    const metadata = await flushMetadata(this.context.db, run.id, flushed);
    this.notifier.publish(noEffects());
    return metadata;
  }

  // Bulk actions (reads — retrieve, list — read the table: bulk-actions.ts)
  createBulkAction(env: ProjectEnvironment, request: BulkActionRequest) {
    return createBulkAction(this.context, env, request);
  }
  abortBulkAction(env: ProjectEnvironment, bulkActionFriendlyId: string) {
    return abortBulkAction(this.context, env, bulkActionFriendlyId);
  }

  // Schedules
  createSchedule(env: ProjectEnvironment, body: z.output<typeof CreateScheduleOptions>) {
    return createSchedule(this.context, env, body);
  }
  updateSchedule(schedule: Schedule, body: z.output<typeof UpdateScheduleOptions>) {
    return updateSchedule(this.context, schedule, body);
  }
  deleteSchedule(schedule: Schedule) {
    return deleteSchedule(this.context, schedule);
  }
  setScheduleActive(schedule: Schedule, active: boolean) {
    return setScheduleActive(this.context, schedule, active);
  }
  fireSchedule(schedule: Schedule) {
    return fireScheduleNow(this.context, schedule);
  }

  // Queues
  listQueues(env: ProjectEnvironment, page: { page: number; perPage: number }) {
    return listQueues(this.context, env, page);
  }
  /** The queue, or a 404 naming it. */
  retrieveQueue(env: ProjectEnvironment, queue: QueueRef) {
    return retrieveQueue(this.context, env, queue);
  }
  /** Pausing keeps the queue's runs queued; resuming hands them out again. */
  setQueuePaused(env: ProjectEnvironment, queue: QueueRef, paused: boolean) {
    return setQueuePaused(this.context, env, queue, paused);
  }
  overrideQueueLimit(env: ProjectEnvironment, queue: QueueRef, limit: number) {
    return overrideQueueLimit(this.context, env, queue, limit);
  }
  resetQueueLimit(env: ProjectEnvironment, queue: QueueRef) {
    return resetQueueLimit(this.context, env, queue);
  }
}
