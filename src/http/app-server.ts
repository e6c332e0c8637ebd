// The app's HTTP API: fire events, read orders, and Stripe's webhook.
//   POST /api/events/:name   202 {runId, orderId, publicAccessToken, statusUrl (order.created)} · 400 with the bad fields · 409 for a conflicting order id
//   GET  /api/orders          recent orders · GET /api/orders/:id  the order, everything hanging off it, its runs
//   GET  /api/inventory       the catalog with stock on hand, reserved and available
//   GET  /metrics              Prometheus' text format (the app's token)
//   GET  /orders/:id/status  the page a shopper watches the order on (src/storefront), open to anyone: the token is in its link
//   POST /api/stripe/webhook  signature checked (400 otherwise; the only route without the app's token); settles charges and refunds from Stripe's
//                             records; 503 for an intent of ours not matched yet, so Stripe sends it again
import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { HTTPException } from "hono/http-exception";
import Stripe from "stripe";
import { z } from "zod";
import type { Database } from "../../db/client";
import { EventIdConflictError, sendEvent } from "../events/send-event";
import { InvalidInputError } from "../input-error";
import { OrderConflictError } from "../orders/order-errors";
import { readOrder } from "../orders/read-order";
import { listOrders } from "../orders/list-orders";
import { readStock } from "../inventory/read-stock";
import { orderRuns } from "../events/order-runs";
import { applyStripeEvent, UnmatchedStripeEventError } from "../payments/apply-stripe-event";
import { PaymentRetryableError } from "../payments/payment-errors";
import { limitBodies } from "local-trigger/body-limit";
import { startRefund, wakeChargeWaiter } from "../events/payment-follow-ups";
import { orderStatusUrl } from "../storefront/order-status-page";
import { AppMetrics } from "./app-metrics";
import { storefrontRoutes } from "../storefront/storefront-routes";

const APP_TOKEN_MISSING = "Missing or wrong app token: send Authorization: Bearer <APP_API_TOKEN> (npm start prints it)";

export type AppServerOptions = {
  db: Database;
  stripe: Stripe;
  stripeWebhookSecret: string;
  bodyLimitBytes: number;
  /** What every caller but Stripe presents (Authorization: Bearer …): APP_API_TOKEN, or the install's own. */
  apiToken: string;
  /** Where a shopper's browser reads the order's run (the local platform, or Trigger.dev's API). */
  triggerApiUrl: string;
};

export function createAppServer({ db, stripe, stripeWebhookSecret, bodyLimitBytes, apiToken, triggerApiUrl }: AppServerOptions) {
  const app = new Hono();
  app.route("/", storefrontRoutes(triggerApiUrl));
  app.use("*", limitBodies(bodyLimitBytes, "the app", "APP_BODY_LIMIT_MB"));
  // Stripe's webhook is authenticated by its signature; everything else by the app's token. A body is JSON
  // only: a form or text/plain body (what a web page can send without asking) is never read as an event.
  const requireAppToken = bearerAuth({
    token: apiToken,
    noAuthenticationHeader: { message: { error: APP_TOKEN_MISSING } },
    invalidAuthenticationHeader: { message: { error: APP_TOKEN_MISSING } },
    invalidToken: { message: { error: APP_TOKEN_MISSING } },
  });
  const metrics = new AppMetrics(db);
  const isWebhook = (path: string) => path === "/api/stripe/webhook";
  app.use("/api/*", (c, next) => (isWebhook(c.req.path) ? next() : requireAppToken(c, next)));
  app.use("/api/*", async (c, next) => {
    const reads = c.req.method === "GET" || c.req.method === "HEAD";
    if (isWebhook(c.req.path) || reads || /^application\/json\b/i.test(c.req.header("content-type") ?? "")) return next();
    return c.json({ error: "The body must be JSON: send Content-Type: application/json" }, 415);
  });
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    if (error instanceof InvalidInputError) return c.json({ error: error.message, issues: error.issues }, 400);
    if (error instanceof OrderConflictError || error instanceof EventIdConflictError) return c.json({ error: error.message }, 409);
    console.error("[app]", error);
    return c.json({ error: `Internal error: ${error.message}` }, 500);
  });

  app.post("/api/events/:name", async (c) => {
    const body: unknown = await c.req.json().catch(() => {
      throw new InvalidInputError("request", [{ field: "body", message: "must be JSON" }]);
    });
    const query = z.object({ id: z.string().min(1).max(128).optional() }).parse(c.req.query());
    const sent = await sendEvent(db, c.req.param("name"), body, query);
    // order.created answers with the page the shopper follows the order on (its token reads that run only).
    const statusUrl =
      sent.event === "order.created"
        ? orderStatusUrl(new URL(c.req.url).origin, sent.orderId, sent.runId, sent.publicAccessToken)
        : undefined;
    return c.json({ ...sent, ...(statusUrl ? { statusUrl } : {}) }, 202);
  });

  // Prometheus scrapes with the app's token, as every other caller.
  app.get("/metrics", (c, next) => requireAppToken(c, next));
  app.get("/metrics", async (c) => {
    const { contentType, body } = await metrics.exposition();
    return c.body(body, 200, { "content-type": contentType });
  });

  app.get("/api/inventory", async (c) => c.json({ inventory: await readStock(db) }));

  app.get("/api/orders", async (c) => {
    const limit = Math.min(200, Number(c.req.query("limit") ?? 50) || 50);
    return c.json({ orders: await listOrders(db, { limit }) });
  });

  app.get("/api/orders/:id", async (c) => {
    const order = await readOrder(db, c.req.param("id"));
    if (!order) return c.json({ error: `No order ${c.req.param("id")}` }, 404);
    return c.json({ ...order, runs: await orderRuns(order.id) });
  });

  app.post("/api/stripe/webhook", async (c) => {
    const payload = await c.req.text();
    let event: Stripe.Event;
    try {
      event = Stripe.webhooks.constructEvent(payload, c.req.header("stripe-signature") ?? "", stripeWebhookSecret);
    } catch (error) {
      metrics.webhookDelivered("unknown", "bad_signature");
      return c.json({ error: `Webhook signature check failed: ${error instanceof Error ? error.message : String(error)}` }, 400);
    }
    let result;
    try {
      result = await applyStripeEvent(db, stripe, event);
    } catch (error) {
      // Not matched yet, or Stripe could not be asked: a 5xx makes Stripe deliver the event again.
      if (error instanceof UnmatchedStripeEventError || error instanceof PaymentRetryableError) {
        metrics.webhookDelivered(event.type, "retry_later");
        return c.json({ error: error.message }, 503);
      }
      throw error;
    }
    metrics.webhookDelivered(event.type, result.handled ? "handled" : "ignored");
    if (result.handled) {
      if (result.charge) await wakeChargeWaiter(result.charge.payment);
      if (result.refundDue) await startRefund(db, result.orderId);
    }
    return c.json({ received: true, ...result });
  });

  return app;
}
