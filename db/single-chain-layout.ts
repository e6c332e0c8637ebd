// Databases made before the platform and the stand-ins became packages of their own hold every table already,
// made by one migration chain recorded in drizzle.__drizzle_migrations (0000_init, 0001_trigger_platform,
// 0002_order_outcomes). Each package's chain now starts with exactly those tables, so each baseline is
// recorded as applied instead of being run again (which would fail on "schema already exists").
import fs from "node:fs";
import path from "node:path";
import type { Sql } from "postgres";
import { PLATFORM_MIGRATIONS } from "local-trigger";
import { STAND_IN_MIGRATIONS } from "local-stand-ins/migrate";
import { FULFILLMENT_MIGRATIONS } from "./migrations-folder";

const LEGACY_CHAIN_LENGTH = 3;

export async function adoptSingleChainLayout(client: Sql): Promise<void> {
  const [found] = await client<{ legacy: string | null; split: string | null }[]>`
    SELECT to_regclass('drizzle.__drizzle_migrations')::text AS legacy, to_regclass(${`drizzle.${FULFILLMENT_MIGRATIONS.table}`})::text AS split`;
  if (!found?.legacy || found.split) return;
  const [applied] = await client<{ n: number }[]>`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`;
  if ((applied?.n ?? 0) !== LEGACY_CHAIN_LENGTH) {
    throw new Error(
      `This database was migrated by an older version of the project (${applied?.n ?? 0} of its ${LEGACY_CHAIN_LENGTH} migrations applied) and cannot be carried over. Move the data folder (DATA_DIR, default .data) aside and start afresh.`,
    );
  }
  await client.begin(async (tx) => {
    for (const chain of [FULFILLMENT_MIGRATIONS, PLATFORM_MIGRATIONS, STAND_IN_MIGRATIONS]) {
      const journal = JSON.parse(fs.readFileSync(path.join(chain.folder, "meta/_journal.json"), "utf8")) as { entries: { when: number }[] };
      const baseline = journal.entries[0]!.when;
      await tx.unsafe(`CREATE TABLE IF NOT EXISTS drizzle."${chain.table}" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`);
      await tx.unsafe(`INSERT INTO drizzle."${chain.table}" (hash, created_at) VALUES ('adopted from the single chain', ${baseline})`);
    }
  });
}
