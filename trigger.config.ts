import { defineConfig } from "@trigger.dev/sdk";

// A task process is replaced after this many runs, which bounds how long a leak in task code can grow (the CLI
// also caps each process's heap). Each replacement costs about 1.3 s of CPU (a cold start, then its code warming
// up), which every order pays its share of: at 500 runs, about 11 ms of task-process CPU per order (86 against 75
// in 3-minute npm run bench runs, replaced twice against never); at 2,000, about 3. In dev the CLI's
// processes share the load evenly, so they reach it together and all restart at once.
const maxExecutionsPerProcess = Number(process.env.TRIGGER_MAX_EXECUTIONS_PER_PROCESS ?? 2000);
if (!Number.isInteger(maxExecutionsPerProcess) || maxExecutionsPerProcess < 1)
  throw new Error(
    `TRIGGER_MAX_EXECUTIONS_PER_PROCESS must be a whole number of runs, 1 or more (got "${process.env.TRIGGER_MAX_EXECUTIONS_PER_PROCESS}")`,
  );

// The same jobs/ run against the local platform (npm start) and, unchanged, against Trigger.dev Cloud or a
// self-hosted Trigger.dev: set TRIGGER_PROJECT_REF to your project's ref there.
export default defineConfig({
  project: process.env.TRIGGER_PROJECT_REF || "proj_orderfulfillment",
  dirs: ["./jobs"],
  runtime: "node",
  logLevel: "info",
  // A run that outlives this is TIMED_OUT (seconds of CPU-bound work; waits do not count).
  maxDuration: 300,
  retries: {
    // Without this, dev mode never retries, and the failure paths would behave differently from production.
    enabledInDev: true,
    default: { maxAttempts: 3, factor: 2, minTimeoutInMs: 500, maxTimeoutInMs: 10_000, randomize: true },
  },
  // Warm task processes: a run does not pay for a process start. The CLI keeps up to devMaxPoolSize idle ones;
  // 10 covers the `orders` queue's 3 parents, their steps and the scheduled tasks without keeping spares.
  processKeepAlive: { enabled: true, maxExecutionsPerProcess, devMaxPoolSize: 10 },
});
