// The SDK's envvars.* (list, create, upload, retrieve, update, del) on /api/v1/projects/:ref/envvars/:slug…,
// as on Trigger.dev, for the platform's access token or the project's own secret key. Nothing here makes a
// project (it exists once `trigger.dev dev` has named it, or is the default one), and each project has only
// the dev environment: prod, staging and preview answer 404.
import {
  CreateEnvironmentVariableRequestBody,
  ImportEnvironmentVariablesRequestBody,
  UpdateEnvironmentVariableRequestBody,
} from "@trigger.dev/core/v3/schemas";
import { Hono, type Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { createVariable, deleteVariable, importVariables, listVariables, retrieveVariable, updateVariable } from "../environment-variables";
import { DEV_ENVIRONMENT_SLUG, type ProjectEnvironment } from "../environments";
import { requireAccessToken } from "./auth";
import { projectEnvironmentOf, type CliEnv } from "./cli-api";
import { parseBody } from "./http-context";

/** What the write routes answer (EnvironmentVariableResponseBody). */
const SUCCESS = { success: true } as const;

/** The environment a route names: 403 for another project's key, 404 for an unknown project or slug. */
async function environmentOf(c: Context<CliEnv>): Promise<ProjectEnvironment> {
  const env = await projectEnvironmentOf(c, c.req.param("ref") ?? "", { create: false });
  const slug = c.req.param("slug") ?? "";
  if (slug !== env.slug)
    throw new HTTPException(404, {
      message: `No environment ${slug.slice(0, 100)} in project ${env.projectRef}: the local platform has only the ${DEV_ENVIRONMENT_SLUG} environment`,
    });
  return env;
}

// Mounted before cliApi, so its /api/v1/projects/* guard does not name the caller a second time.
export const envvarsApi = new Hono<CliEnv>()
  .use("/api/v1/projects/:ref/envvars/:slug/*", requireAccessToken)
  .get("/api/v1/projects/:ref/envvars/:slug", async (c) => c.json(await listVariables(c.var.platform.db, await environmentOf(c))))
  .post("/api/v1/projects/:ref/envvars/:slug", async (c) => {
    const env = await environmentOf(c);
    await createVariable(c.var.platform.db, env, await parseBody(c, CreateEnvironmentVariableRequestBody));
    return c.json(SUCCESS);
  })
  .post("/api/v1/projects/:ref/envvars/:slug/import", async (c) => {
    const env = await environmentOf(c);
    await importVariables(c.var.platform.db, env, await parseBody(c, ImportEnvironmentVariablesRequestBody));
    return c.json(SUCCESS);
  })
  .get("/api/v1/projects/:ref/envvars/:slug/:name", async (c) =>
    c.json(await retrieveVariable(c.var.platform.db, await environmentOf(c), c.req.param("name"))),
  )
  .put("/api/v1/projects/:ref/envvars/:slug/:name", async (c) => {
    const env = await environmentOf(c);
    const { value } = await parseBody(c, UpdateEnvironmentVariableRequestBody);
    await updateVariable(c.var.platform.db, env, c.req.param("name"), value);
    return c.json(SUCCESS);
  })
  .delete("/api/v1/projects/:ref/envvars/:slug/:name", async (c) => {
    await deleteVariable(c.var.platform.db, await environmentOf(c), c.req.param("name"));
    return c.json(SUCCESS);
  });
