// Applies the order project's migrations (schema fulfillment), recorded in drizzle.fulfillment_migrations.
// Safe to call from several processes at once: an advisory lock makes them take turns.
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { FULFILLMENT_MIGRATIONS } from "./migrations-folder";
import { adoptSingleChainLayout } from "./single-chain-layout";

const LOCK_ID = 727_001;

export async function migrateDatabase(url: string): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client`SELECT pg_advisory_lock(${LOCK_ID})`;
    await adoptSingleChainLayout(client);
    await migrate(drizzle(client), {
      migrationsFolder: FULFILLMENT_MIGRATIONS.folder,
      migrationsSchema: "drizzle",
      migrationsTable: FULFILLMENT_MIGRATIONS.table,
    });
  } finally {
    await client`SELECT pg_advisory_unlock(${LOCK_ID})`.catch(() => {});
    await client.end({ timeout: 5 });
  }
}
