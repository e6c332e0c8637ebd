// Caught mail older than the catcher's retention (MAIL_RETENTION) is deleted, oldest first, in small batches
// that skip rows someone holds, with a pause between batches: the Mail page and whoever reads the table are
// never held up, and a catcher that closes stops between two batches (the rest waits for the next start).
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "drizzle-orm";
import type { Database } from "../db/client";

const BATCH = 500;
/** Between two batches, so a large backlog does not keep the database busy back to back. */
const PAUSE_BETWEEN_BATCHES_MS = 50;

/** Deletes the messages received more than `olderThanMs` ago, until done or `stop` is aborted; returns how many. */
export async function pruneCaughtMail(db: Database, olderThanMs: number, stop?: AbortSignal): Promise<number> {
  let deleted = 0;
  while (!stop?.aborted) {
    const [row] = await db.execute<{ n: number }>(
      sql`WITH d AS (DELETE FROM mail_catcher.messages WHERE id IN (
                       SELECT id FROM mail_catcher.messages WHERE received_at < now() - make_interval(secs => ${olderThanMs / 1000})
                        ORDER BY received_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
                     RETURNING 1)
          SELECT count(*)::int AS n FROM d`,
    );
    const n = row?.n ?? 0;
    deleted += n;
    if (n < BATCH) break;
    await sleep(PAUSE_BETWEEN_BATCHES_MS, undefined, { signal: stop }).catch(() => undefined); // aborted: the loop ends
  }
  return deleted;
}
