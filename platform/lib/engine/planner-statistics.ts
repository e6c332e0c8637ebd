// Planner statistics for a young store. Until Postgres has analyzed a table, it rates `environment_id = $1` as
// selective as `id = $1`, and answers a run's lookup by id and environment by walking every run of the
// environment through an index that leads with environment_id: at 600 runs, 550 buffers for one row, and more with
// every run. Autovacuum analyzes a table only on its next round (a minute apart by default), so a fresh install ran
// its hottest statements (the snapshot poll, a child's lock of its parent) that way for its first minute, and every
// benchmark on a fresh database for all of it. So the platform analyzes each of its tables once, as soon as it
// holds enough rows to describe, until the runs table has statistics; autovacuum keeps them current after that.
import { getTableName, sql } from "drizzle-orm";
import { runs, triggerPlatform } from "../db/schema";
import type { EngineContext } from "./engine-context";
import type { DueWork } from "./timers";

/** Rows enough for statistics that tell an environment from a run. */
const ANALYZE_AT_ROWS = 100;
const CHECK_EVERY_MS = 5_000;
/** The table that grows fastest among those the hottest statements read, and the one they walked: once it has
 *  statistics the check stops (a table still too small by then is soon enough for autovacuum's rounds). */
const RUNS = getTableName(runs);

/** The platform's tables: whether Postgres has statistics for each, and whether it holds enough rows for them. */
export async function tableStatistics(ctx: EngineContext): Promise<{ name: string; analyzed: boolean; ready: boolean }[]> {
  return ctx.db.execute<{ name: string; analyzed: boolean; ready: boolean }>(
    sql`SELECT relname AS name, (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL) AS analyzed,
               n_live_tup >= ${ANALYZE_AT_ROWS} AS ready
          FROM pg_stat_user_tables WHERE schemaname = ${triggerPlatform.schemaName}`,
  );
}

export function plannerStatisticsDueWork(ctx: EngineContext): DueWork {
  // Tables with statistics, or analyzed by us once: a role that may not analyze a table gets a warning, not an
  // error, and the table would otherwise be tried again every few seconds.
  const settled = new Set<string>();
  let nextCheck = new Date();
  const done = () => settled.has(RUNS);
  return {
    name: "planner statistics",
    nextDue: async () => (done() ? null : nextCheck),
    run: async () => {
      if (done() || Date.now() < nextCheck.getTime()) return;
      nextCheck = new Date(Date.now() + CHECK_EVERY_MS);
      for (const table of await tableStatistics(ctx)) {
        if (settled.has(table.name) || !(table.analyzed || table.ready)) continue;
        // Settled only once it succeeded: a lock timeout or a lost connection is tried again on the next check.
        if (!table.analyzed) await ctx.db.execute(sql`ANALYZE ${sql.identifier(triggerPlatform.schemaName)}.${sql.identifier(table.name)}`);
        settled.add(table.name);
      }
    },
  };
}
