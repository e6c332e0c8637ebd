// Mails the operator alerts that are due (src/orders/operator-alerts.ts makes them) to ALERT_EMAIL, at
// least once each: one alert at a time is claimed, sent and settled (a claim lapses after a lease far longer
// than one send's timeouts, so a sender that died mid-send is replaced, under the same Message-ID); the
// settling is fenced by the claim's attempt number, so a sender whose claim lapsed changes nothing. A
// refusal or a dead relay is retried with backoff; a relay's permanent refusal (5xx), or too many sends,
// gives it up with its last error.
import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { operatorAlerts, orders, type OperatorAlert } from "../../db/schema";
import { classifyMailError, MailRejectedError } from "./mail-errors";
import type { MailTransport } from "./mail-transport";
import { renderOperatorAlertMail } from "./operator-alert-mail";

/** How long a claim holds an alert: one send takes at most ~20 s of SMTP timeouts (src/mail/mail-transport.ts). */
const CLAIM_LEASE_SECONDS = 60;
/** Sends tried before an alert is given up (it stays in the table, failed, with its last error). */
const MAX_ALERT_SENDS = 10;
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

/** Claims the alert due longest, counting the send; none when nothing is due (or others hold the rest). */
async function claimDueAlert(db: Database): Promise<OperatorAlert | undefined> {
  const [alert] = await db
    .update(operatorAlerts)
    .set({
      attempts: sql`${operatorAlerts.attempts} + 1`,
      nextAttemptAt: sql`now() + make_interval(secs => ${CLAIM_LEASE_SECONDS})`,
    })
    .where(
      sql`${operatorAlerts.id} = (SELECT id FROM ${operatorAlerts} WHERE status = 'pending' AND next_attempt_at <= now()
            ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED)`,
    )
    .returning();
  return alert;
}

/** Only the claim still held (nobody claimed the alert after it, nor settled it) settles it. */
const stillClaimed = (alert: OperatorAlert) =>
  and(eq(operatorAlerts.id, alert.id), eq(operatorAlerts.status, "pending"), eq(operatorAlerts.attempts, alert.attempts));

/** Sends up to `limit` due alerts, one claim at a time. */
export async function sendOperatorAlerts(db: Database, options: OperatorAlertOptions, limit = 20): Promise<SentAlerts> {
  const result: SentAlerts = { sent: [], retrying: [], givenUp: [] };
  if (options.to.length === 0) return result;
  for (let n = 0; n < limit; n++) {
    const alert = await claimDueAlert(db);
    if (!alert) break;
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
      const givenUp = failure instanceof MailRejectedError || alert.attempts >= MAX_ALERT_SENDS;
      const settled = await db
        .update(operatorAlerts)
        .set({
          status: givenUp ? "failed" : "pending",
          lastError: failure.message.slice(0, 500),
          nextAttemptAt: sql`now() + make_interval(secs => ${backoffSeconds(alert.attempts)})`,
        })
        .where(stillClaimed(alert))
        .returning({ id: operatorAlerts.id });
      if (settled.length > 0) (givenUp ? result.givenUp : result.retrying).push(label);
      continue;
    }
    const settled = await db
      .update(operatorAlerts)
      .set({ status: "sent", sentAt: sql`now()`, lastError: null })
      .where(stillClaimed(alert))
      .returning({ id: operatorAlerts.id });
    if (settled.length > 0) result.sent.push(label);
  }
  return result;
}
