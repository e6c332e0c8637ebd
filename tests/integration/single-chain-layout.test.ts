// A database made before the platform and the stand-ins had migration chains of their own (one chain in
// drizzle.__drizzle_migrations) is carried over: each package's baseline is recorded as applied, nothing is
// created twice, rows survive; a database part way through the old chain is refused with what to do.
import fs from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { migratePlatform } from "local-trigger";
import { migrateStandIns } from "local-stand-ins/migrate";
import { afterEach, beforeEach, expect, it } from "vitest";
import { migrateDatabase } from "../../db/migrate";
import { products } from "../../db/schema";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

/** How many migrations a chain has (its drizzle-kit journal). */
const journalLength = (folder: string) =>
  (JSON.parse(fs.readFileSync(path.resolve(folder, "meta/_journal.json"), "utf8")) as { entries: unknown[] }).entries.length;

let t: TestDatabase;
beforeEach(async () => {
  t = await createTestDatabase();
});
afterEach(async () => t.close());

/** Turns the clone (every chain applied) into what the single-chain layout left behind. */
async function asSingleChainDatabase(migrationsApplied: number) {
  await t.db.execute(sql`DROP TABLE drizzle.fulfillment_migrations, drizzle.trigger_platform_migrations, drizzle.stand_ins_migrations`);
  // Nor had it what each chain's later migrations made: the app's and the platform's schemas are their baselines'
  // alone (the stand-ins' chain has only its baseline).
  for (const [schema, baselineFile] of [
    ["trigger_platform", "platform/migrations/0000_trigger_platform.sql"],
    ["fulfillment", "db/migrations/0000_fulfillment.sql"],
  ] as const) {
    await t.db.execute(sql.raw(`DROP SCHEMA ${schema} CASCADE`));
    const baseline = fs.readFileSync(path.resolve(baselineFile), "utf8");
    for (const statement of baseline.split("--> statement-breakpoint")) if (statement.trim()) await t.db.execute(sql.raw(statement));
  }
  await t.db.execute(sql`CREATE TABLE drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`);
  for (let i = 0; i < migrationsApplied; i++)
    await t.db.execute(sql`INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES (${`old-${i}`}, ${1_764_000_000_000 + i})`);
}

it("an up-to-date single-chain database is carried over: every chain applies cleanly and rows survive", async () => {
  await asSingleChainDatabase(3);
  await t.db.insert(products).values({ sku: "KEPT-1", name: "Kept", priceCents: 100, currency: "usd" });
  await migrateDatabase(t.url);
  await migratePlatform(t.url);
  await migrateStandIns(t.url);
  await migrateDatabase(t.url); // a second start changes nothing
  const recorded = await t.db.execute<{ table_name: string; n: number }>(sql`
    SELECT 'fulfillment' AS table_name, count(*)::int AS n FROM drizzle.fulfillment_migrations
    UNION ALL SELECT 'platform', count(*)::int FROM drizzle.trigger_platform_migrations
    UNION ALL SELECT 'stand-ins', count(*)::int FROM drizzle.stand_ins_migrations`);
  // Each chain's baseline recorded, and what came after it applied (the platform's key rotation).
  expect(recorded.map((r) => r.n)).toEqual([
    journalLength("db/migrations"),
    journalLength("platform/migrations"),
    journalLength("stand-ins/migrations"),
  ]);
  expect(journalLength("platform/migrations")).toBeGreaterThan(1);
  expect(
    await t.db
      .select()
      .from(products)
      .where(sql`sku = 'KEPT-1'`),
  ).toHaveLength(1);
});

it("a database part way through the old chain is refused with what to do, and nothing is recorded", async () => {
  await asSingleChainDatabase(2);
  await expect(migrateDatabase(t.url)).rejects.toThrow(/2 of its 3 migrations applied.*DATA_DIR/);
  const [left] = await t.db.execute<{ t: string | null }>(sql`SELECT to_regclass('drizzle.fulfillment_migrations')::text AS t`);
  expect(left?.t).toBeNull();
});
