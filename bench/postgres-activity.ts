// What Postgres's backends were doing during a phase of a benchmark, sampled from pg_stat_activity every
// SAMPLE_MS: how often a backend was active and on what it waited (CPU when it waited on nothing, the WAL, a lock,
// the disk), and which statements were active most. A throughput figure that moved between two phases is
// explained by what changed here.
import { sql } from "drizzle-orm";
import type { Database } from "../db/client";

const SAMPLE_MS = 100;
const STATEMENT_CHARS = 70;

type Tally = Map<string, number>;
const add = (tally: Tally, key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);
const top = (tally: Tally, samples: number, n: number) =>
  [...tally]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, count]) => ({ key, activeBackendsOnAverage: Math.round((count / Math.max(samples, 1)) * 100) / 100 }));

/** Starts sampling; `stop()` returns the average number of active backends on each wait and in each statement. */
export function watchPostgresActivity(db: Database) {
  const waits: Tally = new Map();
  const statements: Tally = new Map();
  let samples = 0;
  let sampling = false;
  const timer = setInterval(() => {
    if (sampling) return; // a slow sample is not stacked on
    sampling = true;
    void db
      .execute<{ wait: string; statement: string }>(
        sql`SELECT CASE WHEN backend_type = 'autovacuum worker' THEN 'autovacuum ' ELSE '' END ||
                   coalesce(wait_event_type || ':' || wait_event, 'CPU') AS wait,
                   left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), ${STATEMENT_CHARS}) AS statement
              FROM pg_stat_activity
             WHERE pid <> pg_backend_pid()
               AND (state = 'active' AND backend_type = 'client backend' OR backend_type = 'autovacuum worker')`,
      )
      .then((rows) => {
        samples++;
        for (const row of rows) {
          add(waits, row.wait);
          add(statements, row.statement);
        }
      })
      .catch(() => {}) // a sample lost to a closing pool is just not counted
      .finally(() => {
        sampling = false;
      });
  }, SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      return { samples, waits: top(waits, samples, 8), statements: top(statements, samples, 8) };
    },
  };
}

export type PostgresActivity = ReturnType<ReturnType<typeof watchPostgresActivity>["stop"]>;

/** One line per wait, for a bench's printout. */
export function describeActivity(activity: PostgresActivity): string {
  const waits = activity.waits.map((w) => `${w.key} ${w.activeBackendsOnAverage}`).join(", ");
  return `${waits || "idle"} (active backends on average, ${activity.samples} samples)`;
}

/** The Postgres processes serving the connections named `applicationName` (their application_name). */
export async function backendsOf(db: Database, applicationName: string): Promise<Set<number>> {
  const rows = await db.execute<{ pid: number }>(sql`SELECT pid FROM pg_stat_activity WHERE application_name = ${applicationName}`);
  return new Set(rows.map((row) => row.pid));
}
