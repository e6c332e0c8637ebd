// An environment's variables, set with the SDK's envvars.* as on Trigger.dev's dashboard, and what a task
// process is handed: those variables with the platform's own taskEnvironment over them. The rules are
// Trigger.dev's: names of letters, digits and underscores; TRIGGER_SECRET_KEY and TRIGGER_API_URL are never
// stored (the platform sets them); no empty values; create overwrites, an import only when told to; a
// secret's value is never read back.
import { and, asc, eq, sql } from "drizzle-orm";
import type { Database } from "./db/client";
import { environmentVariables, type EnvironmentVariable } from "./db/schema";
import type { ProjectEnvironment } from "./environments";
import { PlatformError } from "./platform-error";
import type { PlatformOptions } from "./platform-options";

/** Trigger.dev's rule for a name (its EnvironmentVariableKey: \w+, and \w without the u flag is [A-Za-z0-9_]);
 *  the length cap is ours, so that a name always fits its index (a longer one would fail as a 500). */
const VARIABLE_NAME = /^\w{1,1024}$/;
const NAME_RULE = "a variable's name is 1 to 1024 letters, digits and underscores";
/** The task process's credentials and API URL are the platform's: Trigger.dev refuses to store them. */
const RESERVED_NAMES: ReadonlySet<string> = new Set(["TRIGGER_SECRET_KEY", "TRIGGER_API_URL"]);
/** What list and retrieve show instead of a secret's value, as on Trigger.dev. */
export const REDACTED_VALUE = "<redacted>";

/** A variable as envvars.list and envvars.retrieve answer it (EnvironmentVariableWithSecret). */
export type VariableView = { name: string; value: string; isSecret: boolean };

const isBlank = (value: string) => value.trim() === "";

function view(variable: EnvironmentVariable): VariableView {
  return { name: variable.name, value: variable.isSecret ? REDACTED_VALUE : variable.value, isSecret: variable.isSecret };
}

function notFound(env: ProjectEnvironment, name: string) {
  return new PlatformError(`No environment variable ${name.slice(0, 200)} in project ${env.projectRef} (${env.slug})`, 404);
}

function checkName(name: string) {
  if (!VARIABLE_NAME.test(name)) throw new PlatformError(`name: ${JSON.stringify(name.slice(0, 200))} is not allowed: ${NAME_RULE}`);
  if (RESERVED_NAMES.has(name)) throw new PlatformError(`name: ${name} is reserved: the platform sets it for every task process`);
}

function checkValue(name: string, value: string) {
  if (isBlank(value)) throw new PlatformError(`value: ${name}'s value is empty; a variable needs a value (delete it instead)`);
  // A process's environment cannot hold one (nor can Postgres text).
  if (value.includes("\0")) throw new PlatformError(`value: ${name}'s value holds a NUL character, which no environment variable can`);
}

/** Every variable of the environment, by name; secrets' values redacted. */
export async function listVariables(db: Database, env: ProjectEnvironment): Promise<VariableView[]> {
  const rows = await db
    .select()
    .from(environmentVariables)
    .where(eq(environmentVariables.environmentId, env.id))
    .orderBy(asc(environmentVariables.name));
  return rows.map(view);
}

/** One variable (a secret's value redacted); 404 if the environment has none of that name. */
export async function retrieveVariable(db: Database, env: ProjectEnvironment, name: string): Promise<VariableView> {
  const [row] = await db
    .select()
    .from(environmentVariables)
    .where(and(eq(environmentVariables.environmentId, env.id), eq(environmentVariables.name, name)));
  if (!row) throw notFound(env, name);
  return view(row);
}

/** envvars.create: sets the variable, overwriting one of the same name. Left out, `isSecret` keeps what an
 *  existing variable had (a new one is not secret), as on Trigger.dev. */
export async function createVariable(
  db: Database,
  env: ProjectEnvironment,
  variable: { name: string; value: string; isSecret?: boolean },
): Promise<void> {
  checkName(variable.name);
  checkValue(variable.name, variable.value);
  await setVariables(db, env, { [variable.name]: variable.value }, { override: true, isSecret: variable.isSecret });
}

/** envvars.upload: sets many at once, all or none. Names already set are refused unless `override`; reserved
 *  names and empty values are skipped, as on Trigger.dev (a whole .env file may be uploaded), but an import
 *  that leaves nothing to set is refused. */
export async function importVariables(
  db: Database,
  env: ProjectEnvironment,
  request: { variables: Record<string, string>; override?: boolean; isSecret?: boolean },
): Promise<void> {
  const names = Object.keys(request.variables);
  const badNames = names.filter((name) => !VARIABLE_NAME.test(name));
  if (badNames.length > 0)
    throw new PlatformError(`variables: ${badNames.map((n) => JSON.stringify(n.slice(0, 200))).join(", ")} not allowed: ${NAME_RULE}`);
  const kept = Object.fromEntries(
    Object.entries(request.variables).filter(([name, value]) => !RESERVED_NAMES.has(name) && !isBlank(value)),
  );
  if (Object.keys(kept).length === 0)
    throw new PlatformError(
      `variables: nothing to set: ${names.length === 0 ? "none were given" : `every one was empty or reserved (${[...RESERVED_NAMES].join(", ")})`}`,
    );
  for (const [name, value] of Object.entries(kept)) checkValue(name, value);
  await setVariables(db, env, kept, { override: request.override ?? false, isSecret: request.isSecret });
}

async function setVariables(
  db: Database,
  env: ProjectEnvironment,
  variables: Record<string, string>,
  { override, isSecret }: { override: boolean; isSecret: boolean | undefined },
): Promise<void> {
  const rows = Object.entries(variables).map(([name, value]) => ({ environmentId: env.id, name, value, isSecret: isSecret ?? false }));
  await db.transaction(async (tx) => {
    const insert = tx.insert(environmentVariables).values(rows);
    if (override) {
      await insert.onConflictDoUpdate({
        target: [environmentVariables.environmentId, environmentVariables.name],
        set: { value: sql`excluded.value`, updatedAt: sql`now()`, ...(isSecret === undefined ? {} : { isSecret }) },
      });
      return;
    }
    // Inserted unless present; if any was, the transaction is undone: an import sets all or nothing.
    const inserted = new Set((await insert.onConflictDoNothing().returning({ name: environmentVariables.name })).map((r) => r.name));
    const present = rows.map((r) => r.name).filter((name) => !inserted.has(name));
    if (present.length > 0)
      throw new PlatformError(`variables: already set: ${present.join(", ")}; set override to true to overwrite them`);
  });
  forgetVariables(db, env);
}

/** envvars.update: the variable's new value (it stays secret or not); 404 if it does not exist. */
export async function updateVariable(db: Database, env: ProjectEnvironment, name: string, value: string): Promise<void> {
  checkValue(name, value);
  const updated = await db
    .update(environmentVariables)
    .set({ value, updatedAt: sql`now()` })
    .where(and(eq(environmentVariables.environmentId, env.id), eq(environmentVariables.name, name)))
    .returning({ name: environmentVariables.name });
  forgetVariables(db, env);
  if (updated.length === 0) throw notFound(env, name);
}

/** envvars.del; 404 if the variable does not exist. */
export async function deleteVariable(db: Database, env: ProjectEnvironment, name: string): Promise<void> {
  const deleted = await db
    .delete(environmentVariables)
    .where(and(eq(environmentVariables.environmentId, env.id), eq(environmentVariables.name, name)))
    .returning({ name: environmentVariables.name });
  forgetVariables(db, env);
  if (deleted.length === 0) throw notFound(env, name);
}

/** The variables every attempt's start reads, kept per database handle and environment for a moment (a start
 *  is one of the engine's busiest steps). A change made here drops them at once; one made by another platform
 *  on the same database reaches the next start within VARIABLES_KEPT_MS. */
const VARIABLES_KEPT_MS = 1_000;
type KeptVariables = { readAt: number; rows: Promise<{ name: string; value: string }[]> };
const keptVariables = new WeakMap<Database, Map<string, KeptVariables>>();
const keptOf = (db: Database) => {
  let kept = keptVariables.get(db);
  if (!kept) keptVariables.set(db, (kept = new Map()));
  return kept;
};
const forgetVariables = (db: Database, env: ProjectEnvironment) => keptOf(db).delete(env.id);

/** What the environment's task processes are handed: its variables, as they are now (so a change reaches the
 *  next attempt without restarting the CLI), and for the default project the platform's taskEnvironment over
 *  them. The platform's win a clash: they wire the task processes to this stack (its database, mail, Stripe), as
 *  a local .env wins over the dashboard's variables in `trigger.dev dev`; a stray user variable must not cut that. */
export async function taskProcessVariables(
  db: Database,
  env: ProjectEnvironment,
  options: PlatformOptions,
): Promise<Record<string, string>> {
  const kept = keptOf(db);
  let entry = kept.get(env.id);
  if (!entry || Date.now() - entry.readAt > VARIABLES_KEPT_MS) {
    const rows = db
      .select({ name: environmentVariables.name, value: environmentVariables.value })
      .from(environmentVariables)
      .where(eq(environmentVariables.environmentId, env.id))
      .execute();
    entry = { readAt: Date.now(), rows };
    kept.set(env.id, entry);
    rows.catch(() => kept.get(env.id) === entry && kept.delete(env.id)); // a failed read is not kept
  }
  const platformOwn = env.projectRef === options.defaultProjectRef ? options.taskEnvironment : {};
  return { ...Object.fromEntries((await entry.rows).map((r) => [r.name, r.value])), ...platformOwn };
}
