// A Postgres for a benchmark: BENCH_DATABASE_URL, or embedded (durable settings, like `npm start`), with a
// fresh, migrated database for each measurement.
import path from "node:path";
import { startScratchPostgres } from "../db/scratch-postgres";

/** The server: started once per bench; `database(name)` makes each fresh database on it. `statementStats` loads
 *  pg_stat_statements (bench/postgres-statements.ts: which statements took Postgres's time in each phase); it
 *  costs every statement a little, so only the benches that print it ask for it. */
export function startBenchPostgres({ statementStats = false }: { statementStats?: boolean } = {}) {
  return startScratchPostgres({
    ...(process.env.BENCH_DATABASE_URL ? { adminUrl: process.env.BENCH_DATABASE_URL } : {}),
    dataDir: path.resolve(".data/bench-postgres"),
    port: Number(process.env.BENCH_PG_PORT ?? 54331),
    ephemeral: process.env.BENCH_EPHEMERAL === "1",
    ...(statementStats ? { settings: { shared_preload_libraries: "pg_stat_statements" } } : {}),
  });
}

/** One fresh database on its own server; stop() closes both. */
export async function startBenchDatabase(name: string) {
  const server = await startBenchPostgres();
  const database = await server.database(name);
  return {
    ...database,
    async stop() {
      await database.close();
      await server.stop();
    },
  };
}
