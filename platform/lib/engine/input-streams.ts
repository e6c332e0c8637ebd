// Input streams (streams.input): data sent to a run from outside, kept in the run's input stream log, and
// `.wait()`, which blocks the run on a MANUAL waitpoint — a wait token, with its timeout, idempotency key
// and tags — that the next record completes. A task reads the log itself with on()/once() (over SSE); only
// waiting needs the engine.
//
// A send and a wait on the same input stream take the stream's lock, so a record is never missed between
// the two: a wait finds records already sent after the position the task has seen (`lastSeqNum`), and a
// send finds the wait made before it.
import type { CreateInputStreamWaitpointRequestBody } from "@trigger.dev/core/v3/schemas";
import { and, eq } from "drizzle-orm";
import type { z } from "zod";
import { inputStreamWaits, waitpoints, type Run } from "../db/schema";
import type { ProjectEnvironment } from "../environments";
import { internalId } from "../ids";
import { PlatformError } from "../platform-error";
import { appendToStream, lockStream, recordsAfter, type StreamLog, type StreamRef } from "../realtime/stream-log";
import type { EngineContext } from "./engine-context";
import { noEffects } from "./run-notifier";
import { isFinal } from "./run-statuses";
import { completeWaitpoint } from "./waitpoints";
import { createToken } from "./waits";

export type InputStreamWaitBody = z.output<typeof CreateInputStreamWaitpointRequestBody>;

export const inputStream = (runId: string, streamId: string): StreamRef => ({ runId, kind: "input", key: streamId });

/** A record as a waitpoint's output: the data sent, as JSON. */
const recordOutput = (record: string) => ({ output: record, outputType: "application/json", isError: false });

/** Appends `data` to the run's input stream and completes the `.wait()` pending on it, if any. */
export async function sendToInputStream(ctx: EngineContext, log: StreamLog, run: Run, streamId: string, data: unknown): Promise<void> {
  const stream = inputStream(run.id, streamId);
  const record = JSON.stringify(data ?? null);
  const effects = noEffects();
  await ctx.db.transaction(async (tx) => {
    // Always appended, even when it completes a wait: the task counts the records it has consumed by seq.
    await appendToStream(tx, stream, [{ data: record }]);
    const [waiting] = await tx
      .delete(inputStreamWaits)
      .where(and(eq(inputStreamWaits.runId, run.id), eq(inputStreamWaits.streamId, streamId)))
      .returning();
    if (waiting) await completeWaitpoint(tx, effects, waiting.waitpointId, recordOutput(record));
  });
  log.wake(stream);
  ctx.notifier.publish(effects);
}

/**
 * The waitpoint `.wait()` blocks on (the SDK then waits for it as for a token): completed at once by a record
 * sent after `lastSeqNum`, else by the next send, else by its timeout.
 */
export async function waitForInputStream(ctx: EngineContext, env: ProjectEnvironment, run: Run, body: InputStreamWaitBody) {
  if (isFinal(run.status))
    // finished, or being cancelled
    throw new PlatformError(`Run ${run.friendlyId} has finished (or is being cancelled): it cannot wait for an input stream`, 400);
  const token = await createToken(ctx, env, {
    timeout: body.timeout,
    idempotencyKey: body.idempotencyKey,
    idempotencyKeyTTL: body.idempotencyKeyTTL,
    tags: body.tags,
  });
  const waitpointId = internalId(token.id);
  const stream = inputStream(run.id, body.streamId);
  const effects = noEffects();
  await ctx.db.transaction(async (tx) => {
    await lockStream(tx, stream);
    const [waitpoint] = await tx.select({ status: waitpoints.status }).from(waitpoints).where(eq(waitpoints.id, waitpointId));
    if (waitpoint?.status !== "PENDING") return; // an idempotent wait already resolved
    // Also for a repeated wait (its token cached): a record may have come between the two.
    const [sent] = await recordsAfter(tx, stream, body.lastSeqNum ?? -1, 1);
    if (sent) {
      await completeWaitpoint(tx, effects, waitpointId, recordOutput(sent.data));
      return;
    }
    // The last wait on a stream is the one a send completes.
    await tx
      .insert(inputStreamWaits)
      .values({ runId: run.id, streamId: body.streamId, waitpointId })
      .onConflictDoUpdate({ target: [inputStreamWaits.runId, inputStreamWaits.streamId], set: { waitpointId } });
  });
  ctx.notifier.publish(effects);
  return { waitpointId: token.id, isCached: token.isCached };
}
