// local-trigger/testing: test a Trigger.dev project against the real CLI (startLocalTrigger), and one
// Postgres per test run for a vitest globalSetup (startTestPostgres, cloneTestDatabase).
import "./provided-context";

export { startLocalTrigger, projectRefOf, type LocalTrigger, type LocalTriggerOptions } from "./local-trigger";
export {
  cloneTestDatabase,
  openTestDatabase,
  startTestPostgres,
  withDatabase,
  type TestPostgres,
  type TestPostgresOptions,
} from "./test-postgres";
