// Public access tokens through the real SDK, as Trigger.dev's docs describe them: a token reads, triggers or
// completes only what its scopes name; the SDK's own tokens (from tasks.trigger, wait.createToken,
// createTriggerPublicToken) work; minted ones obey the same rules; browsers on other sites may call exactly
// the routes that take them (CORS), and no other route.
import http from "node:http";
import { auth, batch, runs, tasks, wait } from "@trigger.dev/sdk";
import { generateJWT } from "@trigger.dev/core/v3/jwt";
import { describe, expect, it } from "vitest";
import { SECRET_KEY, usePlatformHarness } from "../support/platform";

const platform = usePlatformHarness();

/** Runs `fn` with the SDK holding `accessToken` instead of the secret key. */
const as = <T>(accessToken: string, fn: () => Promise<T>) => auth.withAuth({ baseURL: platform().url, accessToken }, fn);
/** The HTTP status an SDK call failed with. */
const statusOf = async (call: Promise<unknown>) =>
  call.then(
    () => 200,
    (error: { status?: number }) => error.status ?? -1,
  );

describe("tokens the SDK signs itself", () => {
  it("tasks.trigger's publicAccessToken reads that run and no other", async () => {
    const mine = await tasks.trigger("echo", { message: "mine" });
    const other = await tasks.trigger("echo", { message: "other" });
    expect((await as(mine.publicAccessToken, () => runs.retrieve(mine.id))).id).toBe(mine.id);
    expect(await statusOf(as(mine.publicAccessToken, () => runs.retrieve(other.id)))).toBe(403);
    expect(await statusOf(as(mine.publicAccessToken, () => runs.cancel(mine.id)))).toBe(403);
    expect(await statusOf(as(mine.publicAccessToken, () => tasks.trigger("echo", {})))).toBe(403);
    // As Trigger.dev's: made by the platform (x-trigger-jwt), for an hour, to read the run and write its input streams.
    const claims = JSON.parse(Buffer.from(mine.publicAccessToken.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ pub: true, scopes: [`read:runs:${mine.id}`, `write:inputStreams:${mine.id}`] });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
  });

  it("read:tags grants the runs with the tag; read:tasks the task's runs; read:runs every run, never a write", async () => {
    const tagged = await tasks.trigger("echo", {}, { tags: ["shopper:42"] });
    const untagged = await tasks.trigger("noop", null);
    const byTag = await auth.createPublicToken({ scopes: { read: { tags: ["shopper:42"] } } });
    expect((await as(byTag, () => runs.retrieve(tagged.id))).id).toBe(tagged.id);
    expect(await statusOf(as(byTag, () => runs.retrieve(untagged.id)))).toBe(403);
    const byTask = await auth.createPublicToken({ scopes: { read: { tasks: "noop" } } });
    expect((await as(byTask, () => runs.retrieve(untagged.id))).id).toBe(untagged.id);
    expect(await statusOf(as(byTask, () => runs.retrieve(tagged.id)))).toBe(403);
    // A task-scoped token lists only its task's runs.
    expect((await as(byTask, () => runs.list({ taskIdentifier: "noop" }))).data.every((r) => r.taskIdentifier === "noop")).toBe(true);
    expect(await statusOf(as(byTask, () => runs.list({ taskIdentifier: ["noop", "echo"] })))).toBe(403);
    expect(await statusOf(as(byTask, () => runs.list()))).toBe(403);
    const everyRun = await auth.createPublicToken({ scopes: { read: { runs: true } } });
    expect((await as(everyRun, () => runs.list())).data.length).toBeGreaterThanOrEqual(2);
    expect(await statusOf(as(everyRun, () => runs.cancel(untagged.id)))).toBe(403);
  });

  it("a batch's token reads the batch", async () => {
    const handle = await batch.trigger([{ id: "echo", payload: {} }]);
    expect((await as(handle.publicAccessToken, () => batch.retrieve(handle.batchId))).id).toBe(handle.batchId);
    const other = await batch.trigger([{ id: "noop", payload: null }]);
    expect(await statusOf(as(handle.publicAccessToken, () => batch.retrieve(other.batchId)))).toBe(403);
  });

  it("createTriggerPublicToken triggers its task once; with multipleUse, again", async () => {
    const once = await auth.createTriggerPublicToken("echo");
    const run = await as(once, () => tasks.trigger("echo", { message: "from a browser" }));
    expect(run.id).toMatch(/^run_/);
    await expect(as(once, () => tasks.trigger("echo", {}))).rejects.toThrow(/one-time use token as it has already been used/);
    expect(await statusOf(as(once, () => tasks.trigger("noop", null)))).toBe(403);
    const many = await auth.createTriggerPublicToken("echo", { multipleUse: true });
    await as(many, () => tasks.trigger("echo", {}));
    await as(many, () => tasks.trigger("echo", {}));
    // The one-time token spent nothing when it was refused for the wrong task.
    const fresh = await auth.createTriggerPublicToken("noop");
    expect(await statusOf(as(fresh, () => tasks.trigger("echo", {})))).toBe(403);
    expect((await as(fresh, () => tasks.trigger("noop", null))).id).toMatch(/^run_/);
  });

  it("wait.createToken's publicAccessToken completes that token and no other", async () => {
    const token = await wait.createToken({ timeout: "1h" });
    const other = await wait.createToken({ timeout: "1h" });
    expect(await statusOf(as(token.publicAccessToken, () => wait.completeToken(other.id, {})))).toBe(403);
    await as(token.publicAccessToken, () => wait.completeToken(token.id, { approved: true }));
    expect((await wait.retrieveToken(token.id)).status).toBe("COMPLETED");
    expect((await wait.retrieveToken(other.id)).status).toBe("WAITING");
  });
});

describe("a parent named by a public token's trigger", () => {
  it("may not be a run the token cannot write: a trigger token cannot block another run", async () => {
    const victim = await tasks.trigger("noop", null, { delay: "1h" });
    const once = await auth.createTriggerPublicToken("echo", { multipleUse: true });
    const post = (path: string, body: unknown) =>
      fetch(`${platform().url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${once}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const trigger = await post("/api/v1/tasks/echo/trigger", {
      payload: "{}",
      options: { parentRunId: victim.id, resumeParentOnCompletion: true },
    });
    expect(trigger.status).toBe(403);
    expect(await trigger.json()).toEqual({ error: `Unauthorized: this public access token may not act on parent run ${victim.id}` });
    const batchToken = await auth.createBatchTriggerPublicToken("echo");
    const batchAnswer = await fetch(`${platform().url}/api/v3/batches`, {
      method: "POST",
      headers: { authorization: `Bearer ${batchToken}`, "content-type": "application/json" },
      body: JSON.stringify({ runCount: 1, parentRunId: victim.id, resumeParentOnCompletion: true, taskIdentifiers: ["echo"] }),
    });
    expect(batchAnswer.status).toBe(403);
    // Nothing was written: the victim is as it was, with no child.
    const after = await runs.retrieve(victim.id);
    expect(after.status).toBe("DELAYED");
    expect(after.relatedRuns.children ?? []).toEqual([]);
    // With write on the parent, it may.
    const writer = await auth.createPublicToken({ scopes: { trigger: { tasks: ["echo"] }, write: { runs: [victim.id] } } as never });
    const allowed = await fetch(`${platform().url}/api/v1/tasks/echo/trigger`, {
      method: "POST",
      headers: { authorization: `Bearer ${writer}`, "content-type": "application/json" },
      body: JSON.stringify({ payload: "{}", options: { parentRunId: victim.id } }),
    });
    expect(allowed.status).toBe(200);
  });
});

describe("tokens that must not work", () => {
  it("an expired token, one signed with another key, or one without pub is a 401", async () => {
    const run = await tasks.trigger("noop", null);
    const claims = await fetch(`${platform().url}/api/v1/auth/jwt/claims`, {
      method: "POST",
      headers: { authorization: `Bearer ${SECRET_KEY}` },
    }).then((r) => r.json() as Promise<{ sub: string; pub: boolean }>);
    expect(claims.pub).toBe(true);
    const scopes = [`read:runs:${run.id}`];
    const expired = await generateJWT({
      secretKey: SECRET_KEY,
      payload: { ...claims, scopes },
      expirationTime: Math.floor(Date.now() / 1000) - 5,
    });
    const forged = await generateJWT({ secretKey: "tr_dev_not-the-key", payload: { ...claims, scopes } });
    const notPublic = await generateJWT({ secretKey: SECRET_KEY, payload: { sub: claims.sub, scopes } });
    const unknownEnv = await generateJWT({ secretKey: SECRET_KEY, payload: { ...claims, sub: "env_nobody", scopes } });
    for (const token of [expired, forged, notPublic, unknownEnv]) expect(await statusOf(as(token, () => runs.retrieve(run.id)))).toBe(401);
    const answer = await fetch(`${platform().url}/api/v3/runs/${run.id}`, { headers: { authorization: `Bearer ${expired}` } });
    expect(await answer.json()).toEqual({ error: "Invalid public access token: it has expired" });
  });

  it("a public token cannot call the secret key's routes, nor mint another token", async () => {
    const run = await tasks.trigger("noop", null);
    const admin = await auth.createPublicToken({ scopes: { admin: true } as never });
    expect(await statusOf(as(admin, () => runs.replay(run.id)))).toBe(401);
    expect(await statusOf(as(admin, () => runs.reschedule(run.id, { delay: "1h" })))).toBe(401);
    const mint = await fetch(`${platform().url}/api/v1/auth/public-tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ scopes: ["read:runs"] }),
    });
    expect(mint.status).toBe(401);
    expect(((await mint.json()) as { error: string }).error).toMatch(/cannot call POST \/api\/v1\/auth\/public-tokens/);
  });
});

describe("POST /api/v1/auth/public-tokens", () => {
  const mint = (body: unknown) =>
    fetch(`${platform().url}/api/v1/auth/public-tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${SECRET_KEY}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("mints a token with the scopes, expiry and one-time use asked for", async () => {
    const run = await tasks.trigger("noop", null);
    const answer = await mint({ scopes: [`read:runs:${run.id}`], expirationTime: "1h" });
    expect(answer.status).toBe(200);
    const { token } = (await answer.json()) as { token: string };
    expect((await as(token, () => runs.retrieve(run.id))).id).toBe(run.id);
    const payload = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as { exp: number; iat: number };
    expect(payload.exp - payload.iat).toBe(3600);
    const once = ((await (await mint({ scopes: ["trigger:tasks:noop"], oneTimeUse: true })).json()) as { token: string }).token;
    await as(once, () => tasks.trigger("noop", null));
    await expect(as(once, () => tasks.trigger("noop", null))).rejects.toThrow(/already been used/);
  });

  it("refuses no scopes, a malformed scope, a past or too distant expiry, naming the field", async () => {
    const refusals = [
      [{ scopes: [] }, /scopes: .*at least one scope/],
      [{ scopes: ["read"] }, /scopes: read is not action:type\[:id\]/],
      [{ scopes: ["read:runs"], expirationTime: "soon" }, /expirationTime: "soon" is not a duration/],
      [{ scopes: ["read:runs"], expirationTime: Math.floor(Date.now() / 1000) - 10 }, /expirationTime: must be in the future/],
      [{ scopes: ["read:runs"], expirationTime: "31d" }, /expirationTime: cannot exceed 30 days/],
    ] as const;
    for (const [body, message] of refusals) {
      const answer = await mint(body);
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { error: string }).error).toMatch(message);
    }
  });
});

describe("CORS", () => {
  const SHOP = "http://shop.example:8080";

  it("a browser on another site may call a public-token route, preflight included", async () => {
    const run = await tasks.trigger("noop", null);
    const preflight = await fetch(`${platform().url}/api/v3/runs/${run.id}`, {
      method: "OPTIONS",
      headers: { origin: SHOP, "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/authorization/i);
    const answer = await fetch(`${platform().url}/api/v3/runs/${run.id}`, {
      headers: { origin: SHOP, authorization: `Bearer ${run.publicAccessToken}` },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("no other route: another site's request is refused and gets no CORS headers; a foreign Host never passes", async () => {
    const run = await tasks.trigger("noop", null);
    const metadata = await fetch(`${platform().url}/api/v1/runs/${run.id}/metadata`, {
      headers: { origin: SHOP, authorization: `Bearer ${SECRET_KEY}` },
    });
    expect(metadata.status).toBe(403);
    expect(metadata.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await fetch(`${platform().url}/api/v1/runs/${run.id}/replay`, {
      method: "OPTIONS",
      headers: { origin: SHOP, "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(403);
    // fetch keeps Host to itself: a rebound name is sent with node:http, as a DNS-rebinding page's would arrive.
    const rebound = await new Promise<number>((resolve, reject) =>
      http
        .get(
          `${platform().url}/api/v3/runs/${run.id}`,
          { headers: { host: "shop.example", origin: SHOP, authorization: `Bearer ${run.publicAccessToken}` } },
          (answer) => resolve(answer.statusCode ?? 0),
        )
        .on("error", reject),
    );
    expect(rebound).toBe(421);
  });
});
