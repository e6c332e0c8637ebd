// A fresh database for one test file, cloned from the run's migrated template, with the platform's typed handle.
import { inject } from "vitest";
import { createDatabaseHandle } from "../../src/db/client";
import { cloneTestDatabase } from "../../src/testing";

export type TestDatabase = ReturnType<typeof createDatabaseHandle> & { url: string; name: string };

export async function createTestDatabase(options: { max?: number } = {}): Promise<TestDatabase> {
  const clone = await cloneTestDatabase(inject("postgresAdminUrl"), inject("templateDatabase"));
  const handle = createDatabaseHandle(clone.url, { max: options.max ?? 10 });
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
