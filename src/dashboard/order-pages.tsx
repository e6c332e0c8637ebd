/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The business side of the dashboard: orders (list and one order with everything hanging off it),
// inventory, and the mail catcher's messages. Read from the same tables the app's API and the tasks use.
import {
  ActionButton,
  BulkActionProgress,
  DataTable,
  formatTime,
  JsonBlock,
  StatusBadge,
  withQuery,
  type BulkActionShown,
} from "local-trigger/dashboard";
import type { listOrders } from "../orders/list-orders";
import type { OrderDetails } from "../orders/read-order";
import type { readStock } from "../inventory/read-stock";
import { formatMoney } from "../mail/order-mail";
import type { CaughtMessage, StripeObjectRow } from "local-stand-ins/schema";
import { orderTag } from "../orders/order-tag";
import { isFailedRun } from "../events/replay-failed-runs";

const ORDER_STATUS_CLASS: Record<string, string> = { completed: "ok", cancelled: "muted", failed: "bad", payment_failed: "bad" };
const orderBadge = (status: string) => <span class={`badge ${ORDER_STATUS_CLASS[status] ?? "busy"}`}>{status}</span>;

export function OrdersPage({ orders, next }: { orders: Awaited<ReturnType<typeof listOrders>>; next?: string | undefined }) {
  return (
    <>
      <h1>Orders</h1>
      <DataTable
        id="orders-table"
        headings={["Order", "Customer", "Status", "Total", "Created"]}
        empty={
          <>
            No orders yet: <code>npm run order -- --random 5</code>
          </>
        }
        rows={orders.map((o) => (
          <tr data-order={o.id}>
            <td>
              <a href={`/orders/${encodeURIComponent(o.id)}`}>{o.id}</a>
            </td>
            <td class="wrap">
              {o.customerName ? `${o.customerName} ` : ""}
              <span class="muted">{o.customerEmail}</span>
            </td>
            <td>{orderBadge(o.status)}</td>
            <td>{formatMoney(o.totalCents, o.currency)}</td>
            <td>{formatTime(o.createdAt)}</td>
          </tr>
        ))}
      />
      <div class="pager">{next ? <a href={withQuery("/orders", { after: next })}>older →</a> : null}</div>
    </>
  );
}

type OrderRun = { id: string; task: string; status: string; createdAt: Date };
/** A replay of the order's failed runs under way (or why its progress could not be read). */
export type OrderReplay = BulkActionShown | { error: string };

export function OrderPage({
  order,
  runs,
  intents,
  replay,
}: {
  order: OrderDetails;
  runs: OrderRun[] | string;
  intents: StripeObjectRow[];
  replay?: OrderReplay | undefined;
}) {
  const failedRuns = typeof runs === "string" ? 0 : runs.filter((r) => isFailedRun(r.status)).length;
  const orderPath = `/orders/${encodeURIComponent(order.id)}`;
  return (
    <>
      <h1>
        Order {order.id} {orderBadge(order.status)}
      </h1>
      <div class="grid">
        <section class="card">
          <h2>Customer</h2>
          <dl class="facts">
            <dt>Name</dt>
            <dd>{order.customerName ?? "—"}</dd>
            <dt>Email</dt>
            <dd>{order.customerEmail}</dd>
            <dt>Total</dt>
            <dd>{formatMoney(order.totalCents, order.currency)}</dd>
            <dt>Card</dt>
            <dd>{order.paymentMethod}</dd>
            <dt>Created</dt>
            <dd>{formatTime(order.createdAt)}</dd>
            {order.failureReason ? (
              <>
                <dt>Why</dt>
                <dd class="low">{order.failureReason}</dd>
              </>
            ) : null}
          </dl>
        </section>
        <section class="card">
          <h2>Items</h2>
          <table>
            <tbody>
              {order.items.map((i) => (
                <tr>
                  <td>{i.sku}</td>
                  <td>× {i.quantity}</td>
                  <td>{formatMoney(i.unitPriceCents * i.quantity, order.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section class="card">
          <h2>Reservations</h2>
          {order.reservations.length === 0 ? <p class="muted">none</p> : null}
          <table class="compact">
            <tbody>
              {order.reservations.map((r) => (
                <tr>
                  <td>{r.sku}</td>
                  <td>× {r.quantity}</td>
                  <td>{r.status}</td>
                  <td class="muted">{formatTime(r.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
      <section class="card" id="payments">
        <h2>Payments</h2>
        {order.payments.length === 0 ? <p class="muted">No charge was made.</p> : null}
        <DataTable
          headings={["Kind", "Status", "Amount", "Stripe id", "At Stripe", "Idempotency key", "Attempts"]}
          rows={order.payments.map((p) => {
            const atStripe = intents.find((i) => i.id === p.providerId);
            return (
              <tr>
                <td>{p.kind}</td>
                <td>
                  {p.status}
                  {p.failureMessage ? <span class="low"> — {p.failureMessage}</span> : null}
                </td>
                <td>{formatMoney(p.amountCents, p.currency)}</td>
                <td>{p.providerId ?? "—"}</td>
                <td>{atStripe ? String((atStripe.data as { status?: unknown }).status ?? atStripe.type) : <span class="muted">—</span>}</td>
                <td class="muted">{p.idempotencyKey}</td>
                <td>{p.attempts}</td>
              </tr>
            );
          })}
        />
      </section>
      <div class="grid">
        <section class="card" id="notifications">
          <h2>Notifications</h2>
          {order.notifications.length === 0 ? <p class="muted">none yet</p> : null}
          <ul>
            {order.notifications.map((n) => (
              <li>
                {n.kind}: {n.status}
                {n.sentAt ? ` at ${formatTime(n.sentAt)}` : ""} <a href={withQuery("/mail", { messageId: n.messageId })}>mail</a>
                {n.lastError ? <span class="low"> — {n.lastError}</span> : null}
              </li>
            ))}
          </ul>
        </section>
        <section class="card" id="order-runs">
          <h2>
            Runs <a href={withQuery("/runs", { tag: orderTag(order.id) })}>(all, filtered by tag)</a>
          </h2>
          {typeof runs === "string" ? <p class="low">{runs}</p> : null}
          <ul>
            {typeof runs === "string"
              ? null
              : runs.map((r) => (
                  <li>
                    <a href={`/runs/${r.id}`}>{r.task}</a> <StatusBadge status={r.status} />{" "}
                    <span class="muted">{formatTime(r.createdAt)}</span>
                  </li>
                ))}
          </ul>
          {failedRuns > 0 ? (
            <div class="actions">
              <ActionButton
                action={`${orderPath}/replay-failed`}
                label={`Replay failed runs (${failedRuns})`}
                confirm={`Replay the ${failedRuns} runs of this order that failed after their last attempt?`}
              />
            </div>
          ) : null}
          {replay === undefined ? null : "error" in replay ? (
            <p class="low">{replay.error}</p>
          ) : (
            <BulkActionProgress action={replay} abortAction={`${orderPath}/bulk-actions/${encodeURIComponent(replay.id)}/abort`} />
          )}
        </section>
      </div>
      <section class="card">
        <h2>Timeline</h2>
        <ol class="timeline">
          {order.timeline.map((e) => (
            <li>
              <span class="muted">{formatTime(e.createdAt)}</span> <strong>{e.type}</strong>
              {Object.keys(e.detail).length ? <JsonBlock value={e.detail} /> : null}
            </li>
          ))}
        </ol>
      </section>
    </>
  );
}

export function InventoryPage({ stock }: { stock: Awaited<ReturnType<typeof readStock>> }) {
  return (
    <>
      <h1>Inventory</h1>
      <DataTable
        id="inventory-table"
        headings={["SKU", "Product", "Price", "On hand", "Reserved", "Available"]}
        rows={stock.map((s) => (
          <tr data-sku={s.sku}>
            <td>{s.sku}</td>
            <td>{s.name}</td>
            <td>{formatMoney(s.priceCents, s.currency)}</td>
            <td>{s.onHand}</td>
            <td>{s.reserved}</td>
            <td class={s.low ? "low" : ""}>
              {s.available}
              {s.low ? " (low)" : ""}
            </td>
          </tr>
        ))}
      />
    </>
  );
}

export function MailListPage({ messages }: { messages: CaughtMessage[] }) {
  return (
    <>
      <h1>Mail</h1>
      <p class="muted">What the mail catcher received (newest first).</p>
      <DataTable
        id="mail-table"
        headings={["Received", "To", "Subject"]}
        empty="No mail caught."
        rows={messages.map((m) => (
          <tr>
            <td>{formatTime(m.receivedAt)}</td>
            <td class="wrap">{m.toAddress ?? m.envelopeTo.join(", ")}</td>
            <td class="wrap">
              <a href={`/mail/${m.id}`}>{m.subject ?? "(no subject)"}</a>
            </td>
          </tr>
        ))}
      />
    </>
  );
}

export function MailPage({ message }: { message: CaughtMessage }) {
  return (
    <>
      <h1>{message.subject ?? "(no subject)"}</h1>
      <dl class="facts card">
        <dt>From</dt>
        <dd>{message.fromAddress ?? message.envelopeFrom}</dd>
        <dt>To</dt>
        <dd>{message.toAddress ?? message.envelopeTo.join(", ")}</dd>
        <dt>Received</dt>
        <dd>{formatTime(message.receivedAt)}</dd>
        <dt>Message-ID</dt>
        <dd>{message.messageId ?? "—"}</dd>
      </dl>
      {message.html ? (
        <section class="card">
          <h2>HTML</h2>
          {/* Rendered in a sandboxed frame with no scripts, from a URL that also sends a sandbox CSP. */}
          <iframe class="mail" sandbox="" src={`/mail/${message.id}/html`} title="The message's HTML part"></iframe>
        </section>
      ) : null}
      <section class="card">
        <h2>Text</h2>
        <pre class="log">{message.text ?? "(no text part)"}</pre>
      </section>
      <section class="card">
        <h2>Headers</h2>
        <JsonBlock value={message.headers} />
      </section>
    </>
  );
}
