// The project's Postgres: the server at DATABASE_URL when set, else the embedded one; migrated either way:
// the order project's tables and the stand-ins' (the dashboard's mail and payment pages read those even
// when SMTP_URL or STRIPE_SECRET_KEY puts a real service in the stand-in's place). The platform migrates its own.
import { migrateStandIns } from "local-stand-ins/migrate";
import { startEmbeddedPostgres } from "local-trigger/postgres";
import type { Config } from "../src/config";
import { migrateDatabase } from "./migrate";

async function migrate(url: string) {
  await migrateDatabase(url);
  await migrateStandIns(url);
}

export type StartedDatabase = { url: string; embedded: boolean; stop: () => Promise<void> };

/** `password`: the embedded cluster's (the install's own, from the platform's secrets). */
export async function startDatabase(
  database: Config["database"],
  log: (line: string) => void,
  password?: string,
): Promise<StartedDatabase> {
  if (database.url) {
    await migrate(database.url);
    return { url: database.url, embedded: false, stop: async () => {} };
  }
  const pg = await startEmbeddedPostgres({ dataDir: database.embeddedDir, port: database.embeddedPort, password, log });
  try {
    await migrate(pg.url);
  } catch (error) {
    await pg.stop();
    throw error;
  }
  return { url: pg.url, embedded: true, stop: pg.stop };
}
