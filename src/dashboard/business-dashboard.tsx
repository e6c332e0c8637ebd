/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The pages this project adds to the local platform's dashboard: orders, inventory and mail. The stack
// plugs them in (the platform itself knows nothing of orders).
import { desc, eq, inArray } from "drizzle-orm";
import type { Database } from "../../db/client";
import { caughtMessages, stripeObjects } from "local-stand-ins/schema";
import { withQuery, type DashboardExtension } from "local-trigger/dashboard";
import { orderRuns } from "../events/order-runs";
import { readStock } from "../inventory/read-stock";
import { listOrders } from "../orders/list-orders";
import { readOrder } from "../orders/read-order";
import { describeError } from "../describe-error";
import { InventoryPage, MailListPage, MailPage, OrderPage, OrdersPage, type OrderReplay } from "./order-pages";
import { abortBulkAction, BulkActionId, bulkActionProgress, replayFailedOrderRuns } from "../events/replay-failed-runs";

const PAGE_SIZE = 50;

export function businessDashboard(db: Database): DashboardExtension {
  return {
    nav: [
      { href: "/orders", label: "Orders" },
      { href: "/inventory", label: "Inventory" },
      { href: "/mail", label: "Mail" },
    ],
    routes(app, render) {
      app.get("/orders", async (c) => {
        const afterId = c.req.query("after");
        const rows = await listOrders(db, { limit: PAGE_SIZE + 1, ...(afterId ? { after: afterId } : {}) });
        const next = rows.length > PAGE_SIZE ? rows[PAGE_SIZE - 1]!.id : undefined;
        return render(c, {
          title: "Orders",
          current: "/orders",
          live: !afterId,
          body: <OrdersPage orders={rows.slice(0, PAGE_SIZE)} next={next} />,
        });
      });
      app.get("/orders/:id", async (c) => {
        const order = await readOrder(db, c.req.param("id"));
        if (!order)
          return render(c, {
            title: "Order not found",
            current: "/orders",
            status: 404,
            body: <p class="muted">No order {c.req.param("id")}.</p>,
          });
        const providerIds = order.payments.map((p) => p.providerId).filter((id): id is string => id !== null);
        // ?bulk=: the replay of its failed runs started from this page, followed live.
        const bulk = BulkActionId.safeParse(c.req.query("bulk"));
        const [runs, intents, replay] = await Promise.all([
          orderRuns(order.id).catch((error: unknown) => `Runs could not be listed: ${describeError(error)}`),
          providerIds.length ? db.select().from(stripeObjects).where(inArray(stripeObjects.id, providerIds)) : Promise.resolve([]),
          bulk.success
            ? bulkActionProgress(bulk.data).then(
                (action): OrderReplay => action,
                (error: unknown): OrderReplay => ({ error: `The replay's progress could not be read: ${describeError(error)}` }),
              )
            : undefined,
        ]);
        return render(c, {
          title: `Order ${order.id}`,
          current: "/orders",
          live: true,
          body: <OrderPage order={order} runs={runs} intents={intents} replay={replay} />,
        });
      });
      app.post("/orders/:id/replay-failed", async (c) => {
        const order = await readOrder(db, c.req.param("id"));
        if (!order) return c.redirect(withQuery("/orders", { flash: `No order ${c.req.param("id")}`, kind: "error" }), 303);
        const back = `/orders/${encodeURIComponent(order.id)}`;
        try {
          const bulk = await replayFailedOrderRuns(order.id);
          return c.redirect(withQuery(back, { bulk, flash: "Replaying the order's failed runs" }), 303);
        } catch (error) {
          return c.redirect(withQuery(back, { flash: `The replay could not start: ${describeError(error)}`, kind: "error" }), 303);
        }
      });
      app.post("/orders/:id/bulk-actions/:bulk/abort", async (c) => {
        const back = `/orders/${encodeURIComponent(c.req.param("id"))}`;
        const bulk = BulkActionId.safeParse(c.req.param("bulk"));
        if (!bulk.success) return c.redirect(withQuery(back, { flash: `bulk: ${bulk.error.issues[0]!.message}`, kind: "error" }), 303);
        try {
          await abortBulkAction(bulk.data);
          return c.redirect(withQuery(back, { bulk: bulk.data, flash: `Bulk action ${bulk.data} aborted` }), 303);
        } catch (error) {
          return c.redirect(withQuery(back, { bulk: bulk.data, flash: `Not aborted: ${describeError(error)}`, kind: "error" }), 303);
        }
      });
      app.get("/inventory", async (c) =>
        render(c, { title: "Inventory", current: "/inventory", live: true, body: <InventoryPage stock={await readStock(db)} /> }),
      );
      app.get("/mail", async (c) => {
        const messageId = c.req.query("messageId");
        const query = db.select().from(caughtMessages);
        const messages = await (messageId ? query.where(eq(caughtMessages.messageId, messageId)) : query)
          .orderBy(desc(caughtMessages.id))
          .limit(100);
        return render(c, { title: "Mail", current: "/mail", live: true, body: <MailListPage messages={messages} /> });
      });
      app.get("/mail/:id{[0-9]+}", async (c) => {
        const [message] = await db
          .select()
          .from(caughtMessages)
          .where(eq(caughtMessages.id, Number(c.req.param("id"))));
        if (!message)
          return render(c, {
            title: "Mail not found",
            current: "/mail",
            status: 404,
            body: <p class="muted">No message {c.req.param("id")}.</p>,
          });
        return render(c, { title: message.subject ?? "Mail", current: "/mail", body: <MailPage message={message} /> });
      });
      app.get("/mail/:id{[0-9]+}/html", async (c) => {
        const [message] = await db
          .select({ html: caughtMessages.html })
          .from(caughtMessages)
          .where(eq(caughtMessages.id, Number(c.req.param("id"))));
        if (!message?.html) return c.text("No HTML part", 404);
        // Untrusted HTML: a sandbox CSP (no scripts, no same origin, no forms), on top of the iframe's sandbox.
        return c.body(message.html, 200, {
          "content-type": "text/html; charset=utf-8",
          "content-security-policy": "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'",
          "x-content-type-options": "nosniff",
        });
      });
    },
  };
}
