// A run going back to the queue (a retry after a failed attempt, a crash with attempts left): it is
// dequeued again from \`availableAt\`, under a new QUEUED snapshot.
import { sql } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../db/client";
import type { Run } from "../db/schema";
import { timestampParam } from "./row-mapping";
import { changeRunWithSnapshot } from "./snapshots";

/** Back to the queue (a retry, a crash with attempts left): dequeued again from `availableAt`. */
export async function requeue(tx: DatabaseOrTransaction, run: Run, availableAt: Date, description: string) {
  return changeRunWithSnapshot(
    tx,
    run.id,
    sql`status = 'RETRYING_AFTER_FAILURE', available_at = ${timestampParam(availableAt)}, lease_until = NULL, updated_at = now()`,
    "QUEUED",
    description,
  );
}
