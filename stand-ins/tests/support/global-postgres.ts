// Vitest global setup for the stand-ins' own tests (`npm test -w local-stand-ins`): one Postgres per run
// (the platform's test kit provides it), a template with the stand-ins' tables, cloned by each test file.
import { startTestPostgres } from "local-trigger/testing";
import type { TestProject } from "vitest/node";
import { migrateStandIns } from "../../lib/db/migrate";

export default async function setup(project: TestProject) {
  const pg = await startTestPostgres({ migrations: [migrateStandIns], template: "stand_ins_test_template" });
  project.provide("postgresAdminUrl", pg.adminUrl);
  project.provide("templateDatabase", pg.template);
  return pg.stop;
}
