// Batches (the SDK's two-phase v3 API): create the batch, then stream its items as NDJSON. With
// batchTriggerAndWait the parent is blocked from creation on a BATCH waitpoint, and on each item's run as it
// arrives (with the item's index), so it resumes once, with every item's result, when the last run ends.
// Items are deduplicated by index, so the SDK can safely resend the stream.
import { BatchItemNDJSON, type CreateBatchRequestBody } from "@trigger.dev/core/v3/schemas";
import { and, eq } from "drizzle-orm";
import type { z } from "zod";
import { batchItems, batches, runs, type Batch } from "../db/schema";
import type { ProjectEnvironment } from "../environments";
import { internalId, newIds } from "../ids";
import type { EngineContext } from "./engine-context";
import { noEffects } from "./run-notifier";
import { settleBatchIfDone } from "./finish-run";
import { spendOneTimeToken, triggerRun } from "./trigger-run";
import { describeIssues, PlatformError } from "../platform-error";
import { blockRun, createWaitpoint, runWaitpointFor } from "./waitpoints";

export async function createBatch(
  ctx: EngineContext,
  env: ProjectEnvironment,
  body: z.output<typeof CreateBatchRequestBody>,
  oneTimeUseToken?: string,
) {
  const effects = noEffects();
  const result = await ctx.db.transaction(async (tx) => {
    await spendOneTimeToken(tx, oneTimeUseToken, "create batch");
    if (body.idempotencyKey) {
      const [cached] = await tx
        .select()
        .from(batches)
        .where(and(eq(batches.environmentId, env.id), eq(batches.idempotencyKey, body.idempotencyKey)));
      if (cached) return { batch: cached, isCached: true };
    }
    const parent = body.parentRunId
      ? (
          await tx
            .select()
            .from(runs)
            .where(and(eq(runs.id, internalId(body.parentRunId)), eq(runs.environmentId, env.id)))
        )[0]
      : undefined;
    if (body.parentRunId && !parent) throw new PlatformError(`parentRunId: no run ${body.parentRunId}`, 404);
    const { id, friendlyId } = newIds("batch");
    const [batch] = await tx
      .insert(batches)
      .values({
        id,
        friendlyId,
        environmentId: env.id,
        parentRunId: parent?.id ?? null,
        resumeParentOnCompletion: Boolean(parent && body.resumeParentOnCompletion),
        expectedCount: body.runCount,
        idempotencyKey: body.idempotencyKey ?? null,
      })
      .returning();
    if (parent && body.resumeParentOnCompletion) {
      const waitpoint = await createWaitpoint(tx, { environmentId: env.id, type: "BATCH", completedByBatchId: id });
      await blockRun(tx, effects, parent.id, [waitpoint.id]);
    }
    return { batch: batch!, isCached: false };
  });
  ctx.notifier.publish(effects);
  return {
    id: result.batch.friendlyId,
    runCount: result.batch.expectedCount,
    isCached: result.isCached,
    ...(result.batch.idempotencyKey ? { idempotencyKey: result.batch.idempotencyKey } : {}),
  };
}

/** Parses the NDJSON body: each line one item; a bad line is a 400 naming its line number and field. */
export type BatchItem = z.output<typeof BatchItemNDJSON>;

export function parseBatchItems(text: string): BatchItem[] {
  return text
    .split("\n")
    .map((line, n) => ({ line: line.trim(), n: n + 1 }))
    .filter(({ line }) => line.length > 0)
    .map(({ line, n }) => {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        throw new PlatformError(`line ${n}: not valid JSON`);
      }
      const parsed = BatchItemNDJSON.safeParse(json);
      if (!parsed.success) throw new PlatformError(`line ${n}: ${describeIssues(parsed.error, "item")}`);
      return parsed.data;
    });
}

export async function addBatchItems(ctx: EngineContext, env: ProjectEnvironment, batchFriendlyId: string, items: BatchItem[]) {
  const effects = noEffects();
  const result = await ctx.db.transaction(async (tx) => {
    const [batch] = await tx
      .select()
      .from(batches)
      .where(and(eq(batches.id, internalId(batchFriendlyId)), eq(batches.environmentId, env.id)))
      .for("update");
    if (!batch) throw new PlatformError(`No batch ${batchFriendlyId}`, 404);
    const existing = new Set(
      (await tx.select({ index: batchItems.index }).from(batchItems).where(eq(batchItems.batchId, batch.id))).map((r) => r.index),
    );
    let accepted = 0;
    let deduplicated = 0;
    for (const item of items) {
      if (item.index >= batch.expectedCount)
        throw new PlatformError(`item ${item.index}: the batch has ${batch.expectedCount} items (indexes 0 to ${batch.expectedCount - 1})`);
      if (existing.has(item.index)) {
        deduplicated++;
        continue;
      }
      existing.add(item.index);
      const options = item.options ?? {};
      // A run made for the item, or the existing run its idempotency key names: either way, the item.
      const { run } = await triggerRun(
        ctx,
        tx,
        effects,
        env.id,
        item.task,
        {
          payload: item.payload,
          options: {
            ...options,
            ...(batch.parentRunId
              ? { parentRunId: `run_${batch.parentRunId}`, resumeParentOnCompletion: batch.resumeParentOnCompletion }
              : {}),
          },
        },
        { batchId: batch.id, index: item.index },
      );
      await tx.insert(batchItems).values({ batchId: batch.id, index: item.index, runId: run.id });
      if (batch.parentRunId && batch.resumeParentOnCompletion) {
        const waitpoint = await runWaitpointFor(tx, run);
        await blockRun(tx, effects, batch.parentRunId, [waitpoint.id], { batch: { batchId: batch.id, firstIndex: item.index } });
      }
      accepted++;
    }
    const n = existing.size;
    const sealed = n >= batch.expectedCount;
    if (sealed && batch.status === "PENDING") {
      await tx.update(batches).set({ status: "PROCESSING" }).where(eq(batches.id, batch.id));
      // Items that were finished runs already (cached by their keys) may have completed it.
      await settleBatchIfDone(tx, effects, batch.id);
    }
    return {
      id: batch.friendlyId,
      itemsAccepted: accepted,
      itemsDeduplicated: deduplicated,
      sealed,
      ...(sealed ? {} : { enqueuedCount: n, expectedCount: batch.expectedCount }),
    };
  });
  ctx.notifier.publish(effects);
  return result;
}

export async function retrieveBatch(ctx: EngineContext, env: ProjectEnvironment, batchFriendlyId: string) {
  const [batch] = await ctx.db
    .select()
    .from(batches)
    .where(and(eq(batches.id, internalId(batchFriendlyId)), eq(batches.environmentId, env.id)));
  if (!batch) return undefined;
  const items = await ctx.db
    .select({ friendlyId: runs.friendlyId, completedAt: runs.completedAt })
    .from(batchItems)
    .innerJoin(runs, eq(runs.id, batchItems.runId))
    .where(eq(batchItems.batchId, batch.id))
    .orderBy(batchItems.index);
  const allDone = items.length >= batch.expectedCount && items.every((i) => i.completedAt !== null);
  const completedAt = allDone ? (batch.completedAt ?? new Date(Math.max(...items.map((i) => i.completedAt!.getTime())))) : null;
  return batchView(
    { ...batch, status: allDone ? "COMPLETED" : batch.status, completedAt },
    items.map((i) => i.friendlyId),
  );
}

function batchView(batch: Batch, runIds: string[]) {
  return {
    id: batch.friendlyId,
    status: batch.status,
    ...(batch.idempotencyKey ? { idempotencyKey: batch.idempotencyKey } : {}),
    createdAt: batch.createdAt,
    updatedAt: batch.completedAt ?? batch.createdAt,
    runCount: batch.expectedCount,
    runs: runIds,
    processing: { ...(batch.completedAt ? { completedAt: batch.completedAt } : {}), errors: [] },
  };
}
