import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.{ts,tsx}", "platform/tests/**/*.test.ts", "platform/examples/**/*.test.ts", "stand-ins/tests/**/*.test.ts"],
    // The test kit runs a project in a copy under its .trigger folder, tests and all; a copy left by a killed
    // run must not be collected as tests of its own.
    exclude: [...configDefaults.exclude, "**/.trigger/**"],
    // One Postgres for the whole run (the packages' tests included); each test file gets its own database
    // cloned from a template with every chain migrated.
    globalSetup: ["tests/support/global-postgres.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 120_000,
    reporters: ["default", "./tests/support/summary-reporter.ts"],
  },
});
