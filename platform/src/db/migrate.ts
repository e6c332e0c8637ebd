// Applies the platform's own migrations (schema trigger_platform), recorded in drizzle.trigger_platform_migrations.
// startPlatform calls it, so a platform migrates its database itself. Safe from several processes at once.
import path from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";

export const PLATFORM_MIGRATIONS = { folder: path.resolve(import.meta.dirname, "../../migrations"), table: "trigger_platform_migrations" };
const LOCK_ID = 727_002;

export async function migratePlatform(url: string): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client`SELECT pg_advisory_lock(${LOCK_ID})`;
    await migrate(drizzle(client), {
      migrationsFolder: PLATFORM_MIGRATIONS.folder,
      migrationsSchema: "drizzle",
      migrationsTable: PLATFORM_MIGRATIONS.table,
    });
  } finally {
    await client`SELECT pg_advisory_unlock(${LOCK_ID})`.catch(() => {});
    await client.end({ timeout: 5 });
  }
}
