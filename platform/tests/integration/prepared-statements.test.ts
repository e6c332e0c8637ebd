// Every statement Drizzle sends is prepared once per connection and kept (platform/lib/db/prepared-statements.ts),
// in a transaction and a savepoint too; `?prepare=false` on the URL turns that off. Postgres is the witness: its
// own list of the connection's prepared statements (pg_prepared_statements), and how often each ran.
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabaseHandle } from "../../lib/db/client";
import { environments } from "../../lib/db/schema";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ max: 1 }); // one connection: each statement's entry is on it
});
afterAll(async () => database.close());

type Handle = Pick<TestDatabase, "db">;
const lookUp = (handle: Handle, slug: string) =>
  handle.db.select({ id: environments.id }).from(environments).where(eq(environments.slug, slug));
/** The connection's prepared statements that read environments by slug, each with how often it ran (a prepared
 *  statement runs on a plan of its own or its generic one, and Postgres counts both). */
async function preparedLookups(handle: Handle) {
  const rows = await handle.db.execute<{ plans: number }>(
    sql`SELECT generic_plans + custom_plans AS plans FROM pg_prepared_statements
         WHERE statement LIKE 'select "id" from "trigger_platform"."environments" where%'`,
  );
  return rows.map((row) => Number(row.plans));
}

describe("prepared statements", () => {
  it("a statement sent 20 times is prepared once, and each of the 20 runs that one", async () => {
    for (let i = 0; i < 20; i++) await lookUp(database, `slug-${i}`);
    // One entry, whose plans (custom or generic: Postgres picks) count its executions.
    expect(await preparedLookups(database)).toEqual([20]);
  });

  it("inside a transaction and a savepoint alike", async () => {
    await database.db.transaction(async (tx) => {
      await tx.select({ id: environments.id }).from(environments).where(eq(environments.projectRef, "proj_inside"));
      await tx.transaction(async (savepoint) => {
        await savepoint.select({ id: environments.id }).from(environments).where(eq(environments.apiKey, "tr_dev_inside"));
      });
    });
    const statements = await database.db.execute<{ statement: string }>(sql`SELECT statement FROM pg_prepared_statements`);
    const texts = statements.map((row) => row.statement);
    expect(texts.some((text) => text.includes(`where "trigger_platform"."environments"."project_ref" = $1`))).toBe(true);
    expect(texts.some((text) => text.includes(`where "trigger_platform"."environments"."api_key" = $1`))).toBe(true);
  });

  it("?prepare=false on the URL (for a pooler that cannot keep them) leaves every statement unnamed", async () => {
    const url = new URL(database.url);
    url.searchParams.set("prepare", "false");
    const unprepared = createDatabaseHandle(url.toString(), { max: 1 });
    try {
      for (let i = 0; i < 3; i++) await lookUp(unprepared, `slug-${i}`);
      expect(await preparedLookups(unprepared)).toEqual([]);
    } finally {
      await unprepared.close();
    }
  });
});
