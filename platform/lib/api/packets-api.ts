// Large payloads and outputs ("packets"), as Trigger.dev's object store serves them. The SDK offloads a payload,
// output or batch item over its threshold: it asks for an upload URL (PUT /api/v2/packets/:key → presignedUrl,
// storagePath), PUTs the bytes there, and sends `application/store` with the path instead of the data. Readers
// ask for a download URL (GET /api/v1/packets/:key, or GET /api/v1/runs/:id/packets/:field) and fetch it.
// The presigned URLs are this platform's own: /packets/<env>/<key>, signed with an HMAC under the environment's
// key and valid for an hour, so they need no other credential (the SDK sends none to them).
import { and, eq } from "drizzle-orm";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { environments, packets } from "../db/schema";
import { isPacketSignature, presignedPacketUrl, STORE_DATA_TYPE, type PacketMethod } from "../packet-urls";
import { findRun } from "../run-view";
import type { PlatformEnv } from "./http-context";
import { authorize } from "./public-access";
import { runResources } from "./runs-api";

/** The SDK's calls, with the environment's key (mounted under the /api key check). */
export const packetsApi = new Hono<PlatformEnv>()
  .put("/api/v2/packets/:key{.+}", (c) => {
    const key = c.req.param("key");
    return c.json({ presignedUrl: presignedPacketUrl(c.var.platform.origin, c.var.env, key, "PUT"), storagePath: key });
  })
  .get("/api/v1/packets/:key{.+}", async (c) => {
    const key = c.req.param("key");
    if (c.var.access.kind === "public-token") {
      // An output's key starts with its run's id (run_…-<attempt>/output.json): a public token reads the
      // packets of the runs it may read, and no other key (a payload's is read through its run, below).
      const owner = /^(run_[A-Za-z0-9]+)-\d+\//.exec(key)?.[1];
      const run = owner ? await findRun(c.var.platform, c.var.env, owner) : undefined;
      if (!run) throw new HTTPException(403, { message: "Unauthorized: a public access token reads only the packets of runs it may read" });
      authorize(c.var.access, "read", runResources(run));
    }
    return c.json({ presignedUrl: presignedPacketUrl(c.var.platform.origin, c.var.env, key, "GET") });
  })
  .get("/api/v1/runs/:run/packets/:field", async (c) => {
    const field = c.req.param("field");
    if (field !== "payload" && field !== "output")
      throw new HTTPException(400, { message: `field: must be payload or output (got ${field.slice(0, 50)})` });
    const run = await findRun(c.var.platform, c.var.env, c.req.param("run"));
    if (run) authorize(c.var.access, "read", runResources(run));
    const [data, dataType] = run ? (field === "payload" ? [run.payload, run.payloadType] : [run.output, run.outputType]) : [null, null];
    if (!data || dataType !== STORE_DATA_TYPE) return c.json({ error: `No stored ${field} for run ${c.req.param("run")}` }, 404);
    return c.json({ presignedUrl: presignedPacketUrl(c.var.platform.origin, c.var.env, data, "GET") });
  });

/** The presigned URLs themselves: the signature is the credential. */
export const presignedPacketsApi = new Hono<PlatformEnv>().on(["GET", "PUT"], "/packets/:env/:key{.+}", async (c) => {
  const { db } = c.var.platform;
  const envId = c.req.param("env");
  const key = c.req.param("key");
  const method = c.req.method as PacketMethod;
  const expires = Number(c.req.query("expires"));
  const [env] = await db.select({ apiKey: environments.apiKey }).from(environments).where(eq(environments.id, envId));
  const valid =
    env !== undefined &&
    c.req.query("method") === method &&
    Number.isFinite(expires) &&
    expires > Date.now() &&
    isPacketSignature(c.req.query("signature") ?? "", env.apiKey, method, envId, key, expires);
  if (!valid) return c.json({ error: "This packet URL is not valid (wrong signature, method or expired): ask for a new one" }, 403);
  if (method === "PUT") {
    const data = await c.req.text();
    const dataType = c.req.header("content-type") ?? "application/json";
    await db
      .insert(packets)
      .values({ environmentId: envId, key, data, dataType })
      .onConflictDoUpdate({ target: [packets.environmentId, packets.key], set: { data, dataType } });
    return c.body(null, 200);
  }
  const [packet] = await db
    .select()
    .from(packets)
    .where(and(eq(packets.environmentId, envId), eq(packets.key, key)));
  if (!packet) return c.json({ error: `No packet ${key}` }, 404);
  return c.body(packet.data, 200, { "content-type": packet.dataType });
});
