// A fresh database for one test file, cloned from the run's migrated template, with the platform's typed handle.
import { inject } from "vitest";
import { createDatabaseHandle } from "../../lib/db/client";
import { openTestDatabase } from "../../lib/testing";

export type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

export const createTestDatabase = (options: Parameters<typeof createDatabaseHandle>[1] = {}) =>
  openTestDatabase(inject("postgresAdminUrl"), inject("templateDatabase"), (url) =>
    createDatabaseHandle(url, { ...options, max: options.max ?? 10 }),
  );
