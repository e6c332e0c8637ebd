// Vitest global setup for the platform's own tests (`npm test -w local-trigger`): one Postgres per run,
// a template with the platform's tables, cloned by each test file.
import type { TestProject } from "vitest/node";
import { migratePlatform } from "../../lib/db/migrate";
import { startTestPostgres } from "../../lib/testing";

export default async function setup(project: TestProject) {
  const pg = await startTestPostgres({ migrations: [migratePlatform], template: "platform_test_template" });
  project.provide("postgresAdminUrl", pg.adminUrl);
  project.provide("templateDatabase", pg.template);
  return pg.stop;
}
