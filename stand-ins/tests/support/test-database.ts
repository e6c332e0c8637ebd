// A fresh database for one test file, cloned from the run's migrated template, with the stand-ins' typed handle.
import { inject } from "vitest";
import { createDatabaseHandle } from "../../src/db/client";
import { cloneTestDatabase } from "local-trigger/testing";

export type TestDatabase = ReturnType<typeof createDatabaseHandle> & { url: string; name: string };

export async function createTestDatabase(): Promise<TestDatabase> {
  const clone = await cloneTestDatabase(inject("postgresAdminUrl"), inject("templateDatabase"));
  const handle = createDatabaseHandle(clone.url, { max: 10, name: "stand-in-tests" });
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
