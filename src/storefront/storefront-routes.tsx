// The shopper's side of the app: the order status page, its script and its style. Open to anyone, as a shop's
// order page is: it shows nothing without the token in its link, and that token reads one run.
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { orderStatusScript } from "./client-bundle";
import { ORDER_STATUS_CSS, ORDER_STATUS_SCRIPT_PATH, ORDER_STATUS_STYLE_PATH, OrderStatusPage } from "./order-status-page";

/** `triggerApiUrl`: where the browser reads the run (the local platform, or Trigger.dev's API). */
export function storefrontRoutes(triggerApiUrl: string) {
  const app = new Hono();
  app.use(
    "*",
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        connectSrc: [new URL(triggerApiUrl).origin],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'none'"],
      },
      // The link's token is in its fragment, which a browser never sends; nor does it leave by Referer.
      referrerPolicy: "no-referrer",
    }),
  );
  app.get("/orders/:id/status", (c) => c.html(<OrderStatusPage orderId={c.req.param("id")} apiUrl={triggerApiUrl} />));
  app.get(ORDER_STATUS_SCRIPT_PATH, async (c) =>
    c.body(await orderStatusScript(), 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" }),
  );
  app.get(ORDER_STATUS_STYLE_PATH, (c) => c.body(ORDER_STATUS_CSS, 200, { "content-type": "text/css; charset=utf-8" }));
  return app;
}
