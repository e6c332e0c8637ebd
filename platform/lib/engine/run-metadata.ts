// Run metadata: the SDK sends changes as operations (set, delete, append, remove, increment, update),
// from the task while it runs and in the attempt's completion. They are applied in order to the stored
// JSON. (Core has an applier, but does not export it.)
import { parsePacket } from "@trigger.dev/core/v3";
import { FlushedRunMetadata, type RunMetadataChangeOperation } from "@trigger.dev/core/v3/schemas";
import { eq, sql } from "drizzle-orm";
import type { z } from "zod";
import type { Database, DatabaseOrTransaction } from "../db/client";
import { runs, type Run } from "../db/schema";

export type MetadataOperation = z.output<typeof RunMetadataChangeOperation>;
type Json = Record<string, unknown>;

export function readMetadata(run: Pick<Run, "metadata" | "metadataType">): Json {
  if (!run.metadata || run.metadataType !== "application/json") return {};
  const parsed: unknown = JSON.parse(run.metadata);
  return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Json) : {};
}

/** "$.a.b" and "a" address nested and top-level keys. */
function pathOf(key: string): string[] {
  return key.startsWith("$.") ? key.slice(2).split(".") : [key];
}

function parentOf(root: Json, path: string[], create: boolean): Json | undefined {
  let node: Json = root;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (next && typeof next === "object" && !Array.isArray(next)) node = next as Json;
    else if (create) node = node[part] = {};
    else return undefined;
  }
  return node;
}

export function applyOperations(current: Json, operations: MetadataOperation[]): Json {
  let next: Json = structuredClone(current);
  for (const op of operations) {
    // metadata.replace(): the whole object is the new one, as in @trigger.dev/core's applyMetadataOperations.
    if (op.type === "update") {
      next = structuredClone(op.value) as Json;
      continue;
    }
    const path = pathOf(op.key);
    const leaf = path[path.length - 1]!;
    const parent = parentOf(next, path, op.type !== "delete" && op.type !== "remove");
    if (!parent) continue;
    switch (op.type) {
      case "set":
        parent[leaf] = op.value;
        break;
      case "delete":
        delete parent[leaf];
        break;
      case "append": {
        const list = parent[leaf];
        parent[leaf] = Array.isArray(list) ? [...list, op.value] : list === undefined ? [op.value] : [list, op.value];
        break;
      }
      case "remove": {
        const list = parent[leaf];
        if (Array.isArray(list)) parent[leaf] = list.filter((item) => JSON.stringify(item) !== JSON.stringify(op.value));
        break;
      }
      case "increment": {
        const value = parent[leaf];
        parent[leaf] = (typeof value === "number" ? value : 0) + op.value;
        break;
      }
    }
  }
  return next;
}

const writeMetadata = (db: DatabaseOrTransaction, runId: string, metadata: Json) =>
  db
    .update(runs)
    .set({ metadata: JSON.stringify(metadata), metadataType: "application/json", updatedAt: sql`now()` })
    .where(eq(runs.id, runId));

export async function applyMetadataOperations(tx: DatabaseOrTransaction, run: Run, operations: MetadataOperation[]): Promise<Json> {
  const metadata = applyOperations(readMetadata(run), operations);
  await writeMetadata(tx, run.id, metadata);
  return metadata;
}

export type Flushed = z.output<typeof FlushedRunMetadata>;

/** The run's own metadata after a flush: the store it sent (else what the run held), with its operations applied. */
function flushedStore(flushed: Flushed, held: Json): Json {
  const store = flushed.metadata ? (flushed.metadata as Json) : held;
  return flushed.operations?.length ? applyOperations(store, flushed.operations) : store;
}

/**
 * Applies what the SDK flushed: a whole new metadata object and/or operations on this run, its parent
 * and its root. Returns this run's metadata as it now is.
 */
export async function applyFlushedMetadata(tx: DatabaseOrTransaction, runId: string, flushed: Flushed): Promise<Json> {
  const [run] = await tx.select().from(runs).where(eq(runs.id, runId)).for("update");
  if (!run) return {};
  const metadata = flushedStore(flushed, readMetadata(run));
  await writeMetadata(tx, run.id, metadata);
  for (const [targetId, operations] of [
    [run.parentRunId, flushed.parentOperations],
    [run.rootRunId, flushed.rootOperations],
  ] as const) {
    if (!targetId || !operations?.length) continue;
    const [target] = await tx.select().from(runs).where(eq(runs.id, targetId)).for("update");
    if (target) await applyMetadataOperations(tx, target, operations);
  }
  return metadata;
}

/**
 * A flush the task sends while it runs (PUT /api/v1/runs/:run/metadata). The SDK sends its whole store with
 * each: unless it also has operations for the parent or the root (whose rows must be locked and read), the
 * run's metadata is then written in one statement, without a transaction or a read of the row first; a
 * concurrent change to the run's metadata is overwritten either way, as the store says what the task holds.
 */
export async function flushMetadata(db: Database, runId: string, flushed: Flushed): Promise<Json> {
  if (!flushed.metadata || flushed.parentOperations?.length || flushed.rootOperations?.length)
    return db.transaction((tx) => applyFlushedMetadata(tx, runId, flushed));
  const metadata = flushedStore(flushed, {});
  await writeMetadata(db, runId, metadata);
  return metadata;
}

/** The completion carries the last flush as a packet (superjson of FlushedRunMetadata). */
export async function parseFlushedPacket(data: string, dataType: string): Promise<Flushed> {
  return FlushedRunMetadata.parse(await parsePacket({ data, dataType }));
}
