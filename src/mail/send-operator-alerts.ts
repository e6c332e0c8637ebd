// Mails the operator alerts that are due (src/orders/operator-alerts.ts makes them) to ALERT_EMAIL, at
// least once each: an alert is claimed before it is sent (a claim lapses after a lease, so a sender that died
// mid-send is replaced, under the same Message-ID); a refusal or a dead relay is retried with backoff; a
// relay's permanent refusal (5xx), or too many attempts, gives it up with its last error.
import { eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { operatorAlerts, orders, type OperatorAlert } from "../../db/schema";
import { classifyMailError, MailRejectedError } from "./mail-errors";
import type { MailTransport } from "./mail-transport";
import { renderOperatorAlertMail } from "./operator-alert-mail";

const CLAIM_LEASE_SECONDS = 60;
/** Sends tried before an alert is given up (it stays in the table, failed, with its last error). */
const MAX_ATTEMPTS = 10;
const backoffSeconds = (attempts: number) => Math.min(30 * 2 ** (attempts - 1), 3_600);

export type OperatorAlertOptions = {
  transport: MailTransport;
  from: string;
  /** ALERT_EMAIL; none: alerts wait in the table until an address is set. */
  to: string[];
  /** Where an operator sees the order. */
  orderPageUrl: (orderId: string) => string;
};

export type SentAlerts = { sent: string[]; retrying: string[]; givenUp: string[] };

/** A Message-ID that is the same for every send of an alert, so a receiver can drop a resend. */
export const alertMessageId = (alert: Pick<OperatorAlert, "id">) => `<operator-alert.${alert.id}@orders.shop.localhost>`;

export async function sendOperatorAlerts(db: Database, options: OperatorAlertOptions, limit = 20): Promise<SentAlerts> {
  const result: SentAlerts = { sent: [], retrying: [], givenUp: [] };
  if (options.to.length === 0) return result;
  const due = await db
    .update(operatorAlerts)
    .set({
      attempts: sql`${operatorAlerts.attempts} + 1`,
      nextAttemptAt: sql`now() + make_interval(secs => ${CLAIM_LEASE_SECONDS})`,
    })
    .where(
      sql`${operatorAlerts.id} IN (SELECT id FROM ${operatorAlerts} WHERE status = 'pending' AND next_attempt_at <= now()
            ORDER BY next_attempt_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
    )
    .returning();
  for (const alert of due) {
    const label = `${alert.orderId} ${alert.condition}`;
    const [order] = await db.select().from(orders).where(eq(orders.id, alert.orderId));
    const mail = renderOperatorAlertMail(alert, order!, options.orderPageUrl(alert.orderId));
    try {
      await options.transport.sendMail({
        from: options.from,
        to: options.to,
        subject: mail.subject,
        text: mail.text,
        messageId: alertMessageId(alert),
        headers: { "X-Order-Id": alert.orderId, "X-Operator-Alert": alert.condition },
      });
    } catch (error) {
      const failure = classifyMailError(error, `operator alert ${label}`);
      const givenUp = failure instanceof MailRejectedError || alert.attempts >= MAX_ATTEMPTS;
      await db
        .update(operatorAlerts)
        .set({
          status: givenUp ? "failed" : "pending",
          lastError: failure.message.slice(0, 500),
          nextAttemptAt: sql`now() + make_interval(secs => ${backoffSeconds(alert.attempts)})`,
        })
        .where(eq(operatorAlerts.id, alert.id));
      (givenUp ? result.givenUp : result.retrying).push(label);
      continue;
    }
    await db
      .update(operatorAlerts)
      .set({ status: "sent", sentAt: sql`now()`, lastError: null })
      .where(eq(operatorAlerts.id, alert.id));
    result.sent.push(label);
  }
  return result;
}
