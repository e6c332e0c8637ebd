// What `trigger.dev dev` asks before it runs anything: who am I, the project's dev environment (its key
// and API URL), the variables for task processes, and, on every build, a new background worker.
import { CreateBackgroundWorkerRequestBody } from "@trigger.dev/core/v3/schemas";
import { Hono } from "hono";
import { apiKeyFor, ensureProjectEnvironment } from "../environments";
import { registerWorker } from "../engine/workers";
import { syncDeclarativeSchedules } from "../engine/schedules";
import { requireAccessToken } from "./auth";
import { parseBody, type PlatformEnv } from "./http-context";

export const cliApi = new Hono<PlatformEnv>()
  .use("/api/v2/whoami", requireAccessToken)
  .use("/api/v1/projects/*", requireAccessToken)
  .get("/api/v2/whoami", (c) =>
    c.json({ userId: "user_local", email: "dev@localhost.local", dashboardUrl: c.var.platform.origin }),
  )
  .get("/api/v1/platform-notifications", (c) => c.json({ notification: null }))
  .get("/api/v1/projects/:ref/dev", async (c) => {
    const { platform } = c.var;
    const env = await ensureProjectEnvironment(platform.db, c.req.param("ref"), platform.options);
    return c.json({ apiKey: apiKeyFor(env.projectRef, platform.options), name: env.projectName, apiUrl: platform.origin, projectId: env.projectId });
  })
  .get("/api/v1/projects/:ref/envvars", async (c) => {
    await ensureProjectEnvironment(c.var.platform.db, c.req.param("ref"), c.var.platform.options);
    return c.json({ variables: c.var.platform.options.taskEnvironment });
  })
  .get("/api/v1/projects/:ref/dev-status", (c) => c.json({ isConnected: true }))
  .post("/api/v1/projects/:ref/background-workers", async (c) => {
    const { platform } = c.var;
    const env = await ensureProjectEnvironment(platform.db, c.req.param("ref"), platform.options);
    const body = await parseBody(c, CreateBackgroundWorkerRequestBody);
    const worker = await registerWorker(platform, env.id, { ...body.metadata, contentHash: body.metadata.contentHash });
    await syncDeclarativeSchedules(platform, env, worker);
    platform.notifier.wake(env.id);
    return c.json({ id: worker.id, version: worker.version, contentHash: worker.contentHash });
  });
