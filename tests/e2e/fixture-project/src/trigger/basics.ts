import { logger, metadata, task, wait } from "@trigger.dev/sdk";

export const echo = task({
  id: "echo",
  run: async (payload: { message: string }) => {
    logger.info("echoing", { message: payload.message });
    return { echoed: payload.message, at: new Date() };
  },
});

export const noop = task({ id: "noop", run: async () => null });

export const parent = task({
  id: "parent",
  run: async (payload: { message: string }) => {
    metadata.set("step", "child");
    const child = await echo.triggerAndWait({ message: payload.message });
    if (!child.ok) throw new Error("child failed");
    metadata.set("step", "waiting");
    await wait.for({ seconds: 6 });
    metadata.set("step", "done");
    return { fromChild: child.output.echoed };
  },
});
