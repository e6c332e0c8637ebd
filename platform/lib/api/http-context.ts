// What the platform's routes share: the Hono types, body parsing with the core's zod schemas (a bad body is
// a 400 naming the field), the errors routes throw and the JSON they become.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import type { ProjectEnvironment } from "../environments";
import type { PlatformContext } from "../platform-context";
import { describeIssues } from "../platform-error";
import type { Access } from "./public-access";

/** `access` says what the credential may do: everything (the secret key) or what a public token's scopes grant. */
export type PlatformEnv = { Variables: { env: ProjectEnvironment; access: Access; platform: PlatformContext } };
export type PlatformHttpContext = Context<PlatformEnv>;

export async function parseBody<S extends z.ZodType>(c: { req: { text: () => Promise<string> } }, schema: S): Promise<z.output<S>> {
  const raw = await c.req.text();
  let json: unknown = undefined;
  if (raw.length > 0) {
    try {
      json = JSON.parse(raw);
    } catch {
      throw new HTTPException(400, { message: "The body is not valid JSON" });
    }
  }
  const parsed = schema.safeParse(json ?? {});
  if (!parsed.success) {
    throw new HTTPException(400, { message: describeIssues(parsed.error, "body") });
  }
  return parsed.data;
}

/** A query string parsed with a schema; a bad one is a 400 naming the parameter and its rule. */
export function parseQuery<S extends z.ZodType>(query: Record<string, string>, schema: S): z.output<S> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw new HTTPException(400, { message: describeIssues(parsed.error) });
  return parsed.data;
}

/** Maps anything a route throws to a JSON error; our typed errors keep their status. */
export function errorResponse(c: Context, error: Error) {
  if (error instanceof HTTPException) return c.json({ error: error.message }, error.status);
  const status = (error as { status?: unknown }).status;
  if (typeof status === "number" && status >= 400 && status < 600) return c.json({ error: error.message }, status as 400);
  console.error("[platform]", error);
  return c.json({ error: `Internal error: ${error.message}` }, 500);
}
