// The shopper's side of the app: the order status page, its script and its style. Open to anyone, as a shop's
// order page is: it shows nothing without the token in its link, and that token reads one run.
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { ORDER_ID_PATTERN } from "../events/order-created";
import { orderStatusScript } from "./client-bundle";
import { ORDER_STATUS_CSS, ORDER_STATUS_SCRIPT_PATH, ORDER_STATUS_STYLE_PATH, OrderStatusPage } from "./order-status-page";

/** `triggerApiUrl`: where the browser reads the run (the local platform, or Trigger.dev's API). */
export function storefrontRoutes(triggerApiUrl: string) {
  const app = new Hono();
  const pageHeaders = secureHeaders({
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
  });
  // Only on the storefront's own paths (a sub-app's "*" middleware would apply to the whole app).
  app.use("/orders/*", pageHeaders);
  app.use("/storefront/*", pageHeaders);
  app.get("/orders/:id/status", (c) => {
    const orderId = c.req.param("id");
    if (!ORDER_ID_PATTERN.test(orderId))
      return c.text(`No order ${orderId.slice(0, 64)}: an order id is 1-64 letters, digits, '_' or '-'`, 404);
    return c.html(<OrderStatusPage orderId={orderId} apiUrl={triggerApiUrl} />);
  });
  app.get(ORDER_STATUS_SCRIPT_PATH, async (c) =>
    c.body(await orderStatusScript(), 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" }),
  );
  app.get(ORDER_STATUS_STYLE_PATH, (c) => c.body(ORDER_STATUS_CSS, 200, { "content-type": "text/css; charset=utf-8" }));
  return app;
}
