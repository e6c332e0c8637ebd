// Vitest global setup: one Postgres per test run, a template database with every chain migrated once (the
// platform's, the stand-ins', the order project's), its admin URL handed to the test files, which clone it.
import { migratePlatform } from "local-trigger";
import { startTestPostgres } from "local-trigger/testing";
import { migrateStandIns } from "local-stand-ins/migrate";
import type { TestProject } from "vitest/node";
import { migrateDatabase } from "../../db/migrate";

export default async function setup(project: TestProject) {
  const pg = await startTestPostgres({
    migrations: [migratePlatform, migrateStandIns, migrateDatabase],
    template: "fulfillment_test_template",
  });
  project.provide("postgresAdminUrl", pg.adminUrl);
  project.provide("templateDatabase", pg.template);
  return pg.stop;
}
