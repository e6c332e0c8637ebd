/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The order mails, as text and HTML. hono/jsx escapes every value, so a customer's name or a SKU cannot
// inject markup into a message.
import type { NotificationKind } from "../../db/schema";

export type MailOrder = {
  id: string;
  customerName: string | null;
  totalCents: number;
  currency: string;
  failureReason?: string | null;
  items: { sku: string; quantity: number; unitPriceCents: number }[];
};

export type RenderedMail = { subject: string; text: string; html: string };

/** One formatter per currency for the life of the process: building one loads locale data (the task processes'
 *  CPU profiles showed it on every mail). */
const moneyFormats = new Map<string, Intl.NumberFormat>();

export function formatMoney(cents: number, currency: string): string {
  const code = currency.toUpperCase();
  let format = moneyFormats.get(code);
  if (!format) moneyFormats.set(code, (format = new Intl.NumberFormat("en-US", { style: "currency", currency: code })));
  return format.format(cents / 100);
}

const COPY: Record<NotificationKind, { subject: (o: MailOrder) => string; lead: (o: MailOrder) => string }> = {
  confirmation: {
    subject: (o) => `Order ${o.id} confirmed`,
    lead: (o) => `Thank you for your order. We charged ${formatMoney(o.totalCents, o.currency)} and your items are on their way.`,
  },
  reminder: {
    subject: (o) => `How is order ${o.id}?`,
    lead: () => "Your order arrived a while ago. We would love to hear how you like it.",
  },
  payment_failed: {
    subject: (o) => `Payment for order ${o.id} failed`,
    lead: (o) => `${whyNotCharged(o.failureReason)} Nothing was charged and the order was not placed.`,
  },
  out_of_stock: {
    subject: (o) => `Order ${o.id} could not be filled`,
    lead: () => "Sorry: some items sold out before we could reserve them. Nothing was charged.",
  },
  cancelled: {
    subject: (o) => `Order ${o.id} cancelled`,
    lead: () => "Your order is cancelled. If you were charged, the full amount is refunded to your card.",
  },
  failed: {
    subject: (o) => `Order ${o.id} could not be completed`,
    lead: () => "Sorry: we could not complete your order. Nothing was charged and the order was not placed.",
  },
};

/** The payment_failed mail says why in the customer's words; every reason it is sent for moved no money. */
function whyNotCharged(reason: string | null | undefined): string {
  switch (reason) {
    case "authentication_required":
      return "Your bank asked to confirm this payment (3-D Secure), which cannot be done for an order placed this way.";
    case "resource_missing":
    case "invalid_request":
      return "We could not use the payment method you gave us.";
    case "payment_not_completed":
      return "We could not complete the payment in time.";
    default:
      return `Your card was declined${reason ? ` (${reason})` : ""}.`;
  }
}

export async function renderOrderMail(kind: NotificationKind, order: MailOrder): Promise<RenderedMail> {
  const copy = COPY[kind];
  const greeting = `Hello${order.customerName ? ` ${order.customerName}` : ""},`;
  const lines = order.items.map((i) => `${i.quantity} × ${i.sku} at ${formatMoney(i.unitPriceCents, order.currency)}`);
  const text = [
    greeting,
    "",
    copy.lead(order),
    "",
    ...lines,
    `Total: ${formatMoney(order.totalCents, order.currency)}`,
    "",
    `Order ${order.id}`,
  ].join("\n");

  const html = (
    <html>
      <body style="font-family: sans-serif; color: #1f2933">
        <p>{greeting}</p>
        <p>{copy.lead(order)}</p>
        <table cellpadding="4" style="border-collapse: collapse">
          {order.items.map((i) => (
            <tr>
              <td>{i.quantity} ×</td>
              <td>{i.sku}</td>
              <td style="text-align: right">{formatMoney(i.unitPriceCents, order.currency)}</td>
            </tr>
          ))}
          <tr>
            <td colspan={2}>
              <strong>Total</strong>
            </td>
            <td style="text-align: right">
              <strong>{formatMoney(order.totalCents, order.currency)}</strong>
            </td>
          </tr>
        </table>
        <p style="color: #61707d">Order {order.id}</p>
      </body>
    </html>
  );
  return { subject: copy.subject(order), text, html: "<!doctype html>" + (await html.toString()) };
}
