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
    // One file at a time: the e2e files each run the real CLI, task processes and a whole stack, and on two
    // cores two of them at once take longer together than one after the other (the fault explorer alone
    // settles in ~25 s, beside another stack in ~290 s, near its deadline).
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    reporters: ["default", "./tests/support/summary-reporter.ts"],
  },
});
