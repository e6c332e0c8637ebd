import { logger, task } from "@trigger.dev/sdk";

export const helloWorld = task({
  id: "hello-world",
  run: async (payload: { name: string }) => {
    logger.log("Saying hello", { name: payload.name });
    return { greeting: `Hello, ${payload.name}!` };
  },
});

/** Greets everyone in one batch of child runs and waits for them all. */
export const greetMany = task({
  id: "greet-many",
  run: async (payload: { names: string[] }) => {
    const batch = await helloWorld.batchTriggerAndWait(payload.names.map((name) => ({ payload: { name } })));
    const greetings = batch.runs.flatMap((run) => (run.ok ? [run.output.greeting] : []));
    return { greetings, greeted: greetings.length };
  },
});
