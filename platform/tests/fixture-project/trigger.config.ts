import { defineConfig } from "@trigger.dev/sdk";

// A Trigger.dev project made for testing the local platform: tasks that exercise one semantic each.
export default defineConfig({
  project: "proj_platformfixture",
  dirs: ["./src/trigger"],
  runtime: "node",
  logLevel: "info",
  maxDuration: 60,
  retries: { enabledInDev: true, default: { maxAttempts: 3, minTimeoutInMs: 100, maxTimeoutInMs: 200, factor: 1, randomize: false } },
  processKeepAlive: { enabled: true, maxExecutionsPerProcess: 1000, devMaxPoolSize: 25 },
});
