// An order-shaped no-op workflow, for the benchmarks: a parent that runs three steps one after the other with
// triggerAndWait, parents limited to 4 at once (as the order app's `orders` queue is), and no work at all. What
// it costs is the platform's and the CLI's share of an order.
import { queue, task } from "@trigger.dev/sdk";

const workflows = queue({ name: "noop-workflows", concurrencyLimit: 4 });

export const noopStep = task({ id: "noop-step", run: async () => null });

export const noopWorkflow = task({
  id: "noop-workflow",
  queue: workflows,
  run: async () => {
    for (let step = 0; step < 3; step++) await noopStep.triggerAndWait().unwrap();
    return null;
  },
});
