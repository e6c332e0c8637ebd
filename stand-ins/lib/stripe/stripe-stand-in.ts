// The Stripe stand-in: an HTTP server that the real `stripe` SDK talks to through its host/port/protocol
// options. PaymentIntents (and their search), Refunds and Events with Stripe's idempotency rules and error
// shapes, state in Postgres, signed webhooks, and fault injection (faults.ts; over HTTP: /_stand_in/faults)
// for tests and benchmarks.
import { setTimeout as sleep } from "node:timers/promises";
import type { HttpBindings } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { z } from "zod";
import { createDatabaseHandle } from "../db/client";
import { migrateStandIns } from "../db/migrate";
import { describeError } from "../describe-error";
import { limitBodies } from "local-trigger/body-limit";
import { listen } from "local-trigger/listen";
import { sameSecret } from "local-trigger/secrets";
import { FaultPlan, FaultSpec } from "./faults";
import { requestFingerprint, runIdempotently, type ApiResult } from "./idempotency";
import { listObjects, loadObject, stripeId } from "./object-store";
import {
  cancelPaymentIntent,
  capturePaymentIntent,
  confirmPaymentIntent,
  createPaymentIntent,
  updatePaymentIntent,
  type IntentContext,
} from "./payment-intents";
import { createRefund } from "./refunds";
import {
  ListParams,
  parseForm,
  parseParams,
  PaymentIntentCancel,
  PaymentIntentCapture,
  PaymentIntentConfirm,
  PaymentIntentCreate,
  PaymentIntentUpdate,
  RefundCreate,
  SearchParams,
} from "./request-params";
import { searchObjects } from "./search-objects";
import { parseSearchQuery } from "./search-query";
import { settleDueObjects } from "./settle-due-objects";
import { StripeHttpError } from "./stripe-error";
import { deliverDueWebhooks, type WebhookTarget } from "./webhook-events";

const STAND_IN_BODY_LIMIT_BYTES = 1024 * 1024;

export type StripeStandInOptions = {
  /** The Postgres the stand-in keeps its objects in (schema stripe_stand_in, migrated on start). */
  databaseUrl: string;
  port: number;
  /** The one secret key the stand-in takes (Bearer or Basic), on Stripe's routes and its fault routes alike. */
  apiKey: string;
  webhook: WebhookTarget;
  /** Hosts requests may name besides the loopback names (ALLOWED_HOSTS). */
  allowedHosts?: readonly string[];
  /** How long a "processing" PaymentIntent (or a Refund left "pending" by a refund fault) takes to settle. */
  processingDelayMs?: number;
  /** How often the timers look for objects to settle and webhooks to deliver. */
  tickMs?: number;
};

export type StripeStandIn = Awaited<ReturnType<typeof startStripeStandIn>>;

/** `slowMs`: set by a slow_processing fault, spent by the route before its work. */
type Env = { Bindings: HttpBindings; Variables: { slowMs?: number } };

export async function startStripeStandIn(options: StripeStandInOptions) {
  const { webhook } = options;
  await migrateStandIns(options.databaseUrl);
  const database = createDatabaseHandle(options.databaseUrl, { max: 5, name: "stripe-stand-in" });
  const db = database.db;
  const faults = new FaultPlan();
  const processingDelayMs = options.processingDelayMs ?? 1_500;
  const app = new Hono<Env>();
  // Stripe's own requests are small (form-encoded parameters); nothing a client sends needs more.
  app.use("*", limitBodies(STAND_IN_BODY_LIMIT_BYTES, "the Stripe stand-in", "fixed; Stripe's requests are far smaller"));

  // Every route needs the stand-in's key: its fault plan is no one else's to change.
  app.use("*", async (c, next) => {
    const key = apiKeyOf(c.req.header("authorization") ?? "");
    if (!sameSecret(key, options.apiKey)) {
      return c.json({ error: { type: "invalid_request_error", message: `Invalid API Key provided: ${key.slice(0, 12)}****` } }, 401);
    }
    return next();
  });
  app.get("/_stand_in/faults", (c) => c.json({ faults: faults.pending() }));
  app.post("/_stand_in/faults", async (c) => {
    const parsed = FaultSpec.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json({ error: z.prettifyError(parsed.error) }, 400);
    faults.inject(parsed.data);
    return c.json({ faults: faults.pending() }, 201);
  });
  app.delete("/_stand_in/faults", (c) => {
    faults.clear();
    return c.json({ faults: [] });
  });

  app.use("/v1/*", async (c, next) => {
    const key = apiKeyOf(c.req.header("authorization") ?? "");
    const fault = faults.takeForRequest(c.req.method, c.req.path);
    // What Stripe answers a key that was rolled or revoked: the well-formed key is not checked further.
    if (fault?.kind === "status_401")
      return c.json({ error: { type: "invalid_request_error", message: `Invalid API Key provided: ${key.slice(0, 8)}****` } }, 401);
    if (fault?.kind === "status_500")
      return c.json({ error: { type: "api_error", message: "An unknown error occurred (injected by the stand-in)." } }, 500);
    if (fault?.kind === "status_429") {
      return c.json(
        {
          error: {
            type: "invalid_request_error",
            code: "rate_limit",
            message: "Too many requests hit the API too quickly (injected by the stand-in).",
          },
        },
        429,
      );
    }
    if (fault?.kind === "hang") {
      await hangUntilClosed(c, fault.hangMs);
      return new Response(null);
    }
    if (fault?.kind === "slow_processing") c.set("slowMs", fault.hangMs);
    await next();
    if (fault?.kind === "drop_after_processing") c.env.incoming.socket.destroy();
  });

  const intentContext = (tx: IntentContext["db"], key: string | null): IntentContext => ({
    db: tx,
    webhook,
    idempotencyKey: key,
    processingDelayMs,
    faults,
  });

  /**
   * A POST: parameters checked first (a bad one saves no idempotent result), then run idempotently. The
   * body is read before any slow_processing wait: a client that times out meanwhile takes its body with it.
   */
  const post =
    <S extends z.ZodType>(schema: S, handler: (ctx: IntentContext, params: z.output<S>, id: string) => Promise<Record<string, unknown>>) =>
    async (c: Context<Env>) => {
      try {
        const params = parseParams(schema, parseForm(await c.req.text()));
        const key = c.req.header("idempotency-key") ?? null;
        const id = c.req.param("id") ?? "";
        const fingerprint = requestFingerprint("POST", c.req.path, params);
        const result = await runIdempotently(
          db,
          key,
          fingerprint,
          (tx) => handler(intentContext(tx, key), params, id),
          c.get("slowMs") ?? 0,
        );
        return respond(c, result, key);
      } catch (error) {
        return respondError(c, error);
      }
    };

  const get = (handler: (c: Context<Env>) => Promise<Record<string, unknown>>) => async (c: Context<Env>) => {
    try {
      const slowMs = c.get("slowMs");
      if (slowMs) await sleep(slowMs);
      return respond(c, { status: 200, body: await handler(c) }, null);
    } catch (error) {
      return respondError(c, error);
    }
  };

  app.post(
    "/v1/payment_intents",
    post(PaymentIntentCreate, (ctx, p) => createPaymentIntent(ctx, p)),
  );
  app.post(
    "/v1/payment_intents/:id",
    post(PaymentIntentUpdate, (ctx, p, id) => updatePaymentIntent(ctx, id, p)),
  );
  app.post(
    "/v1/payment_intents/:id/confirm",
    post(PaymentIntentConfirm, (ctx, p, id) => confirmPaymentIntent(ctx, id, p)),
  );
  app.post(
    "/v1/payment_intents/:id/capture",
    post(PaymentIntentCapture, (ctx, p, id) => capturePaymentIntent(ctx, id, p)),
  );
  app.post(
    "/v1/payment_intents/:id/cancel",
    post(PaymentIntentCancel, (ctx, p, id) => cancelPaymentIntent(ctx, id, p)),
  );
  // Before /:id, which would take "search" for an id.
  app.get(
    "/v1/payment_intents/search",
    get((c) => search(c, "payment_intent")),
  );
  app.get(
    "/v1/payment_intents/:id",
    get((c) => loadObject(db, "payment_intent", c.req.param("id")!)),
  );
  app.get(
    "/v1/payment_intents",
    get((c) => list(c, "payment_intent")),
  );
  app.post(
    "/v1/refunds",
    post(RefundCreate, (ctx, p) => createRefund(ctx, p)),
  );
  app.get(
    "/v1/refunds/:id",
    get((c) => loadObject(db, "refund", c.req.param("id")!)),
  );
  app.get(
    "/v1/refunds",
    get((c) => list(c, "refund", "payment_intent")),
  );
  app.get(
    "/v1/events/:id",
    get((c) => loadObject(db, "event", c.req.param("id")!)),
  );
  app.get(
    "/v1/events",
    get((c) => list(c, "event", "type")),
  );
  app.all("/v1/*", (c) =>
    c.json(
      {
        error: {
          type: "invalid_request_error",
          message: `Unrecognized request URL (${c.req.method}: ${c.req.path}). The local stand-in serves PaymentIntents, Refunds and Events.`,
        },
      },
      404,
    ),
  );

  async function list(c: Context<Env>, type: string, filterField?: string) {
    const params = parseParams(ListParams, c.req.query());
    const filterValue = filterField ? (params as Record<string, string | undefined>)[filterField] : undefined;
    return {
      ...(await listObjects(db, type, {
        limit: params.limit,
        startingAfter: params.starting_after,
        ...(filterField && filterValue ? { filter: { field: filterField, value: filterValue } } : {}),
      })),
      url: c.req.path,
    };
  }

  async function search(c: Context<Env>, type: string) {
    const params = parseParams(SearchParams, parseForm(new URL(c.req.url).search.slice(1)));
    return searchObjects(db, type, parseSearchQuery(params.query), {
      url: c.req.path,
      limit: params.limit,
      ...(params.page !== undefined ? { page: params.page } : {}),
    });
  }

  const listening = await listen(app, {
    port: options.port,
    name: "The Stripe stand-in",
    portVariable: "STRIPE_FAKE_PORT",
    allowedHosts: options.allowedHosts,
  });

  // Timers: settle "processing" intents and "pending" refunds, deliver webhooks (the fault plan reaches the
  // deliveries through here). Each skips a tick while its last run is busy.
  const tick = options.tickMs ?? 100;
  const startTimers = () => [
    everyTick(tick, () => settleDueObjects(db, webhook)),
    everyTick(tick, () => deliverDueWebhooks(db, webhook.secret, { faults })),
  ];
  let timers = startTimers();

  return {
    url: listening.url,
    port: listening.port,
    faults,
    /** Runs both timers' work now (tests use it to avoid waiting for a tick). */
    async flush() {
      await settleDueObjects(db, webhook);
      await deliverDueWebhooks(db, webhook.secret, { faults });
    },
    /** Stops settling and delivering (both resume from Postgres on the next start); the API stays up. */
    stopTimers() {
      timers.forEach((stop) => stop());
      timers = [];
    },
    /** Starts them again after stopTimers (Stripe "coming back": what was due settles and is delivered). */
    startTimers() {
      if (timers.length === 0) timers = startTimers();
    },
    async close() {
      timers.forEach((stop) => stop());
      await listening.close();
      await database.close();
    },
  };
}

function respond(c: Context<Env>, result: ApiResult, key: string | null) {
  c.header("Request-Id", stripeId("req"));
  if (key) c.header("Idempotency-Key", key);
  if (result.replayed) c.header("Idempotent-Replayed", "true");
  return c.json(result.body, result.status as 200);
}

function respondError(c: Context<Env>, error: unknown) {
  if (error instanceof StripeHttpError) return respond(c, { status: error.status, body: error.body }, null);
  console.error("[stripe stand-in]", error);
  return c.json({ error: { type: "api_error", message: "The stand-in failed on this request; see its log." } }, 500);
}

/** Holds the request unanswered until the client gives up or `ms` pass, then closes the connection. */
async function hangUntilClosed(c: Context<Env>, ms: number): Promise<void> {
  const socket = c.env.incoming.socket;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  socket.destroy();
}

function everyTick(ms: number, work: () => Promise<unknown>): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    work()
      .catch((error: unknown) => console.error("[stripe stand-in]", describeError(error)))
      .finally(() => (busy = false));
  }, ms);
  timer.unref();
  return () => clearInterval(timer);
}

/** Stripe takes the secret key as a Bearer token or as the Basic user name (curl -u sk_test_…:). */
function apiKeyOf(authorization: string): string {
  const [scheme = "", value = ""] = authorization.split(/\s+/, 2);
  if (/^bearer$/i.test(scheme)) return value;
  if (/^basic$/i.test(scheme)) return Buffer.from(value, "base64").toString("utf8").split(":")[0] ?? "";
  return "";
}
