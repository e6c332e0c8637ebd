// An order's failed runs replayed at once (the order page's "Replay failed runs"): runs.bulk.replay over the
// runs tagged with the order that failed after their last attempt, through the SDK, so it works the same on
// the local platform and on Trigger.dev. Each replay is a new run with its original's payload; the steps are
// keyed by order, so a replayed workflow continues from the steps that finished.
import { runs } from "@trigger.dev/sdk";
import { z } from "zod";
import { orderTag } from "../orders/order-tag";

type RunStatus = Awaited<ReturnType<typeof runs.retrieve>>["status"];

/** Runs that failed after their last attempt (EXPIRED runs never started, so they are not among them). The
 *  app's one list: Trigger.dev's API statuses, written here because the app runs on any Trigger.dev, not only the
 *  local platform (whose dead-letter list says the same and stays its own). */
export const FAILED_RUN_STATUSES = ["FAILED", "CRASHED", "TIMED_OUT", "SYSTEM_FAILURE"] as const satisfies readonly RunStatus[];

export const isFailedRun = (status: string) => (FAILED_RUN_STATUSES as readonly string[]).includes(status);

/** A bulk action's id as the API gives it. */
export const BulkActionId = z.string().regex(/^bulk_[a-z0-9]+$/, "must be a bulk action id like bulk_abc123");

/** Starts the replay of the order's failed runs; returns the bulk action's id. */
export async function replayFailedOrderRuns(orderId: string): Promise<string> {
  const { id } = await runs.bulk.replay({
    filter: { tag: orderTag(orderId), status: [...FAILED_RUN_STATUSES] },
    name: `Replay the failed runs of order ${orderId}`,
  });
  return id;
}

export const bulkActionProgress = (bulkActionId: string) => runs.bulk.retrieve(bulkActionId);

/** Aborts it between chunks. Not retried: a 409 (it has already ended) is the answer, not a hiccup. */
export const abortBulkAction = (bulkActionId: string) => runs.bulk.abort(bulkActionId, { retry: { maxAttempts: 1 } });
