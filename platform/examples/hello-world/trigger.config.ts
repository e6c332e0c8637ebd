import { defineConfig } from "@trigger.dev/sdk";

// The config `npx trigger.dev init` writes, trimmed: the test kit reads `project` and the CLI the rest.
export default defineConfig({
  project: "proj_helloworld",
  dirs: ["./src/trigger"],
  runtime: "node",
  logLevel: "log",
  maxDuration: 60,
  retries: {
    enabledInDev: true,
    default: { maxAttempts: 3, minTimeoutInMs: 1_000, maxTimeoutInMs: 10_000, factor: 2, randomize: true },
  },
});
