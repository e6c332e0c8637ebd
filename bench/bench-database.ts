// A Postgres for a benchmark: BENCH_DATABASE_URL, or embedded (durable settings, like `npm start`), with a
// fresh, migrated database for each measurement.
import path from "node:path";
import postgres from "postgres";
import { createDatabaseHandle } from "../db/client";
import { startEmbeddedPostgres } from "../db/embedded-postgres";
import { migrateDatabase } from "../db/migrate";

/** The server: started once per bench; `database(name)` makes each fresh database on it. */
export async function startBenchPostgres() {
  const server = process.env.BENCH_DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres({ dataDir: path.resolve(".data/bench-postgres"), port: Number(process.env.BENCH_PG_PORT ?? 54331), ephemeral: process.env.BENCH_EPHEMERAL === "1" });
  const adminUrl = process.env.BENCH_DATABASE_URL ?? server!.url;
  return {
    database: (name: string) => createBenchDatabase(adminUrl, name),
    stop: async () => server?.stop(),
  };
}

async function createBenchDatabase(adminUrl: string, name: string) {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString());
  const handle = createDatabaseHandle(url.toString(), { max: 20 });
  return { url: url.toString(), ...handle };
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
