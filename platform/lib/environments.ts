// Projects and their dev environments. The access token's holder creates a project by naming it (the CLI's
// first request does). Each environment's secret key is random, made with it and kept: the default project's
// is TRIGGER_SECRET_KEY when that is set. A key is found by its digest, so the time a lookup takes says
// nothing of how much of a guessed key was right.
import { createHash } from "node:crypto";
import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import type { Database } from "./db/client";
import { environments, projects, type Environment } from "./db/schema";
import { newIds } from "./ids";
import { randomToken } from "./install-secrets";
import type { PlatformOptions } from "./platform-context";

export type ProjectEnvironment = Environment & { projectId: string; projectName: string };

// Environments change only by setEnvironmentKey (which forgets them), so they are cached, per database (tests run several side by side).
const caches = new WeakMap<Database, { byKey: Map<string, ProjectEnvironment>; byRef: Map<string, ProjectEnvironment> }>();
function cacheOf(db: Database) {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = { byKey: new Map(), byRef: new Map() }));
  return cache;
}

/** The one environment each project has on this platform. */
export const DEV_ENVIRONMENT_SLUG = "dev";

/** A new environment's secret key. */
const newApiKey = () => randomToken("tr_dev_", 20);

/** The project's dev environment, created on first use. */
export async function ensureProjectEnvironment(db: Database, projectRef: string, options: PlatformOptions): Promise<ProjectEnvironment> {
  const cached = cacheOf(db).byRef.get(projectRef);
  if (cached) return cached;
  await db
    .insert(projects)
    .values({ ref: projectRef, id: newIds("proj").id, name: projectRef })
    .onConflictDoNothing();
  // The chosen key may be another project's already (the default project changed on a kept database): then
  // this one gets a random key.
  const chosen = projectRef === options.defaultProjectRef ? options.secretKey : undefined;
  for (const apiKey of [chosen, newApiKey()]) {
    if (!apiKey) continue;
    await db
      .insert(environments)
      .values({ id: newIds("env").id, projectRef, slug: DEV_ENVIRONMENT_SLUG, apiKey })
      .onConflictDoNothing();
    const found = await load(db, eq(environments.projectRef, projectRef));
    if (found) return found;
  }
  throw new Error(`Could not make a dev environment for ${projectRef}`);
}

/** Gives the project's environment the chosen key (TRIGGER_SECRET_KEY set on an install whose key was made). */
export async function setEnvironmentKey(db: Database, env: ProjectEnvironment, apiKey: string): Promise<ProjectEnvironment> {
  if (env.apiKey === apiKey) return env;
  const holder = await environmentByApiKey(db, apiKey);
  if (holder && holder.id !== env.id)
    throw new Error(`TRIGGER_SECRET_KEY is already the key of project ${holder.projectRef}: choose another for ${env.projectRef}`);
  await db.update(environments).set({ apiKey }).where(eq(environments.id, env.id));
  cacheOf(db).byKey.delete(digestOf(env.apiKey));
  cacheOf(db).byRef.delete(env.projectRef);
  return (await load(db, eq(environments.id, env.id)))!;
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

const digestOf = (apiKey: string) => createHash("sha256").update(apiKey).digest("hex");

/** The environment with this id (a public token's `sub`). */
export async function environmentById(db: Database, id: string): Promise<ProjectEnvironment | undefined> {
  for (const env of cacheOf(db).byRef.values()) if (env.id === id) return env;
  return load(db, eq(environments.id, id));
}

export async function environmentByApiKey(db: Database, apiKey: string): Promise<ProjectEnvironment | undefined> {
  const digest = digestOf(apiKey);
  return (
    cacheOf(db).byKey.get(digest) ?? (await load(db, sql`sha256(convert_to(${environments.apiKey}, 'UTF8')) = decode(${digest}, 'hex')`))
  );
}

async function load(db: Database, where: SQL | undefined): Promise<ProjectEnvironment | undefined> {
  const [row] = await db
    .select({ env: environments, projectId: projects.id, projectName: projects.name })
    .from(environments)
    .innerJoin(projects, eq(projects.ref, environments.projectRef))
    .where(where);
  if (!row) return undefined;
  const env = { ...row.env, projectId: row.projectId, projectName: row.projectName };
  cacheOf(db).byKey.set(digestOf(env.apiKey), env);
  cacheOf(db).byRef.set(env.projectRef, env);
  return env;
}
