// A fresh database for one test file, cloned from the migrated template (fast: no migrations per file).
import { cloneTestDatabase } from "local-trigger/testing";
import { inject } from "vitest";
import { createDatabaseHandle } from "../../db/client";

export type TestDatabase = ReturnType<typeof createDatabaseHandle> & { url: string; name: string };

export async function createTestDatabase(options: { max?: number } = {}): Promise<TestDatabase> {
  const clone = await cloneTestDatabase(inject("postgresAdminUrl"), inject("templateDatabase"));
  const handle = createDatabaseHandle(clone.url, { max: options.max ?? 20 });
  return {
    ...handle,
    url: clone.url,
    name: clone.name,
    close: async () => {
      await handle.close();
      await clone.drop();
    },
  };
}
