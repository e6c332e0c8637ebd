// Queues with a concurrencyLimit, with and without a concurrencyKey.
import { queue, task } from "@trigger.dev/sdk";

const single = queue({ name: "single-file", concurrencyLimit: 1 });

export const oneAtATime = task({
  id: "one-at-a-time",
  queue: single,
  run: async (payload: { ms: number }) => {
    const started = Date.now();
    await new Promise((r) => setTimeout(r, payload.ms));
    return { started, ended: Date.now() };
  },
});
