// Attempts: the CLI starts one on a dequeued run (getting the TaskRunExecution its task process needs),
// beats its heart while it runs, and completes it. A failed attempt whose executor asked for a retry goes
// back to the queue until the retry's time (RETRY_QUEUED: durable, the CLI may even restart meanwhile);
// maxDuration exceeded is TIMED_OUT; anything else that failed for good is COMPLETED_WITH_ERRORS.
import type { TaskRunExecution, TaskRunExecutionResult } from "@trigger.dev/core/v3/schemas";
import { eq, sql, type SQL } from "drizzle-orm";
import type { z } from "zod";
import type { DatabaseOrTransaction } from "../db/client";
import { runs, type Run } from "../db/schema";
import type { ProjectEnvironment } from "../environments";
import { SILENT_PROCESS_LIMIT_MS, leaseFromNow, type EngineContext } from "./engine-context";
import { MACHINE } from "./dequeue";
import { retryOrCrash } from "./crash-recovery";
import { requeue } from "./requeue";
import { finishCancel, finishRun, isCancelPending } from "./finish-run";
import { applyFlushedMetadata, parseFlushedPacket } from "./run-metadata";
import { noEffects } from "./run-notifier";
import { jsonParam } from "./row-mapping";
import { changeRunWithSnapshot, latestSnapshot, runWithLatestSnapshot, runMessage, snapshotMessage } from "./snapshots";
import { IN_ATTEMPT_STATUSES } from "./run-statuses";
import { workerById, type WorkerView } from "./workers";
import { PlatformError } from "../platform-error";
import { taskProcessVariables } from "../environment-variables";

export type Completion = z.output<typeof TaskRunExecutionResult>;

/** The environment's run, locked, with its latest snapshot; 404 if the environment has no such run. */
async function lockEnvironmentRun(tx: DatabaseOrTransaction, env: ProjectEnvironment, runId: string) {
  const locked = await runWithLatestSnapshot(tx, runId, true);
  if (!locked || locked.run.environmentId !== env.id) throw new PlatformError(`No run ${runId}`, 404);
  return locked;
}

export async function startAttempt(ctx: EngineContext, env: ProjectEnvironment, runId: string, snapshotId: string) {
  const effects = noEffects();
  const result = await ctx.db.transaction(async (tx) => {
    const { run, snapshot: latest } = await lockEnvironmentRun(tx, env, runId);
    if (latest.friendlyId !== snapshotId && latest.id !== snapshotId)
      throw new PlatformError(`Snapshot ${snapshotId} is not the latest of run ${run.friendlyId} (${latest.friendlyId})`, 409);
    if (latest.executionStatus !== "PENDING_EXECUTING")
      throw new PlatformError(`Run ${run.friendlyId} is ${latest.executionStatus}, not waiting to start`, 409);
    const attemptNumber = run.attemptNumber + 1;
    return changeRunWithSnapshot(
      tx,
      run.id,
      sql`status = 'EXECUTING', attempt_number = ${attemptNumber}, started_at = coalesce(started_at, now()),
          lease_until = ${leaseFromNow(ctx)}, heartbeat_at = NULL, updated_at = now()`,
      "EXECUTING",
      `Attempt ${attemptNumber} started`,
      {
        alsoWith: sql`, attempt AS (INSERT INTO trigger_platform.attempts (run_id, number, status) SELECT id, attempt_number, 'EXECUTING' FROM changed ON CONFLICT DO NOTHING)`,
      },
    );
  });
  effects.startedRuns.push(result.run);
  ctx.notifier.publish(effects);
  const [worker, variables] = await Promise.all([
    result.run.workerId ? workerById(ctx, result.run.workerId) : undefined,
    taskProcessVariables(ctx.db, env, ctx.options),
  ]);
  return {
    run: runMessage(result.run),
    snapshot: snapshotMessage(result.snapshot),
    execution: buildExecution(env, worker, result.run),
    envVars: {
      // The project's variables, read at every start (the CLI applies them to each run, so a change needs no
      // restart); the platform's own below win a clash: they are how the task process reaches the platform.
      ...variables,
      TRIGGER_OTEL_EXPORTER_OTLP_ENDPOINT: `${ctx.origin}/otel`,
      // The run's OTLP exporters read it: their spans and log lines carry the project's key, as every call does.
      OTEL_EXPORTER_OTLP_HEADERS: `Authorization=${encodeURIComponent(`Bearer ${env.apiKey}`)}`,
      ...TELEMETRY_BATCHING,
      TRIGGER_API_URL: ctx.origin,
      TRIGGER_STREAM_URL: ctx.origin,
      TRIGGER_RUN_ID: result.run.friendlyId,
      TRIGGER_MACHINE_PRESET: MACHINE.name,
      // Three heartbeats fit in the timeout, so one late beat does not crash a healthy run.
      HEARTBEAT_INTERVAL_MS: String(Math.max(1_000, Math.floor(ctx.options.heartbeatTimeoutMs / 3))),
    },
  };
}

/** Spans and logs in batches (Trigger.dev's DEV_OTEL_BATCH_PROCESSING_ENABLED, with its defaults): otherwise the
 *  SDK sends one HTTP request per span and per log line, about 30 per order here, the largest share of the task
 *  processes' CPU. The SDK still flushes at the end of every attempt. Handed to every attempt as variables. */
export const TELEMETRY_BATCHING = {
  TRIGGER_OTEL_BATCH_PROCESSING_ENABLED: "1",
  TRIGGER_OTEL_SPAN_MAX_EXPORT_BATCH_SIZE: "64",
  TRIGGER_OTEL_SPAN_SCHEDULED_DELAY_MILLIS: "200",
  TRIGGER_OTEL_LOG_MAX_EXPORT_BATCH_SIZE: "64",
  TRIGGER_OTEL_LOG_SCHEDULED_DELAY_MILLIS: "200",
} as const;

export async function heartbeat(ctx: EngineContext, env: ProjectEnvironment, runId: string): Promise<void> {
  await ctx.db.execute(
    sql`UPDATE trigger_platform.runs SET lease_until = ${leaseFromNow(ctx)}, heartbeat_at = now()
         WHERE id = ${runId} AND environment_id = ${env.id} AND status <> 'CANCELED'`, // a pending cancel's lease is its deadline
  );
}

/** The CLI polled a run it holds (its run controller does, every 5 s, in the CLI's own process): while the
 *  run's task process has beaten (or, booting, started its attempt) within SILENT_PROCESS_LIMIT_MS, that renews
 *  the lease. A CLI that died polls no more, so the heartbeat timeout still finds it; a process that hung in a
 *  live CLI is found once it has been silent for the limit. The statement, to run beside the poll's read. */
export function heldLeaseRenewal(ctx: EngineContext, env: ProjectEnvironment, runId: string): SQL {
  return sql`UPDATE trigger_platform.runs r SET lease_until = ${leaseFromNow(ctx)}
         WHERE r.id = ${runId} AND r.environment_id = ${env.id} AND r.status IN ${IN_ATTEMPT_STATUSES}
           -- Written only once half the lease is gone: a poll every 5 s need not rewrite a fresh lease (and the runs' indexes).
           AND r.lease_until < now() + make_interval(secs => ${ctx.options.heartbeatTimeoutMs / 2000})
           AND (SELECT execution_status FROM trigger_platform.snapshots WHERE run_id = r.id ORDER BY seq DESC LIMIT 1)
               IN ('EXECUTING', 'EXECUTING_WITH_WAITPOINTS')
           AND coalesce(r.heartbeat_at, (SELECT started_at FROM trigger_platform.attempts a WHERE a.run_id = r.id AND a.number = r.attempt_number))
               > now() - make_interval(secs => ${SILENT_PROCESS_LIMIT_MS / 1000})`;
}

/** The metadata changes an attempt's completion carries (flushed at its end). */
async function applyCompletionMetadata(tx: DatabaseOrTransaction, runId: string, completion: Completion): Promise<void> {
  if (completion.flushedMetadata?.data)
    await applyFlushedMetadata(tx, runId, await parseFlushedPacket(completion.flushedMetadata.data, completion.flushedMetadata.dataType));
  else if (completion.metadata) await applyFlushedMetadata(tx, runId, completion.metadata);
}

export type AttemptStatus = "RUN_FINISHED" | "RUN_PENDING_CANCEL" | "RETRY_QUEUED" | "RETRY_IMMEDIATELY";

export async function completeAttempt(ctx: EngineContext, env: ProjectEnvironment, runId: string, completion: Completion) {
  const effects = noEffects();
  const result = await ctx.db.transaction(async (tx) => {
    const { run, snapshot: latest } = await lockEnvironmentRun(tx, env, runId);
    if (run.completedAt) {
      // Cancelled (or crashed) meanwhile: the outcome stands, the late completion is dropped.
      return { attemptStatus: "RUN_FINISHED" as AttemptStatus, run, snapshot: latest };
    }
    if (latest.executionStatus === "QUEUED" || latest.executionStatus === "PENDING_EXECUTING") {
      // This attempt was given up on (requeued) while its process lived on: its result no longer counts.
      return { attemptStatus: "RETRY_QUEUED" as AttemptStatus, run, snapshot: latest };
    }
    if (isCancelPending(run)) {
      // Cancelled while running: the CLI stopped it (its onCancel hooks have run, their metadata with it); now
      // it is finished.
      await applyCompletionMetadata(tx, run.id, completion);
      const done = await finishCancel(ctx, tx, effects, run, true);
      return { attemptStatus: "RUN_FINISHED" as AttemptStatus, ...done };
    }
    if (latest.executionStatus === "PENDING_CANCEL") {
      // We stopped it after its heartbeat stopped: the attempt failed; the run starts over (or crashes).
      const status = await retryOrCrash(ctx, tx, effects, run, {
        code: "TASK_RUN_HEARTBEAT_TIMEOUT",
        message: "The run stopped sending heartbeats",
      });
      const now = (await tx.select().from(runs).where(eq(runs.id, run.id)))[0]!;
      return { attemptStatus: status as AttemptStatus, run: now, snapshot: await latestSnapshot(tx, run.id) };
    }
    await applyCompletionMetadata(tx, run.id, completion);
    const attemptEnded = sql`UPDATE trigger_platform.attempts SET status = ${completion.ok ? "COMPLETED" : "FAILED"}, error = ${completion.ok ? null : jsonParam(completion.error)}::jsonb, completed_at = now()
                              WHERE run_id = ${run.id} AND number = ${run.attemptNumber}`;
    // When the attempt ends its run, both are written in one statement.
    const withAttemptEnded = sql`, attempt_ended AS (${attemptEnded})`;

    if (completion.ok) {
      const done = await finishRun(
        ctx,
        tx,
        effects,
        run,
        { status: "COMPLETED_SUCCESSFULLY", output: completion.output ?? null, outputType: completion.outputType, reportedByRunner: true },
        withAttemptEnded,
      );
      return { attemptStatus: "RUN_FINISHED" as AttemptStatus, ...done };
    }

    const error = completion.error as Record<string, unknown>;
    if (error.code === "MAX_DURATION_EXCEEDED") {
      const done = await finishRun(ctx, tx, effects, run, { status: "TIMED_OUT", error, reportedByRunner: true }, withAttemptEnded);
      return { attemptStatus: "RUN_FINISHED" as AttemptStatus, ...done };
    }
    const retry = completion.retry;
    const attemptsAllowed = run.maxAttempts ?? Number.POSITIVE_INFINITY; // otherwise the executor's retry config decides
    if (retry && run.attemptNumber < attemptsAllowed) {
      await tx.execute(attemptEnded);
      const queued = await requeue(
        tx,
        run,
        new Date(retry.timestamp),
        `Attempt ${run.attemptNumber} failed, retrying in ${Math.round(retry.delay)} ms`,
      );
      effects.timers.push(new Date(retry.timestamp));
      return { attemptStatus: "RETRY_QUEUED" as AttemptStatus, run: queued.run, snapshot: queued.snapshot };
    }
    const status = error.type === "INTERNAL_ERROR" && String(error.code).startsWith("TASK_PROCESS") ? "CRASHED" : "COMPLETED_WITH_ERRORS";
    const done = await finishRun(ctx, tx, effects, run, { status, error, reportedByRunner: true }, withAttemptEnded);
    return { attemptStatus: "RUN_FINISHED" as AttemptStatus, ...done };
  });
  ctx.notifier.publish(effects);
  // The run that just ended may free a slot for a queued one.
  ctx.notifier.wake(env.id);
  return { attemptStatus: result.attemptStatus, run: runMessage(result.run), snapshot: snapshotMessage(result.snapshot) };
}

type Execution = z.input<typeof TaskRunExecution>;

export function buildExecution(env: ProjectEnvironment, worker: WorkerView | undefined, run: Run): Execution {
  const task = worker?.tasks.get(run.taskIdentifier);
  const now = new Date();
  return {
    attempt: { number: run.attemptNumber, startedAt: now },
    run: {
      id: run.friendlyId,
      payload: run.payload ?? "",
      payloadType: run.payloadType,
      tags: run.tags,
      isTest: run.isTest,
      isReplay: run.replayedFromId !== null,
      createdAt: run.createdAt,
      startedAt: run.startedAt ?? now,
      ...(run.idempotencyKeyOptions
        ? {
            idempotencyKey: run.idempotencyKeyOptions.key,
            idempotencyKeyScope: run.idempotencyKeyOptions.scope as "run" | "attempt" | "global",
          }
        : {}),
      ...(run.maxAttempts ? { maxAttempts: run.maxAttempts } : {}),
      version: worker?.version,
      ...(run.metadata && run.metadataType === "application/json" ? { metadata: JSON.parse(run.metadata) as Record<string, never> } : {}),
      ...(run.maxDurationSeconds ? { maxDuration: run.maxDurationSeconds } : {}),
      durationMs: 0,
      costInCents: 0,
      baseCostInCents: 0,
      ...(run.parentRunId ? { parentTaskRunId: `run_${run.parentRunId}` } : {}),
      ...(run.rootRunId ? { rootTaskRunId: `run_${run.rootRunId}` } : {}),
      traceContext: run.traceContext,
      // The SDK's input streams on()/once() refuse to run without "v2". Only that gate reads it: which
      // transport a stream uses is what the platform answers when it is made (plain HTTP, streams-api.ts).
      realtimeStreamsVersion: "v2",
    },
    task: { id: run.taskIdentifier, filePath: task?.filePath ?? "", exportName: task?.exportName ?? run.taskIdentifier },
    queue: { id: run.queue, name: run.queue },
    environment: { id: env.id, slug: env.slug, type: "DEVELOPMENT" },
    organization: { id: "org_local", slug: "local", name: "Local" },
    project: { id: env.projectId, ref: env.projectRef, slug: env.projectRef, name: env.projectName },
    machine: MACHINE,
    ...(run.batchId ? { batch: { id: `batch_${run.batchId}` } } : {}),
  };
}
