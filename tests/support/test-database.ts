// A fresh database for one test file, cloned from the migrated template (fast: no migrations per file).
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { inject } from "vitest";
import { createDatabaseHandle } from "../../db/client";
import { withDatabase } from "./global-postgres";

export type TestDatabase = ReturnType<typeof createDatabaseHandle> & { url: string; name: string };

export async function createTestDatabase(options: { max?: number } = {}): Promise<TestDatabase> {
  const adminUrl = inject("postgresAdminUrl");
  const name = `test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${name}" TEMPLATE "${inject("templateDatabase")}"`);
  await admin.end();
  const url = withDatabase(adminUrl, name);
  const handle = createDatabaseHandle(url, { max: options.max ?? 20 });
  return {
    ...handle,
    url,
    name,
    close: async () => {
      await handle.close();
      const cleanup = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
