// A fresh database for one test file, cloned from the migrated template (fast: no migrations per file).
import { openTestDatabase } from "local-trigger/testing";
import { inject } from "vitest";
import { createDatabaseHandle } from "../../db/client";

export type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

export const createTestDatabase = (options: { max?: number } = {}) =>
  openTestDatabase(inject("postgresAdminUrl"), inject("templateDatabase"), (url) => createDatabaseHandle(url, { max: options.max ?? 20 }));
