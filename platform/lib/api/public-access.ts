// Public access tokens, as Trigger.dev has them: a JWT (HS256, signed with the environment's secret key,
// `pub: true`, `sub` = the environment's id) that a backend hands to a browser so it may read one run, trigger
// one task or complete one wait token, and nothing else. The SDK signs most of them itself with the secret key
// (claims from POST /api/v1/auth/jwt/claims or a route's `x-trigger-jwt-claims` header); POST
// /api/v1/auth/public-tokens mints one for callers that cannot sign.
//
// Which routes take one, and which browsers may call from other sites, is public-routes.ts.
import { createHash } from "node:crypto";
import { JWT_ALGORITHM, JWT_AUDIENCE, JWT_ISSUER } from "@trigger.dev/core/v3/jwt";
import { decodeJwt, errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import type { Database } from "../db/client";
import { environmentById, type ProjectEnvironment } from "../environments";

/** What a request's bearer credential lets it do. */
export type Access =
  { kind: "secret-key" } | { kind: "public-token"; scopes: string[]; oneTimeUse: boolean; digest: string; skipColumns: string[] };

/** The claims a public token carries that the platform reads (jose checked signature, issuer, audience, exp). */
const PublicClaims = z.object({
  sub: z.string(),
  pub: z.literal(true),
  scopes: z.array(z.string()).optional(),
  otu: z.boolean().optional(),
  realtime: z.object({ skipColumns: z.array(z.string()).optional() }).optional(),
});

/** The claims the SDK signs its public tokens with (the route's `x-trigger-jwt-claims`, or /auth/jwt/claims). */
export const publicTokenClaims = (env: ProjectEnvironment) => ({ sub: env.id, pub: true as const });

/** How long the token a trigger or batch answer carries (x-trigger-jwt) lasts: 1 h, as on Trigger.dev, whatever
 *  the caller asked for (the SDK takes the header's token as it is). */
const ANSWER_TOKEN_LIFETIME = "1h";

/** A token signed with the environment's secret key, as @trigger.dev/core's generateJWT signs it; that one
 *  imports jose anew on every call, which under a module loader (tsx) is a round trip to the loader's thread:
 *  every trigger signs one. `expiresAt`: seconds since the epoch, or a span such as "1h". */
export const signToken = (secretKey: string, payload: JWTPayload, expiresAt: number | string) =>
  new SignJWT(payload)
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setProtectedHeader({ alg: JWT_ALGORITHM })
    .setExpirationTime(expiresAt)
    .setIssuedAt()
    .sign(new TextEncoder().encode(secretKey));

/**
 * The headers a trigger or batch answer carries: a ready public token (x-trigger-jwt) for what was made, and
 * the claims (x-trigger-jwt-claims). `realtime`: the caller's own token's, passed on.
 */
export async function publicTokenHeaders(
  env: ProjectEnvironment,
  scopes: string[],
  options: { realtime?: { skipColumns?: string[] }; claimsWithScopes?: boolean } = {},
): Promise<Record<string, string>> {
  const claims = { ...publicTokenClaims(env), scopes, ...(options.realtime ? { realtime: options.realtime } : {}) };
  const token = await signToken(env.apiKey, claims, ANSWER_TOKEN_LIFETIME);
  return {
    "x-trigger-jwt-claims": JSON.stringify(options.claimsWithScopes ? claims : publicTokenClaims(env)),
    "x-trigger-jwt": token,
  };
}

/** The realtime options of the caller's public token, if any (a token minted from it keeps them). */
export const realtimeOf = (access: Access) =>
  access.kind === "public-token" && access.skipColumns.length > 0 ? { skipColumns: access.skipColumns } : undefined;

export const looksLikeJwt = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);

export class PublicTokenError extends HTTPException {}

/** The environment and access of a public token, or a 401 that says what is wrong with it. */
export async function verifyPublicToken(db: Database, token: string): Promise<{ env: ProjectEnvironment; access: Access }> {
  let subject: unknown;
  try {
    subject = decodeJwt(token).sub;
  } catch {
    throw new PublicTokenError(401, { message: "Invalid public access token: it is not a JWT" });
  }
  const env = typeof subject === "string" ? await environmentById(db, subject) : undefined;
  if (!env) throw new PublicTokenError(401, { message: "Invalid public access token: its sub names no environment" });
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(env.apiKey), {
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      algorithms: ["HS256"],
    });
    const claims = PublicClaims.safeParse(payload);
    if (!claims.success) throw new PublicTokenError(401, { message: "Invalid public access token: it is not a public token (pub: true)" });
    return {
      env,
      access: {
        kind: "public-token",
        scopes: claims.data.scopes ?? [],
        oneTimeUse: claims.data.otu === true,
        digest: createHash("sha256").update(token).digest("hex"),
        skipColumns: claims.data.realtime?.skipColumns ?? [],
      },
    };
  } catch (error) {
    if (error instanceof PublicTokenError) throw error;
    const reason =
      error instanceof joseErrors.JWTExpired
        ? "it has expired"
        : error instanceof joseErrors.JOSEError
          ? `${error.message}`
          : "it could not be read";
    throw new PublicTokenError(401, { message: `Invalid public access token: ${reason}` });
  }
}

/** The digest that marks a one-time-use token spent (kept with what it triggered), or undefined. */
export const oneTimeUseDigest = (access: Access) => (access.kind === "public-token" && access.oneTimeUse ? access.digest : undefined);

// ---- Scopes: `action:type[:id]`, as Trigger.dev's (packages/plugins rbac.ts) ---------------------------

/** What a route acts on: a type (runs, tasks, tags, batch, waitpoints, queues) and, for one thing, its id. */
export type Resource = { type: string; id?: string };
export type Action = "read" | "write" | "trigger" | "batchTrigger";

function parseScope(scope: string): { action: string; type?: string; id?: string } {
  // Only the first two colons divide: a tag such as env:staging keeps its own.
  const [action = "", type, ...rest] = scope.split(":");
  return { action, type: type || undefined, id: rest.length > 0 ? rest.join(":") || undefined : undefined };
}

function grants(scope: string, action: Action, resource: Resource): boolean {
  const parsed = parseScope(scope);
  if (parsed.action === "admin" && !parsed.type) return true;
  if (parsed.action !== action && parsed.action !== "*") return false;
  if (parsed.type === "all") return true;
  if (parsed.type !== resource.type) return false;
  return !parsed.id || parsed.id === resource.id;
}

/** Whether the access may do `action` on `resources`: any one of them (the default) or, with "every", all. */
export function allows(access: Access, action: Action, resources: Resource[], mode: "any" | "every" = "any"): boolean {
  if (access.kind === "secret-key") return true;
  const one = (resource: Resource) => access.scopes.some((scope) => grants(scope, action, resource));
  return mode === "every" ? resources.length > 0 && resources.every(one) : resources.some(one);
}

/** Throws the 403 a public token gets for what its scopes do not grant. */
export function authorize(access: Access, action: Action, resources: Resource[], mode: "any" | "every" = "any"): void {
  if (allows(access, action, resources, mode)) return;
  const wanted = resources.map((r) => `${action}:${r.type}${r.id ? `:${r.id}` : ""}`).join(mode === "every" ? " and " : " or ");
  throw new HTTPException(403, { message: `Unauthorized: this public access token does not grant ${wanted}` });
}

/**
 * A trigger that names a parent (parentRunId, resumeParentOnCompletion) acts on that run: it may block it. A
 * public token must be able to write the parent (write:runs, or the run or its task), as Trigger.dev's
 * canWriteParentRun requires; `findParent` looks it up in the caller's environment.
 */
export async function authorizeParent(
  access: Access,
  parentRunId: string | undefined,
  findParent: (id: string) => Promise<{ friendlyId: string; taskIdentifier: string } | undefined>,
): Promise<void> {
  if (!parentRunId || allows(access, "write", [{ type: "runs" }])) return;
  const parent = await findParent(parentRunId);
  if (
    !parent ||
    !allows(access, "write", [
      { type: "runs", id: parent.friendlyId },
      { type: "tasks", id: parent.taskIdentifier },
    ])
  )
    throw new HTTPException(403, { message: `Unauthorized: this public access token may not act on parent run ${parentRunId}` });
}

/** Whether the scopes a caller asks to mint are within a secret key's reach: every well-formed scope is. */
export function malformedScopes(scopes: string[]): string[] {
  return scopes.filter((scope) => {
    const parsed = parseScope(scope);
    return !parsed.action || (!parsed.type && parsed.action !== "admin");
  });
}
