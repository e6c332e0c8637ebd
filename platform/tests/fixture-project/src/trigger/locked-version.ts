// Triggers from inside a task are locked to its version: a task or queue that version lacks is refused.
import { task, tasks } from "@trigger.dev/sdk";
import { echo } from "./basics";

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export const triggersTheUnknown = task({
  id: "triggers-the-unknown",
  retry: { maxAttempts: 1 },
  run: async () => {
    const refusals: string[] = [];
    await tasks.triggerAndWait("no-such-task", {}).catch((error: unknown) => refusals.push(messageOf(error)));
    await echo.triggerAndWait({ message: "x" }, { queue: "no-such-queue" }).catch((error: unknown) => refusals.push(messageOf(error)));
    return { refusals };
  },
});
