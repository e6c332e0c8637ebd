// The local Trigger.dev platform's state (schema "trigger_platform"): projects and their dev environments,
// background workers (versions of the tasks' code), runs with their execution snapshots and attempts,
// waitpoints (what a run waits for), batches, schedules, and each run's logs and spans. It knows nothing of
// orders: any Trigger.dev project can point its CLI at it.
import { sql } from "drizzle-orm";
import { bigserial, boolean, index, integer, jsonb, pgSchema, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

export const triggerPlatform = pgSchema("trigger_platform");

const at = (name: string) => timestamp(name, { withTimezone: true });
const createdAt = () => at("created_at").notNull().defaultNow();

export const projects = triggerPlatform.table("projects", {
  ref: text("ref").primaryKey(),
  id: text("id").notNull().unique(),
  name: text("name").notNull(),
  createdAt: createdAt(),
});

export const environments = triggerPlatform.table("environments", {
  id: text("id").primaryKey(),
  projectRef: text("project_ref")
    .notNull()
    .references(() => projects.ref),
  slug: text("slug").notNull(),
  apiKey: text("api_key").notNull().unique(),
  createdAt: createdAt(),
});

/** Payloads and outputs too large to travel inline (the SDK offloads them from 128 KB): written and read through
 *  presigned URLs, kept in Postgres so that nothing is lost with a restart. */
export const packets = triggerPlatform.table(
  "packets",
  {
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id),
    key: text("key").notNull(),
    data: text("data").notNull(),
    dataType: text("data_type").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.environmentId, t.key] })],
);

/** The variables set with the SDK's envvars.* (Trigger.dev's dashboard variables), handed to the environment's
 *  task processes. A secret one's value is never read back through the API (it is stored as given: this
 *  database is the local machine's own). */
export const environmentVariables = triggerPlatform.table(
  "environment_variables",
  {
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id),
    name: text("name").notNull(),
    value: text("value").notNull(),
    isSecret: boolean("is_secret").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: at("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.environmentId, t.name] })],
);

/** A version of a project's task code, registered by `trigger.dev dev` each time it builds. */
export const workers = triggerPlatform.table(
  "workers",
  {
    id: text("id").primaryKey(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id),
    version: text("version").notNull(),
    contentHash: text("content_hash").notNull(),
    /** The CLI's BackgroundWorkerMetadata: tasks (ids, files, retry, queue, schedule), queues, … */
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("workers_environment_idx").on(t.environmentId, t.createdAt)],
);

export const runs = triggerPlatform.table(
  "runs",
  {
    id: text("id").primaryKey(),
    friendlyId: text("friendly_id").notNull().unique(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id),
    taskIdentifier: text("task_identifier").notNull(),
    /** Trigger.dev's engine status (TaskRunStatus): PENDING, DELAYED, EXECUTING, COMPLETED_SUCCESSFULLY, … */
    status: text("status").notNull(),
    payload: text("payload"),
    payloadType: text("payload_type").notNull().default("application/json"),
    output: text("output"),
    outputType: text("output_type"),
    error: jsonb("error").$type<Record<string, unknown>>(),
    idempotencyKey: text("idempotency_key"),
    idempotencyKeyExpiresAt: at("idempotency_key_expires_at"),
    /** The key as the caller wrote it, and its scope, for display and reset. */
    idempotencyKeyOptions: jsonb("idempotency_key_options").$type<{ key: string; scope: string }>(),
    tags: text("tags")
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    metadata: text("metadata"),
    metadataType: text("metadata_type").notNull().default("application/json"),
    queue: text("queue").notNull(),
    concurrencyKey: text("concurrency_key"),
    maxAttempts: integer("max_attempts"),
    attemptNumber: integer("attempt_number").notNull().default(0),
    maxDurationSeconds: integer("max_duration_seconds"),
    delayUntil: at("delay_until"),
    ttl: text("ttl"),
    expireAt: at("expire_at"),
    /** When the run may be dequeued next (a retry's backoff, a delay); null while it is not queued. */
    availableAt: at("available_at"),
    /** Trigger.dev's priority, in ms: the run is dequeued as if it had become available this much earlier. */
    priorityMs: integer("priority_ms").notNull().default(0),
    /** While the run is DELAYED, triggers with this debounce key push it later instead of making a run. */
    debounceKey: text("debounce_key"),
    /** While executing: when the run counts as crashed unless a heartbeat arrives first. */
    leaseUntil: at("lease_until"),
    /** The current attempt's last heartbeat; null until its task process has booted and sent one. */
    heartbeatAt: at("heartbeat_at"),
    lockedToWorkerId: text("locked_to_worker_id"),
    workerId: text("worker_id"),
    parentRunId: text("parent_run_id"),
    rootRunId: text("root_run_id"),
    depth: integer("depth").notNull().default(0),
    resumeParentOnCompletion: boolean("resume_parent_on_completion").notNull().default(false),
    batchId: text("batch_id"),
    batchIndex: integer("batch_index"),
    scheduleId: text("schedule_id"),
    isTest: boolean("is_test").notNull().default(false),
    replayedFromId: text("replayed_from_id"),
    traceContext: jsonb("trace_context").$type<Record<string, unknown>>().notNull().default({}),
    traceId: text("trace_id").notNull(),
    spanId: text("span_id").notNull(),
    createdAt: createdAt(),
    updatedAt: at("updated_at").notNull().defaultNow(),
    startedAt: at("started_at"),
    completedAt: at("completed_at"),
  },
  (t) => [
    index("runs_environment_created_idx").on(t.environmentId, t.createdAt, t.id),
    // The runs of an environment that ended since a moment, and the live ones (null): the Metrics page's last hour.
    index("runs_environment_completed_idx").on(t.environmentId, t.completedAt),
    index("runs_queued_idx")
      .on(t.environmentId, t.availableAt)
      .where(sql`${t.availableAt} IS NOT NULL`),
    // The timer loop's questions across environments, asked every second: when the next delayed or retrying run
    // comes due, and which queued run expires next. Without these they read every run waiting, and runs wait long:
    // one delayed a day for each of 1.5 events a second is 130,000 waiting at once.
    index("runs_available_idx")
      .on(t.availableAt)
      .where(sql`${t.availableAt} IS NOT NULL`),
    index("runs_expiring_idx")
      .on(t.expireAt)
      .where(sql`${t.availableAt} IS NOT NULL AND ${t.expireAt} IS NOT NULL`),
    index("runs_task_idx").on(t.environmentId, t.taskIdentifier, t.createdAt),
    index("runs_tags_idx").using("gin", t.tags),
    index("runs_parent_idx").on(t.parentRunId),
    // A tree's runs, found by its root (the retention sweep deletes whole trees).
    index("runs_root_idx")
      .on(t.rootRunId)
      .where(sql`${t.rootRunId} IS NOT NULL`),
    // Runs whose payload is a stored packet (a replay shares its original's): a packet goes with its last run.
    index("runs_stored_payload_idx")
      .on(t.environmentId, t.payload)
      .where(sql`${t.payloadType} = 'application/store'`),
    index("runs_batch_idx").on(t.batchId),
    index("runs_lease_idx")
      .on(t.leaseUntil)
      .where(sql`${t.leaseUntil} IS NOT NULL`),
    index("runs_status_idx").on(t.environmentId, t.status, t.createdAt),
    // One live holder per idempotency key and task in an environment (a FAILED run gives its key up).
    uniqueIndex("runs_idempotency_key_unique").on(t.environmentId, t.taskIdentifier, t.idempotencyKey),
    // One holder per debounce key and task; a run that is no longer DELAYED gives the key up when next asked.
    uniqueIndex("runs_debounce_key_unique").on(t.environmentId, t.taskIdentifier, t.debounceKey),
  ],
);

/** Every state change of a run is a new snapshot; the CLI acts only on snapshots it has not seen. */
export const snapshots = triggerPlatform.table(
  "snapshots",
  {
    seq: bigserial("seq", { mode: "number" }).primaryKey(),
    id: text("id").notNull().unique(),
    friendlyId: text("friendly_id").notNull().unique(),
    runId: text("run_id")
      .notNull()
      .references(() => runs.id),
    executionStatus: text("execution_status").notNull(),
    description: text("description").notNull(),
    attemptNumber: integer("attempt_number"),
    /** The CompletedWaitpoint messages this snapshot hands to the task process. */
    completedWaitpoints: jsonb("completed_waitpoints").$type<Record<string, unknown>[]>().notNull().default([]),
    createdAt: createdAt(),
  },
  (t) => [index("snapshots_run_idx").on(t.runId, t.seq)],
);

export const attempts = triggerPlatform.table(
  "attempts",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runs.id),
    number: integer("number").notNull(),
    status: text("status").notNull(),
    error: jsonb("error").$type<Record<string, unknown>>(),
    startedAt: at("started_at").notNull().defaultNow(),
    completedAt: at("completed_at"),
  },
  (t) => [primaryKey({ columns: [t.runId, t.number] })],
);

/** Something a run can wait for: another run, a batch, a moment in time, or a token completed by hand. */
export const waitpoints = triggerPlatform.table(
  "waitpoints",
  {
    id: text("id").primaryKey(),
    friendlyId: text("friendly_id").notNull().unique(),
    environmentId: text("environment_id").notNull(),
    type: text("type").$type<"RUN" | "DATETIME" | "MANUAL" | "BATCH">().notNull(),
    status: text("status").$type<"PENDING" | "COMPLETED">().notNull().default("PENDING"),
    completedAt: at("completed_at"),
    /** DATETIME: when it completes by itself. MANUAL: when it times out (completing with an error). */
    completeAfter: at("complete_after"),
    output: text("output"),
    outputType: text("output_type"),
    outputIsError: boolean("output_is_error").notNull().default(false),
    completedByRunId: text("completed_by_run_id"),
    completedByBatchId: text("completed_by_batch_id"),
    idempotencyKey: text("idempotency_key"),
    idempotencyKeyExpiresAt: at("idempotency_key_expires_at"),
    tags: text("tags")
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    createdAt: createdAt(),
  },
  (t) => [
    index("waitpoints_due_idx")
      .on(t.completeAfter)
      .where(sql`${t.status} = 'PENDING'`),
    index("waitpoints_run_idx").on(t.completedByRunId),
    index("waitpoints_batch_idx")
      .on(t.completedByBatchId)
      .where(sql`${t.completedByBatchId} IS NOT NULL`),
    uniqueIndex("waitpoints_idempotency_unique").on(t.environmentId, t.idempotencyKey),
  ],
);

/** A run blocked on a waitpoint; the run resumes when all its blocking waitpoints are completed. */
export const runWaitpoints = triggerPlatform.table(
  "run_waitpoints",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runs.id),
    waitpointId: text("waitpoint_id")
      .notNull()
      .references(() => waitpoints.id),
    batchId: text("batch_id"),
    batchIndex: integer("batch_index"),
    /** Set once the completion has been handed to the run in a snapshot. */
    deliveredAt: at("delivered_at"),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.waitpointId] }), index("run_waitpoints_waitpoint_idx").on(t.waitpointId)],
);

export const batches = triggerPlatform.table("batches", {
  id: text("id").primaryKey(),
  friendlyId: text("friendly_id").notNull().unique(),
  environmentId: text("environment_id").notNull(),
  parentRunId: text("parent_run_id"),
  resumeParentOnCompletion: boolean("resume_parent_on_completion").notNull().default(false),
  expectedCount: integer("expected_count").notNull(),
  status: text("status").$type<"PENDING" | "PROCESSING" | "COMPLETED">().notNull().default("PENDING"),
  idempotencyKey: text("idempotency_key"),
  createdAt: createdAt(),
  completedAt: at("completed_at"),
});

/** A batch's items: which run stands for each index. Usually a run made for the item (whose own batch_id is
 *  this batch), but an item whose idempotency key names an existing run is that run, whatever batch made it. */
export const batchItems = triggerPlatform.table(
  "batch_items",
  {
    batchId: text("batch_id").notNull(),
    index: integer("index").notNull(),
    runId: text("run_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.batchId, t.index] }), index("batch_items_run_idx").on(t.runId)],
);

export const schedules = triggerPlatform.table(
  "schedules",
  {
    id: text("id").primaryKey(),
    friendlyId: text("friendly_id").notNull().unique(),
    environmentId: text("environment_id").notNull(),
    taskIdentifier: text("task_identifier").notNull(),
    type: text("type").$type<"DECLARATIVE" | "IMPERATIVE">().notNull(),
    cron: text("cron").notNull(),
    timezone: text("timezone").notNull().default("UTC"),
    externalId: text("external_id"),
    deduplicationKey: text("deduplication_key"),
    active: boolean("active").notNull().default(true),
    /** The tick this schedule fires next; advanced in the same transaction that triggers the run. */
    nextRunAt: at("next_run_at"),
    lastRunAt: at("last_run_at"),
    createdAt: createdAt(),
    updatedAt: at("updated_at").notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("schedules_dedup_unique").on(t.environmentId, t.deduplicationKey),
    index("schedules_due_idx")
      .on(t.nextRunAt)
      .where(sql`${t.active}`),
  ],
);

/** A queue's state set through the API (queues.pause/resume, queues.overrideConcurrencyLimit), per environment
 *  and queue. A queue without a row runs, at the limit its code declares. */
export const queueSettings = triggerPlatform.table(
  "queue_settings",
  {
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id),
    /** The queue's full name, as runs carry it: "task/<id>" for a task's own queue, else the custom queue's. */
    queue: text("queue").notNull(),
    paused: boolean("paused").notNull().default(false),
    /** The limit that replaces the code's until reset; null: the code's applies. */
    concurrencyLimitOverride: integer("concurrency_limit_override"),
    overriddenAt: at("overridden_at"),
    updatedAt: at("updated_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.environmentId, t.queue] })],
);

/** One-time-use public access tokens (by digest) that have triggered something: a second use is refused. */
export const spentPublicTokens = triggerPlatform.table("spent_public_tokens", {
  digest: text("digest").primaryKey(),
  spentAt: createdAt(),
});

/** Alerts of runs that ended badly, one per run and channel (the dedup), delivered at least once: made in
 *  the transaction that ended the run, sent and retried by the engine's timers; the table is the delivery log. */
export const alertDeliveries = triggerPlatform.table(
  "alert_deliveries",
  {
    id: text("id").primaryKey(),
    runId: text("run_id").notNull(),
    /** Which configured channel: "webhook:<url>" or "email:<addresses>". */
    channel: text("channel").notNull(),
    status: text("status").$type<"pending" | "delivered" | "failed">().notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: at("next_attempt_at").notNull().defaultNow(),
    lastError: text("last_error"),
    deliveredAt: at("delivered_at"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("alert_deliveries_run_channel_unique").on(t.runId, t.channel),
    index("alert_deliveries_due_idx")
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
  ],
);

/** Log lines and spans the task processes export over OTLP, per run. */
export const runEvents = triggerPlatform.table(
  "run_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    runId: text("run_id").notNull(),
    kind: text("kind").$type<"log" | "span">().notNull(),
    traceId: text("trace_id"),
    spanId: text("span_id"),
    parentSpanId: text("parent_span_id"),
    name: text("name").notNull(),
    level: text("level"),
    startTime: at("start_time").notNull(),
    durationMs: integer("duration_ms"),
    attributes: jsonb("attributes").$type<Record<string, unknown>>().notNull().default({}),
    isError: boolean("is_error").notNull().default(false),
  },
  (t) => [index("run_events_run_idx").on(t.runId, t.startTime)],
);

/** A cancel or replay of many runs (runs.bulk.*), worked through in chunks in the background. */
export const bulkActions = triggerPlatform.table(
  "bulk_actions",
  {
    id: text("id").primaryKey(),
    friendlyId: text("friendly_id").notNull().unique(),
    environmentId: text("environment_id")
      .notNull()
      .references(() => environments.id),
    name: text("name"),
    type: text("type").$type<"CANCEL" | "REPLAY">().notNull(),
    status: text("status").$type<"PENDING" | "COMPLETED" | "ABORTED">().notNull().default("PENDING"),
    /** The runs it acts on, frozen when it was created: a runs.list filter (its time range fixed) or run ids. */
    selection: jsonb("selection").$type<Record<string, unknown>>().notNull(),
    /** The last run processed (runs are taken newest first); the next chunk starts after it. */
    cursorRunId: text("cursor_run_id"),
    /** When the next chunk is due; null once it has ended. */
    nextChunkAt: at("next_chunk_at"),
    totalCount: integer("total_count").notNull(),
    successCount: integer("success_count").notNull().default(0),
    failureCount: integer("failure_count").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: at("updated_at").notNull().defaultNow(),
    completedAt: at("completed_at"),
  },
  (t) => [
    index("bulk_actions_environment_created_idx").on(t.environmentId, t.createdAt, t.id),
    index("bulk_actions_due_idx")
      .on(t.nextChunkAt)
      .where(sql`${t.status} = 'PENDING'`),
  ],
);

/** Each run a bulk action has processed, written with the action on it: a run is never processed twice. */
export const bulkActionRuns = triggerPlatform.table(
  "bulk_action_runs",
  {
    bulkActionId: text("bulk_action_id")
      .notNull()
      .references(() => bulkActions.id),
    runId: text("run_id").notNull(),
    succeeded: boolean("succeeded").notNull(),
    /** The run runs.list({ bulkAction }) shows for it, as Trigger.dev does: a cancelled run itself, a replay's
     *  new run; none when the action threw. */
    listedRunId: text("listed_run_id"),
    error: text("error"),
    processedAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.bulkActionId, t.runId] }),
    index("bulk_action_runs_listed_idx").on(t.listedRunId),
    index("bulk_action_runs_run_idx").on(t.runId),
  ],
);

/** A run's realtime streams: output streams (streams.pipe, writer, append; their keys are the run's
 *  realtimeStreams) and input streams (streams.input(…).send). `length` is the next record's seq: a writer
 *  takes it under this row's lock, so seqs have no gaps and commit in order. */
export const realtimeStreams = triggerPlatform.table(
  "realtime_streams",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runs.id),
    kind: text("kind").$type<"output" | "input">().notNull(),
    key: text("key").notNull(),
    length: integer("length").notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.kind, t.key] })],
);

/** The records of a realtime stream, append-only, seq 0, 1, 2, … An upload's chunks carry its writer's
 *  client id and chunk index, so a resumed upload skips what was stored. */
export const realtimeStreamRecords = triggerPlatform.table(
  "realtime_stream_records",
  {
    runId: text("run_id").notNull(),
    kind: text("kind").$type<"output" | "input">().notNull(),
    key: text("key").notNull(),
    seq: integer("seq").notNull(),
    /** Output: the JSON line as the SDK wrote it. Input: the data sent, as JSON. */
    data: text("data").notNull(),
    clientId: text("client_id"),
    chunkIndex: integer("chunk_index"),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.kind, t.key, t.seq] }),
    index("realtime_stream_records_writer_idx")
      .on(t.runId, t.kind, t.key, t.clientId, t.chunkIndex)
      .where(sql`${t.clientId} IS NOT NULL`),
  ],
);

/** The waitpoint an input stream's `.wait()` blocks its run on: the next record sent completes it. */
export const inputStreamWaits = triggerPlatform.table(
  "input_stream_waits",
  {
    runId: text("run_id")
      .notNull()
      .references(() => runs.id),
    streamId: text("stream_id").notNull(),
    waitpointId: text("waitpoint_id")
      .notNull()
      .references(() => waitpoints.id),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.streamId] }), index("input_stream_waits_waitpoint_idx").on(t.waitpointId)],
);

export type Run = typeof runs.$inferSelect;
export type Snapshot = typeof snapshots.$inferSelect;
export type Waitpoint = typeof waitpoints.$inferSelect;
export type Environment = typeof environments.$inferSelect;
export type Worker = typeof workers.$inferSelect;
export type Batch = typeof batches.$inferSelect;
export type Schedule = typeof schedules.$inferSelect;
export type QueueSettings = typeof queueSettings.$inferSelect;
export type EnvironmentVariable = typeof environmentVariables.$inferSelect;
export type BulkAction = typeof bulkActions.$inferSelect;
