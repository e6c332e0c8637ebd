// What `trigger.dev dev` asks before it runs anything: who am I (and, for `trigger.dev whoami`, the project's
// name and dashboard URL), the project's dev environment (its key and API URL), the variables for task
// processes, and, on every build, a new background worker.
import { CreateBackgroundWorkerRequestBody, type WhoAmIResponse } from "@trigger.dev/core/v3/schemas";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import { pathsOfProject } from "../dashboard/project-paths";
import { ensureProjectEnvironment, findProjectEnvironment } from "../environments";
import { taskProcessVariables } from "../environment-variables";
import { listRuns } from "../run-view";
import { commaList } from "./list-query";
import { runListQuery } from "./runs-api";
import { requireAccessToken, type Caller } from "./auth";
import type { Context } from "hono";
import { parseBody, type PlatformEnv } from "./http-context";

export type CliEnv = { Variables: PlatformEnv["Variables"] & { caller: Caller } };

/** The project a CLI route names, made on first use by the access token's holder; a project's key opens its
 *  own project alone (403 for another), and never makes one. */
async function projectOf(c: Context<CliEnv>, ref: string) {
  const { platform, caller } = c.var;
  if (caller.kind === "access-token") return ensureProjectEnvironment(platform.db, ref, platform.options);
  if (caller.env.projectRef === ref) return caller.env;
  throw new HTTPException(403, {
    message: `This key belongs to project ${caller.env.projectRef}; it opens no other project (asked for ${ref.slice(0, 100)})`,
  });
}

/** `trigger.dev whoami` names the project of its trigger.config.ts (or --project-ref) as ?projectRef=. */
const WhoAmIQuery = z.object({ projectRef: z.string().trim().min(1).max(200).optional() });

export const cliApi = new Hono<CliEnv>()
  .use("/api/v2/whoami", requireAccessToken)
  .use("/api/v1/projects/*", requireAccessToken)
  .get("/api/v2/whoami", async (c) => {
    const { platform } = c.var;
    const query = WhoAmIQuery.safeParse(c.req.query());
    if (!query.success)
      throw new HTTPException(400, { message: query.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
    const answer: WhoAmIResponse = { userId: "user_local", email: "dev@localhost.local", dashboardUrl: platform.origin };
    const ref = query.data.projectRef;
    if (ref) {
      // As on every project route here, naming a project makes it, so the URL given opens its (empty) runs.
      const env = await projectOf(c, ref);
      answer.project = { name: env.projectName, url: `${platform.origin}${pathsOfProject(env.projectRef).base}`, orgTitle: "Local" };
    }
    return c.json(answer);
  })
  .get("/api/v1/platform-notifications", (c) => c.json({ notification: null }))
  .get("/api/v1/projects/:ref/dev", async (c) => {
    const { platform } = c.var;
    const env = await projectOf(c, c.req.param("ref"));
    return c.json({ apiKey: env.apiKey, name: env.projectName, apiUrl: platform.origin, projectId: env.projectId });
  })
  .get("/api/v1/projects/:ref/envvars", async (c) => {
    // The project's variables (envvars.*), with the platform's taskEnvironment over them for the default project.
    const env = await projectOf(c, c.req.param("ref"));
    const { db, options } = c.var.platform;
    return c.json({ variables: await taskProcessVariables(db, env, options) });
  })
  // runs.list(projectRef, …): a project's runs, for a personal access token (or the project's own key).
  // Listing never makes a project; this platform's only environment is dev.
  .get("/api/v1/projects/:ref/runs", async (c) => {
    const { platform, caller } = c.var;
    const ref = c.req.param("ref");
    if (caller.kind === "environment-key" && caller.env.projectRef !== ref)
      throw new HTTPException(403, { message: `This key belongs to project ${caller.env.projectRef}; it opens no other project` });
    const env = caller.kind === "environment-key" ? caller.env : await findProjectEnvironment(platform.db, ref, "dev");
    if (!env) return c.json({ error: `No project ${ref.slice(0, 100)}` }, 404);
    const query = runListQuery(c.req.query());
    const envs = commaList(c.req.query("filter[env]"));
    if (envs && !envs.includes(env.slug)) return c.json({ data: [], pagination: {} });
    return c.json(await listRuns(platform, env, query));
  })
  .get("/api/v1/projects/:ref/dev-status", async (c) => {
    await projectOf(c, c.req.param("ref"));
    return c.json({ isConnected: true });
  })
  .post("/api/v1/projects/:ref/background-workers", async (c) => {
    const { platform } = c.var;
    const env = await projectOf(c, c.req.param("ref"));
    const body = await parseBody(c, CreateBackgroundWorkerRequestBody);
    const worker = await platform.engine.registerWorker(env, { ...body.metadata, contentHash: body.metadata.contentHash });
    return c.json({ id: worker.id, version: worker.version, contentHash: worker.contentHash });
  });
