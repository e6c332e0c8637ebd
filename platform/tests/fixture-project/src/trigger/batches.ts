// batchTrigger and batchTriggerAndWait (one with an item an idempotency key makes an existing run).
import { idempotencyKeys, task } from "@trigger.dev/sdk";
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

/** batchTriggerAndWait whose first item's idempotency key names a run that exists already (made elsewhere). */
export const batchWithKnownKey = task({
  id: "batch-with-known-key",
  run: async (payload: { key: string }) => {
    const results = await echo.batchTriggerAndWait([
      { payload: { message: "would be new" }, options: { idempotencyKey: await idempotencyKeys.create(payload.key, { scope: "global" }) } },
      { payload: { message: "fresh" } },
    ]);
    return { outputs: results.runs.map((r) => (r.ok ? r.output.echoed : `failed ${r.id}`)), ids: results.runs.map((r) => r.id) };
  },
});
