// Queues with a concurrencyLimit, with and without a concurrencyKey.
import { queue, task } from "@trigger.dev/sdk";

const single = queue({ name: "single-file", concurrencyLimit: 1 });

/** Sleeps `ms`, and reports when it started and ended. */
const nap = async (payload: { ms: number }) => {
  const started = Date.now();
  await new Promise((r) => setTimeout(r, payload.ms));
  return { started, ended: Date.now() };
};

export const oneAtATime = task({
  id: "one-at-a-time",
  queue: single,
  run: nap,
});

/** Its own queue ("task/two-at-a-time"), declared inline without a name, as Trigger.dev's docs show it. */
export const twoAtATime = task({
  id: "two-at-a-time",
  queue: { concurrencyLimit: 2 },
  run: nap,
});
