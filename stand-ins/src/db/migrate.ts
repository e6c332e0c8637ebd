// Applies the stand-ins' own migrations (schemas stripe_stand_in and mail_catcher), recorded in
// drizzle.stand_ins_migrations. Safe from several processes at once: an advisory lock makes them take turns.
import path from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";

export const STAND_IN_MIGRATIONS = { folder: path.resolve(import.meta.dirname, "../../migrations"), table: "stand_ins_migrations" };
const LOCK_ID = 727_003;

export async function migrateStandIns(url: string): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client`SELECT pg_advisory_lock(${LOCK_ID})`;
    await migrate(drizzle(client), {
      migrationsFolder: STAND_IN_MIGRATIONS.folder,
      migrationsSchema: "drizzle",
      migrationsTable: STAND_IN_MIGRATIONS.table,
    });
  } finally {
    await client`SELECT pg_advisory_unlock(${LOCK_ID})`.catch(() => {});
    await client.end({ timeout: 5 });
  }
}
