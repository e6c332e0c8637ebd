// batchTrigger and batchTriggerAndWait.
import { task } from "@trigger.dev/sdk";
import { echo } from "./basics";

export const batchParent = task({
  id: "batch-parent",
  run: async (payload: { count: number }) => {
    const results = await echo.batchTriggerAndWait(
      Array.from({ length: payload.count }, (_, i) => ({ payload: { message: `item ${i}` } })),
    );
    return { outputs: results.runs.map((r) => (r.ok ? r.output.echoed : `failed ${r.id}`)) };
  },
});
