import { schemaTask } from "@trigger.dev/sdk";
import { z } from "zod";

/** A task whose payload is checked (and defaulted) by zod before `run` sees it. */
export const greetUser = schemaTask({
  id: "greet-user",
  schema: z.object({
    name: z.string().min(1),
    excited: z.boolean().default(false),
  }),
  run: async ({ name, excited }) => ({ greeting: excited ? `Hello, ${name}!!!` : `Hello, ${name}.` }),
});
