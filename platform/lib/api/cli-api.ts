// What `trigger.dev dev` asks before it runs anything: who am I (and, for `trigger.dev whoami`, the project's
// name and dashboard URL), the project's dev environment (its key and API URL), the variables for task
// processes, and, on every build, a new background worker.
import { CreateBackgroundWorkerRequestBody, type WhoAmIResponse } from "@trigger.dev/core/v3/schemas";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import { pathsOfProject } from "../dashboard/project-paths";
import { DEV_ENVIRONMENT_SLUG, ensureProjectEnvironment, findProjectEnvironment, type ProjectEnvironment } from "../environments";
import { taskProcessVariables } from "../environment-variables";
import { listRuns } from "../run-view";
import { commaList } from "./list-query";
import { runListQuery } from "./runs-api";
import { requireAccessToken, type Caller } from "./auth";
import type { Context } from "hono";
import { parseBody, parseQuery, type PlatformEnv } from "./http-context";

export type CliEnv = { Variables: PlatformEnv["Variables"] & { caller: Caller } };

/**
 * The environment of the project a route names. A project's key opens its own project alone (403 for
 * another). The access token's holder opens any: with `create` (the CLI's own routes) the project is made on
 * first use, as the CLI's first request makes it; without, an unknown project is a 404 (reading never makes one).
 */
export async function projectEnvironmentOf(c: Context<CliEnv>, ref: string, { create }: { create: boolean }): Promise<ProjectEnvironment> {
  const { platform, caller } = c.var;
  if (caller.kind === "environment-key") {
    if (caller.env.projectRef === ref) return caller.env;
    throw new HTTPException(403, {
      message: `This key belongs to project ${caller.env.projectRef}; it opens no other project (asked for ${ref.slice(0, 100)})`,
    });
  }
  if (create) return ensureProjectEnvironment(platform.db, ref, platform.options);
  const env = await findProjectEnvironment(platform.db, ref, DEV_ENVIRONMENT_SLUG);
  if (!env) throw new HTTPException(404, { message: `No project ${ref.slice(0, 100)}` });
  return env;
}

const projectOf = (c: Context<CliEnv>, ref: string) => projectEnvironmentOf(c, ref, { create: true });

/** `trigger.dev whoami` names the project of its trigger.config.ts (or --project-ref) as ?projectRef=. */
const WhoAmIQuery = z.object({ projectRef: z.string().trim().min(1).max(200).optional() });

export const cliApi = new Hono<CliEnv>()
  .use("/api/v2/whoami", requireAccessToken)
  .use("/api/v1/projects/*", requireAccessToken)
  .get("/api/v2/whoami", async (c) => {
    const { platform } = c.var;
    const query = { data: parseQuery(c.req.query(), WhoAmIQuery) };
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
    const { platform } = c.var;
    const env = await projectEnvironmentOf(c, c.req.param("ref"), { create: false });
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
