// Vitest global setup: one Postgres per test run (embedded, or TEST_DATABASE_URL), a template database
// migrated once, and its admin URL handed to the test files, which clone the template (tests/support/test-database.ts).
import path from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../../db/embedded-postgres";
import { migrateDatabase } from "../../db/migrate";

declare module "vitest" {
  export interface ProvidedContext {
    postgresAdminUrl: string;
    templateDatabase: string;
  }
}

export const TEMPLATE = "fulfillment_test_template";

export default async function setup(project: TestProject) {
  const started = process.env.TEST_DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres({
        dataDir: path.resolve(".data/test-postgres"),
        port: Number(process.env.TEST_PG_PORT ?? 54329),
        ephemeral: true,
      });
  const adminUrl = process.env.TEST_DATABASE_URL ?? started!.url;

  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  // Databases left by an interrupted run, and last run's template (migrations may have changed since).
  const leftovers = await admin<{ datname: string }[]>`SELECT datname FROM pg_database WHERE datname LIKE 'test_%' OR datname = ${TEMPLATE}`;
  for (const { datname } of leftovers) await admin.unsafe(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  await admin.unsafe(`CREATE DATABASE "${TEMPLATE}"`);
  await migrateDatabase(withDatabase(adminUrl, TEMPLATE));
  await admin.end();

  project.provide("postgresAdminUrl", adminUrl);
  project.provide("templateDatabase", TEMPLATE);
  return async () => {
    await started?.stop();
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
