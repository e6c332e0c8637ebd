// One drizzle-kit migration chain (a folder of committed migrations, recorded in its own table in schema
// "drizzle"), applied under an advisory lock: several processes may start at once, and the migrator skips
// what is applied. The platform, the stand-ins and the order project each have one.
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres, { type Sql } from "postgres";

export type MigrationChain = { folder: string; table: string; lockId: number };

/** `before` runs under the lock first, on the same connection (the order project carries old layouts over). */
export async function applyMigrationChain(url: string, chain: MigrationChain, before?: (client: Sql) => Promise<void>): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client`SELECT pg_advisory_lock(${chain.lockId})`;
    await before?.(client);
    await migrate(drizzle(client), { migrationsFolder: chain.folder, migrationsSchema: "drizzle", migrationsTable: chain.table });
  } finally {
    await client`SELECT pg_advisory_unlock(${chain.lockId})`.catch(() => {});
    await client.end({ timeout: 5 });
  }
}
