// Retries, AbortTaskRunError, maxDuration, and a cancel while running (onCancel).
import { AbortTaskRunError, metadata, task } from "@trigger.dev/sdk";

/** Fails its first `failTimes` attempts, then succeeds. */
export const flaky = task({
  id: "flaky",
  retry: { maxAttempts: 4, minTimeoutInMs: 200, maxTimeoutInMs: 200, factor: 1, randomize: false },
  run: async (payload: { failTimes: number }, { ctx }) => {
    if (ctx.attempt.number <= payload.failTimes) throw new Error(`failing attempt ${ctx.attempt.number}`);
    return { attempt: ctx.attempt.number };
  },
});

export const alwaysFails = task({
  id: "always-fails",
  retry: { maxAttempts: 2, minTimeoutInMs: 100, maxTimeoutInMs: 100, factor: 1, randomize: false },
  run: async () => {
    throw new Error("this task always fails");
  },
});

export const aborts = task({
  id: "aborts",
  retry: { maxAttempts: 5, minTimeoutInMs: 100, maxTimeoutInMs: 100 },
  run: async () => {
    throw new AbortTaskRunError("declined for good");
  },
});

export const slow = task({
  id: "slow",
  maxDuration: 2,
  retry: { maxAttempts: 3 },
  run: async (payload: { ms: number }) => {
    // Busy work, not a wait: maxDuration counts compute time.
    const until = Date.now() + payload.ms;
    while (Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    return { slept: payload.ms };
  },
});

/** Runs until cancelled; its onCancel hook leaves a mark in metadata (the test sees the hook ran). */
export const cancellable = task({
  id: "cancellable",
  run: async (_payload: null, { signal }) => {
    metadata.set("state", "running");
    await metadata.flush();
    while (!signal.aborted) await new Promise((r) => setTimeout(r, 50));
    return null;
  },
  onCancel: async () => {
    metadata.set("state", "onCancel ran").set("hookAt", Date.now());
    await metadata.flush();
  },
});
