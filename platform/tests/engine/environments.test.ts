// A project's key is the one stored with its environment. A database kept across a change of settings (the
// default project or the secret key changed, or `npm run platform` started on the data of `npm start`) still
// gets an environment for every project, and each answers to its own stored key.
import { afterAll, beforeAll, expect, it } from "vitest";
import { ensureProjectEnvironment, environmentByApiKey } from "../../lib/environments";
import { ENGINE_OPTIONS } from "./engine-harness";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t.close());

it("a new default project whose preferred key is taken gets its ref-suffixed key; both keys find their own project", async () => {
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
  expect(second.apiKey).toBe("tr_dev_same-proj_second");
  expect((await environmentByApiKey(t.db, "tr_dev_same"))?.projectRef).toBe("proj_first");
  expect((await environmentByApiKey(t.db, "tr_dev_same-proj_second"))?.projectRef).toBe("proj_second");
});
