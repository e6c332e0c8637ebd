// What a task process is handed at each start: the environment's variables as they are now. Starts read them
// through a cache that lasts a second; a change made through the platform reaches the very next start, and one
// written to the database by anything else (another platform on it) within the second.
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createVariable, deleteVariable, taskProcessVariables, updateVariable } from "../../lib/environment-variables";
import { ensureProjectEnvironment, type ProjectEnvironment } from "../../lib/environments";
import { ENGINE_OPTIONS } from "./engine-harness";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

let t: TestDatabase;
let env: ProjectEnvironment;
const options = { ...ENGINE_OPTIONS, defaultProjectRef: "proj_variables", taskEnvironment: { DATABASE_URL: "postgres://platform-own" } };
beforeAll(async () => {
  t = await createTestDatabase();
  env = await ensureProjectEnvironment(t.db, "proj_variables", options);
});
afterAll(async () => t.close());

it("a change through the platform reaches the next start at once; the platform's own variables win a clash", async () => {
  expect(await taskProcessVariables(t.db, env, options)).toEqual({ DATABASE_URL: "postgres://platform-own" });
  await createVariable(t.db, env, { name: "GREETING", value: "hello" });
  await createVariable(t.db, env, { name: "DATABASE_URL", value: "postgres://stray" });
  expect(await taskProcessVariables(t.db, env, options)).toEqual({ GREETING: "hello", DATABASE_URL: "postgres://platform-own" });
  await updateVariable(t.db, env, "GREETING", "hi");
  expect((await taskProcessVariables(t.db, env, options)).GREETING).toBe("hi");
  await deleteVariable(t.db, env, "GREETING");
  expect((await taskProcessVariables(t.db, env, options)).GREETING).toBeUndefined();
});

it("a change written by anything else is seen within a second, and not read again for every start before that", async () => {
  await taskProcessVariables(t.db, env, options);
  await t.db.execute(
    sql`INSERT INTO trigger_platform.environment_variables (environment_id, name, value) VALUES (${env.id}, 'ELSEWHERE', 'yes')`,
  );
  expect((await taskProcessVariables(t.db, env, options)).ELSEWHERE).toBeUndefined(); // still the kept read
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  expect((await taskProcessVariables(t.db, env, options)).ELSEWHERE).toBe("yes");
});
