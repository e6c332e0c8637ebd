// The mail that tells an operator about an order that needs a person. Plain text only: the order's fields
// come from shoppers and Stripe, and as text nothing in them is markup to a mail client.
import type { Order, OperatorAlert } from "../../db/schema";
import { REFUND_NEEDS_OPERATOR, WORKFLOW_NEEDS_OPERATOR } from "../orders/operator-alerts";
import { formatMoney } from "./order-mail";

const WHAT_TO_DO: Record<string, string> = {
  [REFUND_NEEDS_OPERATOR]:
    "The order's money could not be given back by this app: Stripe failed every refund, or the charge was refunded outside it. Check the charge in Stripe's dashboard and settle the refund by hand.",
  [WORKFLOW_NEEDS_OPERATOR]:
    "The order was charged, but its workflow keeps failing after the payment, and restarting it again will not help. Read its runs, then complete or cancel the order.",
};

export function renderOperatorAlertMail(alert: OperatorAlert, order: Order, orderPageUrl: string): { subject: string; text: string } {
  const detail = Object.entries(alert.detail).map(
    ([key, value]) => `  ${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`,
  );
  const text = [
    `Order ${order.id} needs an operator (${alert.condition}).`,
    "",
    WHAT_TO_DO[alert.condition] ?? "",
    "",
    `Order:      ${order.id}`,
    `Status:     ${order.status}${order.failureReason ? ` (${order.failureReason})` : ""}`,
    `Total:      ${formatMoney(order.totalCents, order.currency)}`,
    `Customer:   ${order.customerEmail}`,
    `Flagged at: ${alert.createdAt.toISOString()}`,
    `Order page: ${orderPageUrl}`,
    ...(detail.length > 0 ? ["", "Detail:", ...detail] : []),
    "",
  ].join("\n");
  // Order ids are checked on the way in; a header is still no place to trust that.
  const subject = `Order ${order.id} needs an operator: ${alert.condition}`.replace(/[\r\n\t]+/g, " ");
  return { subject, text };
}
