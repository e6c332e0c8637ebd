// The attacks of issue 13, each against `npm start`'s own servers (a fresh install: its own data directory,
// so its own secrets), each showing the refusal and that nothing was written, sent or given away:
// DNS rebinding (a foreign Host), a cross-site form POST and a no-cors fetch (a foreign Origin, no token, a
// form body), a guessed access token, another project's key, a forged Stripe webhook signed with the public
// default secret, the stand-in's fault plan, and the dashboard's login and CSRF checks. The CLI is not
// needed for any of it, so it is not started.
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { count, eq } from "drizzle-orm";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projects, runEvents, runs } from "local-trigger/schema";
import { freePort } from "local-trigger/listen";
import { caughtMessages } from "local-stand-ins/schema";
import { inboundEvents, orders } from "../../db/schema";
import { createMailTransport } from "../../src/mail/mail-transport";
import { loadConfig, STAND_IN_WEBHOOK_SECRET } from "../../src/config";
import { bootStack, type Stack } from "../../src/stack/stack";
import { createTestDatabase, type TestDatabase } from "../support/test-database";

const REF = "proj_orderfulfillment";
let database: TestDatabase;
let dataDir: string;
let stack: Stack;
let platformUrl: string;
let appUrl: string;
let standInUrl: string;

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "attack-suite-"));
  const [app, platform, stripe, smtp] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const config = loadConfig({
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    APP_PORT: String(app),
    PLATFORM_PORT: String(platform),
    STRIPE_FAKE_PORT: String(stripe),
    SMTP_CATCHER_PORT: String(smtp),
  });
  stack = await bootStack(config, () => {}, { startCli: false });
  platformUrl = stack.platform()!.url;
  appUrl = stack.app.url;
  standInUrl = stack.standIn!.url;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await database?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

type Answer = { status: number; body: string; headers: http.IncomingHttpHeaders };

/** A request as an attacker's browser or script would send it: any Host, any Origin, any body (fetch fixes Host). */
function send(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: options.method ?? "GET", headers: options.headers }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
    });
    request.on("error", reject);
    request.end(options.body);
  });
}

const rows = async () => ({
  orders: (await stack.db.select({ n: count() }).from(orders))[0]!.n,
  events: (await stack.db.select({ n: count() }).from(inboundEvents))[0]!.n,
  runs: (await stack.db.select({ n: count() }).from(runs))[0]!.n,
  projects: (await stack.db.select({ n: count() }).from(projects))[0]!.n,
});

const orderEvent = (id: string) =>
  JSON.stringify({ id, customer: { email: `${id}@example.com` }, lines: [{ sku: "MUG-LOGO", quantity: 1 }], currency: "usd" });

describe("DNS rebinding: a request naming another Host is refused (421) by every server, and answers nothing", () => {
  it("the platform's envvars (which hold DATABASE_URL), with the real access token", async () => {
    const stolen = await send(`${platformUrl}/api/v1/projects/${REF}/envvars`, {
      headers: { host: "attacker.example", authorization: `Bearer ${stack.platform()!.accessToken}` },
    });
    expect(stolen.status).toBe(421);
    expect(stolen.body).toMatch(/ALLOWED_HOSTS/);
    expect(stolen.body).not.toContain("DATABASE_URL");
    expect(stolen.body).not.toContain(stack.databaseUrl);
    // The same request under the server's own name is answered: the refusal was the Host's.
    const own = await send(`${platformUrl}/api/v1/projects/${REF}/envvars`, {
      headers: { authorization: `Bearer ${stack.platform()!.accessToken}` },
    });
    expect(own.status).toBe(200);
    expect(own.body).toContain("DATABASE_URL");
  });

  it("the dashboard, the app and the Stripe stand-in", async () => {
    const session = stack.platform()!.sessionCookie;
    for (const [url, headers] of [
      [`${platformUrl}/runs`, { cookie: session }],
      [`${appUrl}/api/orders`, { authorization: `Bearer ${stack.appApiToken}` }],
      [`${standInUrl}/v1/payment_intents`, { authorization: `Bearer ${stack.config.stripe.secretKey}` }],
    ] as const) {
      const answer = await send(url, { headers: { ...headers, host: `attacker.example:${new URL(url).port}` } });
      expect(answer.status, url).toBe(421);
    }
  });

  it("socket.io's upgrade (the CLI's run notifications) checks the Host too", async () => {
    const answer = await send(`${platformUrl}/socket.io/?EIO=4&transport=websocket`, {
      headers: {
        host: "attacker.example",
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      },
    }).catch((error: Error) => ({ status: 0, body: error.message, headers: {} }));
    expect(answer.status).not.toBe(101);
  });
});

describe("cross-site requests: a page of another site can neither post a form nor fetch without CORS", () => {
  it("a form POST to the dashboard's Test page (which would trigger send-notification) is refused; nothing runs", async () => {
    const before = await rows();
    const form = new URLSearchParams({ task: "send-notification", payload: '{"orderId":"x","kind":"cancelled"}' }).toString();
    const crossSite = await send(`${platformUrl}/test`, {
      method: "POST",
      headers: {
        origin: "http://attacker.example",
        "content-type": "application/x-www-form-urlencoded",
        cookie: stack.platform()!.sessionCookie,
      },
      body: form,
    });
    expect(crossSite.status).toBe(403);
    // Even from the dashboard's own origin, a form without the page's CSRF token is refused,
    const noCsrf = await send(`${platformUrl}/test`, {
      method: "POST",
      headers: { origin: platformUrl, "content-type": "application/x-www-form-urlencoded", cookie: stack.platform()!.sessionCookie },
      body: form,
    });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body).toMatch(/CSRF/);
    // and one without the session is the login page.
    const noSession = await send(`${platformUrl}/test`, {
      method: "POST",
      headers: { origin: platformUrl, "content-type": "application/x-www-form-urlencoded" },
      body: form,
    });
    expect(noSession.status).toBe(401);
    expect(noSession.body).toContain("Log in");
    expect(await rows()).toEqual(before);
  });

  it("the same form, from the dashboard's own page (session and CSRF token), does trigger: the checks are what refused", async () => {
    const page = await send(`${platformUrl}/runs`, { headers: { cookie: stack.platform()!.sessionCookie } });
    const csrf = page.body.match(/<meta name="csrf-token" content="([^"]+)"/)?.[1];
    expect(csrf).toBeTruthy();
    const before = await rows();
    const sent = await send(`${platformUrl}/test`, {
      method: "POST",
      headers: { origin: platformUrl, "content-type": "application/x-www-form-urlencoded", cookie: stack.platform()!.sessionCookie },
      body: new URLSearchParams({ task: "send-notification", payload: '{"orderId":"x","kind":"cancelled"}', _csrf: csrf! }).toString(),
    });
    expect(sent.status).toBe(303);
    expect((await rows()).runs).toBe(before.runs + 1);
  });

  it("a no-cors fetch to the app (text/plain, no token, a foreign Origin) creates no order", async () => {
    const before = await rows();
    const id = `attack-${Date.now().toString(36)}`;
    const noCors = await send(`${appUrl}/api/events/order.created`, {
      method: "POST",
      headers: { origin: "http://attacker.example", "content-type": "text/plain;charset=UTF-8" },
      body: orderEvent(id),
    });
    expect(noCors.status).toBe(403);
    // Without an Origin (a script on the machine), still no token: 401; with the token, still not JSON: 415.
    const noToken = await send(`${appUrl}/api/events/order.created`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: orderEvent(id),
    });
    expect(noToken.status).toBe(401);
    const notJson = await send(`${appUrl}/api/events/order.created`, {
      method: "POST",
      headers: { "content-type": "text/plain", authorization: `Bearer ${stack.appApiToken}` },
      body: orderEvent(id),
    });
    expect(notJson.status).toBe(415);
    expect(JSON.parse(notJson.body)).toEqual({ error: "The body must be JSON: send Content-Type: application/json" });
    expect(await rows()).toEqual(before);
    // Reading orders needs the token as well.
    expect((await send(`${appUrl}/api/orders`)).status).toBe(401);
  });

  it("a page's fetch to the Stripe stand-in's fault plan is refused, and the plan stays empty", async () => {
    const planted = await send(`${standInUrl}/_stand_in/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind: "status_500", times: 100 }),
    });
    expect(planted.status).toBe(401);
    expect(stack.standIn!.faults.pending()).toEqual([]);
  });
});

describe("tokens and keys: guessed, another project's, or public ones open nothing", () => {
  it("a guessed tr_pat_ token gets neither the envvars nor the project's key, and makes no project", async () => {
    const before = await rows();
    for (const token of ["tr_pat_x", "tr_pat_local", `tr_pat_${"0".repeat(40)}`]) {
      for (const route of [`/api/v1/projects/${REF}/envvars`, `/api/v1/projects/${REF}/dev`, "/api/v1/projects/proj_attackermade/dev"]) {
        const answer = await send(`${platformUrl}${route}`, { headers: { authorization: `Bearer ${token}` } });
        expect(answer.status, `${token} ${route}`).toBe(401);
        expect(answer.body).not.toContain("tr_dev_");
      }
    }
    expect(await rows()).toEqual(before);
  });

  it("another project's key opens its own project alone: not this project's envvars or key, and it makes no project", async () => {
    // A second project, made the way its CLI would make it (with the access token).
    const other = await send(`${platformUrl}/api/v1/projects/proj_otherproject/dev`, {
      headers: { authorization: `Bearer ${stack.platform()!.accessToken}` },
    });
    expect(other.status).toBe(200);
    const otherKey = (JSON.parse(other.body) as { apiKey: string }).apiKey;
    expect(otherKey).not.toContain(stack.triggerSecretKey);
    expect(stack.triggerSecretKey).not.toContain(otherKey);
    const before = await rows();
    for (const route of [`/api/v1/projects/${REF}/envvars`, `/api/v1/projects/${REF}/dev`, "/api/v1/projects/proj_keymade/dev"]) {
      const answer = await send(`${platformUrl}${route}`, { headers: { authorization: `Bearer ${otherKey}` } });
      expect(answer.status, route).toBe(403);
      expect(answer.body).not.toContain(stack.triggerSecretKey);
      expect(answer.body).not.toContain("DATABASE_URL");
    }
    const own = await send(`${platformUrl}/api/v1/projects/proj_otherproject/envvars`, {
      headers: { authorization: `Bearer ${otherKey}` },
    });
    expect(own.status).toBe(200);
    expect(own.body).not.toContain("DATABASE_URL"); // the variables handed in are the default project's
    expect(await rows()).toEqual(before);
  });

  it("a webhook signed with the stand-in's public default secret is refused and changes nothing", async () => {
    const before = await rows();
    const payload = JSON.stringify({
      id: "evt_forged",
      object: "event",
      type: "payment_intent.succeeded",
      data: { object: { id: "pi_forged", object: "payment_intent", status: "succeeded", metadata: { order_id: "nobody" } } },
    });
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: STAND_IN_WEBHOOK_SECRET });
    const forged = await send(`${appUrl}/api/stripe/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": signature },
      body: payload,
    });
    expect(forged.status).toBe(400);
    expect(forged.body).toMatch(/signature/i);
    expect(stack.config.stripe.webhookSecret).not.toBe(STAND_IN_WEBHOOK_SECRET);
    expect(await rows()).toEqual(before);
  });

  it("OTLP without a project's key (log lines forged into a run) is refused and stores nothing", async () => {
    const events = async () => (await stack.db.select({ n: count() }).from(runEvents))[0]!.n;
    const before = await events();
    const body = JSON.stringify({
      resourceLogs: [
        {
          scopeLogs: [
            { logRecords: [{ body: { stringValue: "forged" }, attributes: [{ key: "ctx.run.id", value: { stringValue: "run_x" } }] }] },
          ],
        },
      ],
    });
    for (const authorization of [undefined, "Bearer tr_dev_guessed0123456789"]) {
      const answer = await send(`${platformUrl}/otel/v1/logs`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
        body,
      });
      expect(answer.status).toBe(401);
    }
    expect(await events()).toBe(before);
  });

  it("a wait token's callback URL needs its hash: the token's id alone (shown in lists and pages) completes nothing", async () => {
    const key = { authorization: `Bearer ${stack.triggerSecretKey}`, "content-type": "application/json" };
    const created = await send(`${platformUrl}/api/v1/waitpoints/tokens`, { method: "POST", headers: key, body: "{}" });
    expect(created.status).toBe(200);
    const { id, url } = JSON.parse(created.body) as { id: string; url: string };
    expect(url).toMatch(new RegExp(`/api/v1/waitpoints/tokens/${id}/callback/[0-9a-f]{64}$`));
    const status = async () =>
      (JSON.parse((await send(`${platformUrl}/api/v1/waitpoints/tokens/${id}`, { headers: key })).body) as { status: string }).status;
    const post = (to: string) => send(to, { method: "POST", headers: { "content-type": "application/json" }, body: '{"approved":true}' });
    expect((await post(`${platformUrl}/api/v1/waitpoints/tokens/${id}/callback`)).status).toBe(401);
    expect((await post(`${url.slice(0, -1)}${url.endsWith("0") ? "1" : "0"}`)).status).toBe(404);
    expect(await status()).toBe("WAITING");
    expect((await post(url)).status).toBe(200);
    expect(await status()).toBe("COMPLETED");
  });

  it("the mail catcher takes mail only from who logs in: a forged order mail from anyone else is refused, not stored", async () => {
    const mails = async () => (await stack.db.select({ n: count() }).from(caughtMessages))[0]!.n;
    const before = await mails();
    const port = stack.catcher!.port;
    const forged = { from: "orders@shop.localhost", to: "customer@example.com", subject: "Order cancelled", text: "forged" };
    for (const url of [`smtp://127.0.0.1:${port}`, `smtp://catcher:guessed-password@127.0.0.1:${port}`]) {
      const transport = createMailTransport(url);
      try {
        await expect(transport.sendMail(forged)).rejects.toThrow(/530|535|auth/i);
      } finally {
        transport.close();
      }
    }
    expect(await mails()).toBe(before);
    expect(stack.catcher!.url).toMatch(/^smtp:\/\/catcher:[0-9a-f]{48}@127\.0\.0\.1:\d+$/);
  });

  it("the install's secrets are in files only their owner can read", () => {
    for (const name of ["local-trigger-secrets.json", "app-secrets.json"]) {
      expect(fs.statSync(path.join(dataDir, name)).mode & 0o777, name).toBe(0o600);
    }
  });
});

describe("the dashboard's login", () => {
  it("a wrong link token is the login page and sets no cookie; the right one sets an HttpOnly SameSite=Strict cookie", async () => {
    const wrong = await send(`${platformUrl}/?token=guessed`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers["set-cookie"]).toBeUndefined();
    const right = await send(stack.platform()!.loginUrl);
    expect(right.status).toBe(303);
    expect(String(right.headers["set-cookie"])).toMatch(/HttpOnly.*SameSite=Strict|SameSite=Strict.*HttpOnly/i);
  });

  it("a login form's `next` never leads off the site (an open redirect would carry the login to an attacker's page)", async () => {
    const token = new URL(stack.platform()!.loginUrl).searchParams.get("token")!;
    for (const next of ["//attacker.example/", "http://attacker.example/", "/\\attacker.example"]) {
      const answer = await send(`${platformUrl}/login`, {
        method: "POST",
        headers: { origin: platformUrl, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token, next }).toString(),
      });
      expect(answer.status, next).toBe(303);
      expect(answer.headers.location, next).toBe("/");
    }
  });

  it("every page carries a Content-Security-Policy that allows no inline script and nothing from elsewhere", async () => {
    const page = await send(`${platformUrl}/runs`, { headers: { cookie: stack.platform()!.sessionCookie } });
    expect(page.status).toBe(200);
    const csp = String(page.headers["content-security-policy"]);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-eval");
  });
});

it("the project's order is untouched by all of it", async () => {
  expect(await stack.db.select().from(orders).where(eq(orders.id, "nobody"))).toEqual([]);
});
