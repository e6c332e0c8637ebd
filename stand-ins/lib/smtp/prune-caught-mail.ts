// Caught mail older than the catcher's retention (MAIL_RETENTION) is deleted, oldest first, in small batches
// that skip rows someone holds: the Mail page and whoever reads the table are never held up.
import { sql } from "drizzle-orm";
import type { Database } from "../db/client";

const BATCH = 500;

/** Deletes the messages received more than `olderThanMs` ago; returns how many. */
export async function pruneCaughtMail(db: Database, olderThanMs: number): Promise<number> {
  let deleted = 0;
  for (;;) {
    const [row] = await db.execute<{ n: number }>(
      sql`WITH d AS (DELETE FROM mail_catcher.messages WHERE id IN (
                       SELECT id FROM mail_catcher.messages WHERE received_at < now() - make_interval(secs => ${olderThanMs / 1000})
                        ORDER BY received_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
                     RETURNING 1)
          SELECT count(*)::int AS n FROM d`,
    );
    const n = row?.n ?? 0;
    deleted += n;
    if (n < BATCH) return deleted;
  }
}
