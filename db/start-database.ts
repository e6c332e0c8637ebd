// The project's Postgres: the server at DATABASE_URL when set, else the embedded one; migrated either way.
import type { Config } from "../src/config";
import { startEmbeddedPostgres } from "local-trigger/postgres";
import { migrateDatabase } from "./migrate";

export type StartedDatabase = { url: string; embedded: boolean; stop: () => Promise<void> };

export async function startDatabase(database: Config["database"], log: (line: string) => void): Promise<StartedDatabase> {
  if (database.url) {
    await migrateDatabase(database.url);
    return { url: database.url, embedded: false, stop: async () => {} };
  }
  const pg = await startEmbeddedPostgres({ dataDir: database.embeddedDir, port: database.embeddedPort, log });
  try {
    await migrateDatabase(pg.url);
  } catch (error) {
    await pg.stop();
    throw error;
  }
  return { url: pg.url, embedded: true, stop: pg.stop };
}
