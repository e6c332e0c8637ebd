// A fresh database for one test file, cloned from the run's migrated template, with the stand-ins' typed handle.
import { openTestDatabase } from "local-trigger/testing";
import { inject } from "vitest";
import { createDatabaseHandle } from "../../lib/db/client";

export type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

export const createTestDatabase = () =>
  openTestDatabase(inject("postgresAdminUrl"), inject("templateDatabase"), (url) =>
    createDatabaseHandle(url, { max: 10, name: "stand-in-tests" }),
  );
