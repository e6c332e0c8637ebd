// Projects and their dev environments. Any project ref works: the first CLI or API request that names one
// creates it (the dashboard's pages only look). The default project's key is the configured secret key;
// another project's is `<key>-<ref>`.
import { and, asc, eq, type SQL } from "drizzle-orm";
import type { Database } from "./db/client";
import { environments, projects, type Environment } from "./db/schema";
import { newIds } from "./ids";
import type { PlatformOptions } from "./platform-context";

export type ProjectEnvironment = Environment & { projectId: string; projectName: string };

// Environments never change once made, so they are cached, per database (tests run several side by side).
const caches = new WeakMap<Database, { byKey: Map<string, ProjectEnvironment>; byRef: Map<string, ProjectEnvironment> }>();
function cacheOf(db: Database) {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = { byKey: new Map(), byRef: new Map() }));
  return cache;
}

/** The key a new environment is given. The stored key is the key: settings may change after it was made. */
function preferredApiKey(projectRef: string, options: PlatformOptions): string {
  return projectRef === options.defaultProjectRef ? options.secretKey : `${options.secretKey}-${projectRef}`;
}

/** The project's dev environment, created on first use. */
export async function ensureProjectEnvironment(db: Database, projectRef: string, options: PlatformOptions): Promise<ProjectEnvironment> {
  const cached = cacheOf(db).byRef.get(projectRef);
  if (cached) return cached;
  await db
    .insert(projects)
    .values({ ref: projectRef, id: newIds("proj").id, name: projectRef })
    .onConflictDoNothing();
  // The preferred key may be another project's already (the default project changed on an existing
  // database): then this one gets its ref-suffixed key.
  for (const apiKey of [preferredApiKey(projectRef, options), `${options.secretKey}-${projectRef}`]) {
    await db
      .insert(environments)
      .values({ id: newIds("env").id, projectRef, slug: "dev", apiKey })
      .onConflictDoNothing();
    const found = await load(db, eq(environments.projectRef, projectRef));
    if (found) return found;
  }
  throw new Error(`Could not make a dev environment for ${projectRef}: its keys are taken`);
}

/** The project's environment with this slug, if both exist: a page that names a project never creates it. */
export async function findProjectEnvironment(db: Database, projectRef: string, slug: string): Promise<ProjectEnvironment | undefined> {
  const cached = cacheOf(db).byRef.get(projectRef);
  if (cached?.slug === slug) return cached;
  return load(db, and(eq(environments.projectRef, projectRef), eq(environments.slug, slug)));
}

/** Every project with its environments, oldest project first. */
export async function listProjectEnvironments(db: Database): Promise<ProjectEnvironment[]> {
  const rows = await db
    .select({ env: environments, projectId: projects.id, projectName: projects.name })
    .from(environments)
    .innerJoin(projects, eq(projects.ref, environments.projectRef))
    .orderBy(asc(projects.createdAt), asc(projects.ref), asc(environments.slug));
  return rows.map((row) => ({ ...row.env, projectId: row.projectId, projectName: row.projectName }));
}

export async function environmentByApiKey(db: Database, apiKey: string): Promise<ProjectEnvironment | undefined> {
  return cacheOf(db).byKey.get(apiKey) ?? (await load(db, eq(environments.apiKey, apiKey)));
}

async function load(db: Database, where: SQL | undefined): Promise<ProjectEnvironment | undefined> {
  const [row] = await db
    .select({ env: environments, projectId: projects.id, projectName: projects.name })
    .from(environments)
    .innerJoin(projects, eq(projects.ref, environments.projectRef))
    .where(where);
  if (!row) return undefined;
  const env = { ...row.env, projectId: row.projectId, projectName: row.projectName };
  cacheOf(db).byKey.set(env.apiKey, env);
  cacheOf(db).byRef.set(env.projectRef, env);
  return env;
}
