import { configDefaults, defineConfig } from "vitest/config";

// The platform's tests alone (`npm test -w local-trigger`); the order project's `npm test` runs them too.
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts", "examples/**/*.test.ts"],
    // A test kit's project copy (under .trigger) holds the project's tests too: not tests of this run.
    exclude: [...configDefaults.exclude, "**/.trigger/**"],
    globalSetup: ["tests/support/global-postgres.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
