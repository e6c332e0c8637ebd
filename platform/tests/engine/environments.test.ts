// A project's key is the one stored with its environment. A database kept across a change of settings (the
// default project or the secret key changed, or `npm run platform` started on the data of `npm start`) still
// gets an environment for every project, and each answers to its own stored key.
import { afterAll, beforeAll, expect, it } from "vitest";
import { ensureProjectEnvironment, environmentByApiKey, setEnvironmentKey } from "../../lib/environments";
import { ENGINE_OPTIONS } from "./engine-harness";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t.close());

it("a new default project whose chosen key is taken gets a random key; both keys find their own project", async () => {
  const first = await ensureProjectEnvironment(t.db, "proj_first", {
    ...ENGINE_OPTIONS,
    secretKey: "tr_dev_same",
    defaultProjectRef: "proj_first",
  });
  const second = await ensureProjectEnvironment(t.db, "proj_second", {
    ...ENGINE_OPTIONS,
    secretKey: "tr_dev_same",
    defaultProjectRef: "proj_second",
  });
  expect(first.apiKey).toBe("tr_dev_same");
  expect(second.apiKey).toMatch(/^tr_dev_[0-9a-f]{40}$/);
  expect((await environmentByApiKey(t.db, "tr_dev_same"))?.projectRef).toBe("proj_first");
  expect((await environmentByApiKey(t.db, second.apiKey))?.projectRef).toBe("proj_second");
  expect(await environmentByApiKey(t.db, "tr_dev_same-proj_second")).toBeUndefined();
});

it("a project's key is random, not derived from another's; a chosen key replaces the made one, and the old key opens nothing", async () => {
  const options = { ...ENGINE_OPTIONS, secretKey: undefined, defaultProjectRef: "proj_keys" };
  const made = await ensureProjectEnvironment(t.db, "proj_keys", options);
  const other = await ensureProjectEnvironment(t.db, "proj_keysother", options);
  expect(made.apiKey).toMatch(/^tr_dev_[0-9a-f]{40}$/);
  expect(other.apiKey).toMatch(/^tr_dev_[0-9a-f]{40}$/);
  expect(other.apiKey).not.toContain(made.apiKey);

  const chosen = await setEnvironmentKey(t.db, made, "tr_dev_chosenkey0123456789");
  expect(chosen.apiKey).toBe("tr_dev_chosenkey0123456789");
  expect(await environmentByApiKey(t.db, made.apiKey)).toBeUndefined();
  expect((await environmentByApiKey(t.db, "tr_dev_chosenkey0123456789"))?.projectRef).toBe("proj_keys");
  await expect(setEnvironmentKey(t.db, other, "tr_dev_chosenkey0123456789")).rejects.toThrow(/already the key of project proj_keys/);
  expect((await environmentByApiKey(t.db, other.apiKey))?.projectRef).toBe("proj_keysother");
});
