// Sending an order's mail of one kind at most once, even when called concurrently or retried. The
// notifications row (unique per order and kind) is claimed before sending: only the claimer sends, and a
// claim lapses after a lease, so a sender that died mid-send is replaced by the next retry. That is the one
// case SMTP cannot settle: whether the dead sender's message was accepted is known to nobody but the relay,
// which cannot be asked. The mail is then sent again under the same Message-ID (receivers such as Gmail drop
// the second), and the resend is recorded (mail.<kind>.resent) so that it is never a silent duplicate.
import { and, asc, eq, inArray, lt, or, sql } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../../db/client";
import { notifications, orderItems, orders, type Notification, type NotificationKind } from "../../db/schema";
import { OrderNotFoundError } from "../orders/order-errors";
import { recordOrderEvent } from "../orders/order-status";
import { classifyMailError } from "./mail-errors";
import type { MailTransport } from "./mail-transport";
import { renderOrderMail } from "./order-mail";

const CLAIM_LEASE_SECONDS = 60;

export type NotifyOptions = { transport: MailTransport; from: string };
export type NotifyOutcome =
  | { outcome: "sent"; notification: Notification }
  | { outcome: "already_sent"; notification: Notification }
  /** Another caller holds the claim and is sending right now. */
  | { outcome: "in_flight"; notification: Notification };

/** A Message-ID that is the same for every attempt, so receivers can drop a resend after a crash. */
export const messageIdFor = (orderId: string, kind: NotificationKind) => `<${orderId}.${kind}@orders.shop.localhost>`;

/**
 * Sends `kind` for the order unless it was sent already. Throws MailRetryableError (SMTP 4xx, connection
 * trouble) or MailRejectedError (SMTP 5xx); either way the notification is left unsent for a later retry.
 */
export async function notify(
  db: DatabaseOrTransaction,
  orderId: string,
  kind: NotificationKind,
  options: NotifyOptions,
): Promise<NotifyOutcome> {
  const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
  if (!order) throw new OrderNotFoundError(orderId);

  await db
    .insert(notifications)
    .values({ orderId, kind, messageId: messageIdFor(orderId, kind), recipient: order.customerEmail })
    .onConflictDoNothing();
  const [before] = await db
    .select({ status: notifications.status, lapsed: sql<boolean>`${notifications.claimedUntil} < now()` })
    .from(notifications)
    .where(and(eq(notifications.orderId, orderId), eq(notifications.kind, kind)));
  const [claimed] = await db
    .update(notifications)
    .set({
      status: "sending",
      attempts: sql`${notifications.attempts} + 1`,
      claimedUntil: sql`now() + make_interval(secs => ${CLAIM_LEASE_SECONDS})`,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(notifications.orderId, orderId),
        eq(notifications.kind, kind),
        or(
          inArray(notifications.status, ["pending", "failed"]),
          and(eq(notifications.status, "sending"), lt(notifications.claimedUntil, sql`now()`)),
        ),
      ),
    )
    .returning();
  if (!claimed) {
    const [current] = await db
      .select()
      .from(notifications)
      .where(and(eq(notifications.orderId, orderId), eq(notifications.kind, kind)));
    return current!.status === "sent"
      ? { outcome: "already_sent", notification: current! }
      : { outcome: "in_flight", notification: current! };
  }

  if (before?.status === "sending" && before.lapsed) {
    await recordOrderEvent(db, orderId, `mail.${kind}.resent`, {
      messageId: claimed.messageId,
      reason: "the previous sender died mid-send",
    });
  }
  const items = await db.select().from(orderItems).where(eq(orderItems.orderId, orderId)).orderBy(asc(orderItems.sku));
  const mail = await renderOrderMail(kind, { ...order, items });
  try {
    await options.transport.sendMail({
      from: options.from,
      to: order.customerName ? { name: order.customerName, address: order.customerEmail } : order.customerEmail,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: claimed.messageId,
      headers: { "X-Order-Id": orderId, "X-Notification-Kind": kind },
    });
  } catch (error) {
    const failure = classifyMailError(error, `${kind} mail for order ${orderId}`);
    await db
      .update(notifications)
      .set({ status: "failed", lastError: failure.message, claimedUntil: null, updatedAt: sql`now()` })
      .where(eq(notifications.id, claimed.id));
    throw failure;
  }
  const [sent] = await db
    .update(notifications)
    .set({ status: "sent", sentAt: sql`now()`, lastError: null, claimedUntil: null, updatedAt: sql`now()` })
    .where(eq(notifications.id, claimed.id))
    .returning();
  await recordOrderEvent(db, orderId, `mail.${kind}.sent`, { messageId: claimed.messageId });
  return { outcome: "sent", notification: sent! };
}
