// Plain runs, triggerAndWait, wait.for and metadata.
import { logger, metadata, task, wait } from "@trigger.dev/sdk";

export const echo = task({
  id: "echo",
  run: async (payload: { message: string }) => {
    logger.info("echoing", { message: payload.message });
    return { echoed: payload.message, at: new Date("2026-01-02T03:04:05.000Z") };
  },
});

export const noop = task({ id: "noop", run: async () => null });

export const parent = task({
  id: "parent",
  run: async (payload: { message: string; waitSeconds?: number }) => {
    metadata.set("step", "child");
    const child = await echo.triggerAndWait({ message: payload.message });
    if (!child.ok) throw new Error("child failed");
    metadata.set("step", "waiting");
    await wait.for({ seconds: payload.waitSeconds ?? 6 });
    metadata.set("step", "done").increment("waits", 1);
    return { fromChild: child.output.echoed, childId: child.id };
  },
});

/** metadata.replace: the run's metadata becomes the new object (flushed while it runs, and at its end). */
export const replaceMetadata = task({
  id: "replace-metadata",
  run: async () => {
    metadata.set("draft", true).set("step", "first");
    await metadata.flush();
    metadata.replace({ step: "replaced" });
    return null;
  },
});

/** Ends as soon as a child it triggers (without waiting) has been created. */
export const fireAndForget = task({
  id: "fire-and-forget",
  run: async () => {
    const handle = await echo.trigger({ message: "not awaited" });
    return { childId: handle.id };
  },
});

/** For the benchmarks: waits for a no-op child and reports when it got control back. */
export const resumeProbe = task({
  id: "resume-probe",
  run: async () => {
    const child = await noop.triggerAndWait(undefined);
    return { childId: child.id, resumedAt: Date.now() };
  },
});
