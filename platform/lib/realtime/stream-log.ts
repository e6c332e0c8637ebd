// Realtime streams' records, kept in Postgres: one append-only log per (run, stream), seq 0, 1, 2, … without
// gaps (a writer takes the next seq under the stream row's lock, so records also commit in seq order), and
// the in-process wakeups that tell a stream's live readers (SSE responses) a record was committed. The
// platform is one process: an EventEmitter per stream is all the fan-out it needs.
//
// Output streams are what a task writes (streams.pipe, writer, append; their keys are the run's
// realtimeStreams); input streams are what is sent to a task (streams.input(…).send).
import { EventEmitter } from "node:events";
import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import type { Database, DatabaseOrTransaction } from "../db/client";
import { realtimeStreamRecords, realtimeStreams } from "../db/schema";

export type StreamKind = "output" | "input";
/** One stream of a run (`runId`: the run's internal id). */
export type StreamRef = { runId: string; kind: StreamKind; key: string };
export type StreamRecord = { seq: number; data: string };
/** A record to append; an upload's chunks carry their writer's chunk index. */
export type StreamChunk = { data: string; chunkIndex?: number };

const eventOf = (ref: StreamRef) => `${ref.kind}\u0000${ref.runId}\u0000${ref.key}`;
const ofStream = (ref: StreamRef) =>
  and(eq(realtimeStreamRecords.runId, ref.runId), eq(realtimeStreamRecords.kind, ref.kind), eq(realtimeStreamRecords.key, ref.key));

/**
 * Locks the stream's row until the transaction ends (making it if it is new): appends to one stream, and
 * an input stream's sends and waits, happen one at a time. `length` is the next seq.
 */
export async function lockStream(tx: DatabaseOrTransaction, ref: StreamRef): Promise<{ length: number; created: boolean }> {
  const [row] = await tx.execute<{ length: number; created: boolean }>(
    sql`INSERT INTO trigger_platform.realtime_streams (run_id, kind, key) VALUES (${ref.runId}, ${ref.kind}, ${ref.key})
         ON CONFLICT (run_id, kind, key) DO UPDATE SET length = realtime_streams.length
         RETURNING length, (xmax = 0) AS created`,
  );
  if (row!.created && ref.kind === "output") {
    // A new key changes the run's realtimeStreams: feeds that look only at runs updated since must see it.
    await tx.execute(sql`UPDATE trigger_platform.runs SET updated_at = now() WHERE id = ${ref.runId}`);
  }
  return row!;
}

/** The highest chunk index stored from the writer `clientId`, or -1. */
export async function lastChunkIndex(db: DatabaseOrTransaction, ref: StreamRef, clientId: string): Promise<number> {
  const [row] = await db
    .select({ last: sql<number>`coalesce(max(${realtimeStreamRecords.chunkIndex}), -1)::int` })
    .from(realtimeStreamRecords)
    .where(and(ofStream(ref), eq(realtimeStreamRecords.clientId, clientId)));
  return row?.last ?? -1;
}

/**
 * Appends `chunks` in the caller's transaction (the caller wakes the readers once it commits). With a
 * `clientId`, chunks at or below the writer's last stored chunk index are skipped: a resumed upload sends
 * again what may have arrived already.
 */
export async function appendToStream(
  tx: DatabaseOrTransaction,
  ref: StreamRef,
  chunks: StreamChunk[],
  clientId?: string,
): Promise<{ appended: number; created: boolean }> {
  const { length, created } = await lockStream(tx, ref);
  let fresh = chunks;
  if (clientId !== undefined) {
    const last = await lastChunkIndex(tx, ref, clientId);
    fresh = chunks.filter((chunk) => chunk.chunkIndex === undefined || chunk.chunkIndex > last);
  }
  if (fresh.length === 0) return { appended: 0, created };
  await tx.insert(realtimeStreamRecords).values(
    fresh.map((chunk, i) => ({
      ...ref,
      seq: length + i,
      data: chunk.data,
      clientId: clientId ?? null,
      chunkIndex: chunk.chunkIndex ?? null,
    })),
  );
  await tx
    .update(realtimeStreams)
    .set({ length: length + fresh.length })
    .where(and(eq(realtimeStreams.runId, ref.runId), eq(realtimeStreams.kind, ref.kind), eq(realtimeStreams.key, ref.key)));
  return { appended: fresh.length, created };
}

/** Records after seq `afterSeq`, oldest first, at most `limit`. */
export async function recordsAfter(db: DatabaseOrTransaction, ref: StreamRef, afterSeq: number, limit: number): Promise<StreamRecord[]> {
  return db
    .select({ seq: realtimeStreamRecords.seq, data: realtimeStreamRecords.data })
    .from(realtimeStreamRecords)
    .where(and(ofStream(ref), gt(realtimeStreamRecords.seq, afterSeq)))
    .orderBy(asc(realtimeStreamRecords.seq))
    .limit(limit);
}

/** The streams of a platform: their records, their live readers, and the uploads still open. */
export class StreamLog {
  private readonly appended = new EventEmitter();
  private readonly openUploads = new Map<string, number>();

  /** `keysChanged` publishes a change of some run's realtimeStreams (after its commit). */
  constructor(
    private readonly db: Database,
    private readonly keysChanged: () => void,
  ) {
    this.appended.setMaxListeners(0);
  }

  /** Makes the stream known (the SDK's PUT before it writes): an output key is on the run from now on. */
  async open(ref: StreamRef): Promise<void> {
    const { created } = await this.db.transaction((tx) => lockStream(tx, ref));
    if (created && ref.kind === "output") this.keysChanged();
  }

  /** Appends and commits, then wakes the readers. */
  async append(ref: StreamRef, chunks: StreamChunk[], clientId?: string): Promise<number> {
    const { appended, created } = await this.db.transaction((tx) => appendToStream(tx, ref, chunks, clientId));
    if (appended > 0) this.wake(ref);
    if (created && ref.kind === "output") this.keysChanged();
    return appended;
  }

  /** Tells the stream's readers to look again (records were committed, or an upload ended). */
  wake(ref: StreamRef): void {
    this.appended.emit(eventOf(ref));
  }

  /** Calls `listener` whenever the stream's readers are woken; returns how to stop. */
  onWake(ref: StreamRef, listener: () => void): () => void {
    const event = eventOf(ref);
    this.appended.on(event, listener);
    return () => this.appended.off(event, listener);
  }

  records(ref: StreamRef, afterSeq: number, limit: number): Promise<StreamRecord[]> {
    return recordsAfter(this.db, ref, afterSeq, limit);
  }

  /** The next record's seq (0 for a stream nothing was written to). */
  async length(ref: StreamRef): Promise<number> {
    const [row] = await this.db
      .select({ length: realtimeStreams.length })
      .from(realtimeStreams)
      .where(and(eq(realtimeStreams.runId, ref.runId), eq(realtimeStreams.kind, ref.kind), eq(realtimeStreams.key, ref.key)));
    return row?.length ?? 0;
  }

  lastChunkIndex(ref: StreamRef, clientId: string): Promise<number> {
    return lastChunkIndex(this.db, ref, clientId);
  }

  /** The output stream keys of each run, in the order they were made (the realtimeStreams column). */
  async outputKeys(runIds: string[]): Promise<Map<string, string[]>> {
    const keys = new Map<string, string[]>();
    if (runIds.length === 0) return keys;
    const rows = await this.db
      .select({ runId: realtimeStreams.runId, key: realtimeStreams.key })
      .from(realtimeStreams)
      .where(and(inArray(realtimeStreams.runId, runIds), eq(realtimeStreams.kind, "output")))
      .orderBy(asc(realtimeStreams.createdAt), asc(realtimeStreams.key));
    for (const { runId, key } of rows) keys.set(runId, [...(keys.get(runId) ?? []), key]);
    return keys;
  }

  /** Marks an upload to the stream open until the returned function is called (readers wait for it). */
  startUpload(ref: StreamRef): () => void {
    const event = eventOf(ref);
    this.openUploads.set(event, (this.openUploads.get(event) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.openUploads.get(event) ?? 1) - 1;
      if (left > 0) this.openUploads.set(event, left);
      else this.openUploads.delete(event);
      this.wake(ref);
    };
  }

  uploading(ref: StreamRef): boolean {
    return this.openUploads.has(eventOf(ref));
  }
}
