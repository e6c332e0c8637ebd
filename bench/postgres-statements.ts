// Which statements took Postgres's time during a phase of a benchmark, from pg_stat_statements (loaded by
// bench-database.ts on an embedded server; on BENCH_DATABASE_URL only if that server loads it). A phase that is
// slower than another says here whether the same statements got slower, or other statements took the time.
import { sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { round } from "./stats";

type StatementTotals = Map<string, { query: string; calls: number; totalMs: number }>;

/** Whether the server keeps statement statistics (the extension is made in the bench's database if it can be). */
export async function statementStatsAvailable(db: Database): Promise<boolean> {
  try {
    await db.execute(sql`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`);
    await db.execute(sql`SELECT 1 FROM pg_stat_statements LIMIT 1`);
    return true;
  } catch {
    return false;
  }
}

export async function statementTotals(db: Database): Promise<StatementTotals> {
  const rows = await db.execute<{ id: string; query: string; calls: number; total_ms: number }>(
    sql`SELECT queryid::text AS id, query, calls::float8 AS calls, total_exec_time AS total_ms
          FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  return new Map(rows.map((r) => [r.id, { query: r.query, calls: r.calls, totalMs: r.total_ms }]));
}

/** The `top` statements by time spent between two readings, per second of the phase. */
export function statementsBetween(before: StatementTotals, after: StatementTotals, seconds: number, top = 8) {
  return [...after]
    .map(([id, a]) => {
      const b = before.get(id) ?? { calls: 0, totalMs: 0 };
      return { query: a.query.replace(/\s+/g, " ").slice(0, 140), calls: a.calls - b.calls, totalMs: a.totalMs - b.totalMs };
    })
    .filter((s) => s.calls > 0)
    .sort((x, y) => y.totalMs - x.totalMs)
    .slice(0, top)
    .map((s) => ({
      msPerSecond: round(s.totalMs / seconds, 1),
      callsPerSecond: round(s.calls / seconds, 1),
      meanMs: round(s.totalMs / s.calls, 2),
      query: s.query,
    }));
}
