// A run as a row of Trigger.dev's realtime feeds: the columns of its TaskRun table that the SDK's
// `SubscribeRunRawShape` reads, every value a string (or null) typed by the `electric-schema` header, as the
// ElectricSQL client (1.0.14, bundled by @trigger.dev/core) decodes them. Timestamps are UTC without a zone
// (the SDK appends "Z"); numbers are never null (the SDK's defaults cover only absent values); no int8 (it
// would decode to a BigInt, which the SDK refuses).
import type { Run } from "../db/schema";

type ColumnType = { type: "text" | "timestamp" | "int4" | "float8" | "bool" | "jsonb"; dims?: 1 };

const COLUMNS = {
  id: { type: "text" },
  taskIdentifier: { type: "text" },
  createdAt: { type: "timestamp" },
  updatedAt: { type: "timestamp" },
  startedAt: { type: "timestamp" },
  delayUntil: { type: "timestamp" },
  queuedAt: { type: "timestamp" },
  expiredAt: { type: "timestamp" },
  completedAt: { type: "timestamp" },
  friendlyId: { type: "text" },
  number: { type: "int4" },
  isTest: { type: "bool" },
  status: { type: "text" },
  usageDurationMs: { type: "int4" },
  costInCents: { type: "float8" },
  baseCostInCents: { type: "float8" },
  ttl: { type: "text" },
  payload: { type: "text" },
  payloadType: { type: "text" },
  metadata: { type: "text" },
  metadataType: { type: "text" },
  output: { type: "text" },
  outputType: { type: "text" },
  runTags: { type: "text", dims: 1 },
  error: { type: "jsonb" },
  realtimeStreams: { type: "text", dims: 1 },
} satisfies Record<string, ColumnType>;

export type RunColumn = keyof typeof COLUMNS;
export type RunRow = Partial<Record<RunColumn, string | null>>;

/** Columns a subscriber may not skip: the SDK needs them to know which run a row is (and updatedAt always). */
const KEPT_COLUMNS: readonly RunColumn[] = ["id", "taskIdentifier", "friendlyId", "status", "createdAt", "updatedAt"];

/** The columns a feed sends: all but those skipped (a token's realtime.skipColumns, else the query's). */
export function feedColumns(skipped: readonly string[]): RunColumn[] {
  return (Object.keys(COLUMNS) as RunColumn[]).filter((column) => KEPT_COLUMNS.includes(column) || !skipped.includes(column));
}

/** The `electric-schema` header for those columns. */
export const electricSchema = (columns: readonly RunColumn[]) => JSON.stringify(Object.fromEntries(columns.map((c) => [c, COLUMNS[c]])));

const timestamp = (at: Date | null | undefined) => (at ? at.toISOString().slice(0, -1) : null);
/** A Postgres array literal, every element quoted (a tag may hold commas, quotes or braces). */
const textArray = (values: readonly string[]) => `{${values.map((v) => `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join(",")}}`;

/** The run's row, with only `columns`. `streams`: the keys of the realtime streams the run has written. */
export function runRow(run: Run, columns: readonly RunColumn[], streams: readonly string[] = []): RunRow {
  const all: Record<RunColumn, string | null> = {
    id: run.id,
    taskIdentifier: run.taskIdentifier,
    createdAt: timestamp(run.createdAt),
    updatedAt: timestamp(run.updatedAt),
    startedAt: timestamp(run.startedAt),
    delayUntil: timestamp(run.delayUntil),
    queuedAt: timestamp(run.createdAt),
    expiredAt: run.status === "EXPIRED" ? timestamp(run.completedAt) : null,
    // The SDK ends subscribeToRun on completedAt alone: every finished run has one (a cancel gets it once
    // its CLI has stopped the run).
    completedAt: timestamp(run.completedAt),
    friendlyId: run.friendlyId,
    number: "0",
    isTest: run.isTest ? "t" : "f",
    status: run.status,
    // Of the row alone, never of the clock: a value that changed at every look would make every live request
    // answer at once.
    usageDurationMs: String(run.startedAt && run.completedAt ? Math.max(0, run.completedAt.getTime() - run.startedAt.getTime()) : 0),
    costInCents: "0",
    baseCostInCents: "0",
    ttl: run.ttl,
    payload: run.payload,
    payloadType: run.payloadType,
    metadata: run.metadata,
    metadataType: run.metadataType,
    output: run.output,
    outputType: run.outputType,
    runTags: textArray(run.tags),
    error: run.error ? JSON.stringify(run.error) : null,
    realtimeStreams: textArray(streams),
  };
  return Object.fromEntries(columns.map((c) => [c, all[c]]));
}
