// Tasks the realtime tests watch: one that reports its progress in metadata, one that subscribes to a child.
import { metadata, task } from "@trigger.dev/sdk";
import { echo } from "./basics";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Three steps, each in metadata (flushed, so a subscriber sees it while the run goes on). */
export const progress = task({
  id: "progress",
  run: async (payload: { steps: string[]; pauseMs?: number }) => {
    for (const step of payload.steps) {
      metadata.set("step", step);
      await metadata.flush();
      await pause(payload.pauseMs ?? 400);
    }
    return { done: payload.steps.length };
  },
});

/** triggerAndSubscribe: triggers echo and follows it over the realtime feed until it completes. */
export const subscribesToChild = task({
  id: "subscribes-to-child",
  run: async (payload: { message: string }) => {
    const result = await echo.triggerAndSubscribe({ message: payload.message });
    return { ok: result.ok, output: result.ok ? result.output : null };
  },
});
