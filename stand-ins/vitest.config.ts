import { defineConfig } from "vitest/config";

// The stand-ins' tests alone (`npm test -w local-stand-ins`); the order project's `npm test` runs them too.
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    globalSetup: ["tests/support/global-postgres.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
