// One Postgres per test run (embedded, or the server at TEST_DATABASE_URL), with a template database migrated
// once; each test file clones the template (a CREATE DATABASE … TEMPLATE takes milliseconds, migrations do not).
// For a vitest globalSetup: startTestPostgres; in a test file: cloneTestDatabase.
import path from "node:path";
import postgres from "postgres";
import { startEmbeddedPostgres } from "../db/embedded-postgres";

export type TestPostgresOptions = {
  /** What makes the template: each gets the template's URL (the platform's, a project's own). */
  migrations: ((url: string) => Promise<void>)[];
  /** Default TEST_PG_PORT, else 54329. Two runs at once need two ports. */
  port?: number;
  /** Where the embedded cluster lives (thrown away at the end); default .data/test-postgres-<port>. */
  dataDir?: string;
  template?: string;
};

export type TestPostgres = { adminUrl: string; template: string; stop: () => Promise<void> };

const PREFIX = "test_";

export async function startTestPostgres(options: TestPostgresOptions): Promise<TestPostgres> {
  const port = options.port ?? Number(process.env.TEST_PG_PORT ?? 54329);
  const template = options.template ?? "test_template";
  const server = process.env.TEST_DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres({ dataDir: options.dataDir ?? path.resolve(`.data/test-postgres-${port}`), port, ephemeral: true });
  const adminUrl = process.env.TEST_DATABASE_URL ?? server!.url;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    // Databases left by an interrupted run, and last run's template (migrations may have changed since).
    const leftovers = await admin<
      { datname: string }[]
    >`SELECT datname FROM pg_database WHERE datname LIKE ${`${PREFIX}%`} OR datname = ${template}`;
    for (const { datname } of leftovers) await admin.unsafe(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE "${template}"`);
    for (const migrate of options.migrations) await migrate(withDatabase(adminUrl, template));
  } catch (error) {
    await server?.stop();
    throw error;
  } finally {
    await admin.end();
  }
  return { adminUrl, template, stop: async () => server?.stop() };
}

export type TestDatabaseUrl = { url: string; name: string; drop: () => Promise<void> };

/** A fresh database cloned from the template, and how to drop it. */
export async function cloneTestDatabase(adminUrl: string, template: string): Promise<TestDatabaseUrl> {
  const name = `${PREFIX}${Math.random().toString(16).slice(2, 14)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(adminUrl, name),
    name,
    drop: async () => {
      const cleanup = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

/**
 * A cloned database opened with the caller's own handle (typed with its own tables); closing the handle also
 * drops the database. In a test file: openTestDatabase(inject("postgresAdminUrl"), inject("templateDatabase"), open).
 */
export async function openTestDatabase<Handle extends { close: () => Promise<void> }>(
  adminUrl: string,
  template: string,
  open: (url: string) => Handle,
): Promise<Handle & { url: string; name: string }> {
  const clone = await cloneTestDatabase(adminUrl, template);
  const handle = open(clone.url);
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

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
