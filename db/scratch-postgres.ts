// A Postgres server for throwaway databases (benchmarks, the fault explorer): the given server, or an
// embedded one, with `database(name)` making a fresh, migrated database on it each time.
import postgres from "postgres";
import { createDatabaseHandle } from "./client";
import { startEmbeddedPostgres } from "local-trigger/postgres";
import { migrateDatabase } from "./migrate";

/** The application_name of a scratch database's own handle (the benchmark's or the explorer's connections, not
 *  the stack's): a benchmark leaves their Postgres backends out of the stack's memory. */
export const SCRATCH_HANDLE_NAME = "scratch-harness";

export type ScratchPostgresOptions = {
  /** Use this server (an admin URL) instead of starting an embedded one. */
  adminUrl?: string;
  dataDir: string;
  port: number;
  ephemeral?: boolean;
  /** More settings for an embedded server. */
  settings?: Record<string, string>;
};

export async function startScratchPostgres(options: ScratchPostgresOptions) {
  const server = options.adminUrl
    ? undefined
    : await startEmbeddedPostgres({
        dataDir: options.dataDir,
        port: options.port,
        ephemeral: options.ephemeral ?? false,
        ...(options.settings ? { settings: options.settings } : {}),
      });
  const adminUrl = options.adminUrl ?? server!.url;
  return {
    database: (name: string) => createScratchDatabase(adminUrl, name),
    stop: async () => server?.stop(),
  };
}

async function createScratchDatabase(adminUrl: string, name: string) {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString());
  const handle = createDatabaseHandle(url.toString(), { max: 20, name: SCRATCH_HANDLE_NAME });
  return { url: url.toString(), ...handle };
}
