// What a task process sees of its project's environment variables (set with envvars.*).
import { envvars, task } from "@trigger.dev/sdk";

/** The named variables as the run's process.env holds them, and one as envvars.retrieve answers it from inside
 *  the run (project and environment taken from the run's context). */
export const readEnv = task({
  id: "read-env",
  run: async (payload: { names: string[]; retrieve?: string }) => ({
    env: Object.fromEntries(payload.names.map((name) => [name, process.env[name] ?? null])),
    retrieved: payload.retrieve ? await envvars.retrieve(payload.retrieve) : null,
  }),
});
