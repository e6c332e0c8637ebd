// The e-mail channel: the alert as a plain-text mail to ALERT_EMAIL through the SMTP relay (SMTP_URL). Text
// only, so an error message carrying markup stays text in any mail client; the error never reaches a header.
import { taskRunErrorToString } from "@trigger.dev/core/v3";
import nodemailer, { type Transporter } from "nodemailer";
import type { RunAlert } from "./alert-payload";
import type { AlertChannel } from "./alerts";

export type AlertEmail = { to: string[]; from: string; smtpUrl: string };

/** The error and its stack as far as a mail needs them (the run page has all of it). */
const ERROR_LIMIT = 4_000;

/** Subject and text of the alert mail. */
export function alertMail({ webhook, attempts }: RunAlert): { subject: string; text: string } {
  const { task, run, project } = webhook.object;
  const error = run.error;
  const stack = error.type === "BUILT_IN_ERROR" || error.type === "INTERNAL_ERROR" ? (error.stackTrace ?? "") : "";
  const errorText = [taskRunErrorToString(error), stack].filter(Boolean).join("\n");
  const text = [
    `A run of ${task.id} ended ${run.status} after its last attempt.`,
    "",
    `Task:     ${task.id}`,
    `Run:      ${run.id}`,
    `Status:   ${run.status}`,
    `Attempts: ${attempts}`,
    `Project:  ${project.name} (${project.ref})`,
    `Run page: ${run.dashboardUrl}`,
    "",
    "Error:",
    errorText.length > ERROR_LIMIT ? `${errorText.slice(0, ERROR_LIMIT)}\n… (cut; the run page has the rest)` : errorText,
    "",
  ].join("\n");
  // Task ids and statuses are identifiers, but a header is no place to trust that.
  const subject = `[Trigger.dev] ${task.id}: run ${run.id} ${run.status}`.replace(/[\r\n\t]+/g, " ");
  return { subject, text };
}

/** Connections one channel keeps open to the relay: a burst of alerts (up to a timer pass's batch) queues on
 *  them instead of opening a connection each. */
const MAX_CONNECTIONS = 2;
/** Nodemailer's code for a refused login; 535 is the SMTP reply for it. */
const AUTH_FAILURE_CODE = "EAUTH";
const AUTH_FAILURE_REPLY = 535;

/** Whether sending again cannot help: a 5xx is the relay's final word (an unknown mailbox, a sender it
 *  refuses), except a refused login, which a fixed password or a relay back to normal clears. */
function isPermanent(failure: { code?: unknown; responseCode?: unknown }): boolean {
  if (failure.code === AUTH_FAILURE_CODE || failure.responseCode === AUTH_FAILURE_REPLY) return false;
  return typeof failure.responseCode === "number" && failure.responseCode >= 500;
}

export function emailChannel(email: AlertEmail): AlertChannel {
  // One pooled transport per channel, made at its first send (a channel made only for its key never
  // connects) and closed with the channel.
  let transport: Transporter | undefined;
  const pooled = () => {
    if (transport) return transport;
    const url = new URL(email.smtpUrl);
    transport = nodemailer.createTransport({
      pool: true,
      maxConnections: MAX_CONNECTIONS,
      host: url.hostname,
      port: Number(url.port || (url.protocol === "smtps:" ? 465 : 587)),
      secure: url.protocol === "smtps:",
      ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
      connectionTimeout: 5_000,
      greetingTimeout: 5_000,
      socketTimeout: 10_000,
    });
    return transport;
  };
  return {
    key: `email:${email.to.join(",")}`,
    async send(alert) {
      const { subject, text } = alertMail(alert);
      try {
        await pooled().sendMail({
          from: email.from,
          to: email.to,
          subject,
          text,
          // The same for every send of this delivery, so a receiver can drop a resend after a crash.
          messageId: `<${alert.webhook.id}@alerts.local-trigger.localhost>`,
          headers: { "X-Trigger-Run-Id": alert.webhook.object.run.id },
        });
      } catch (thrown) {
        const failure = thrown as { code?: unknown; responseCode?: unknown; message?: string };
        throw Object.assign(new Error(`SMTP: ${failure.message ?? String(thrown)}`), { permanent: isPermanent(failure) });
      }
    },
    close() {
      transport?.close();
      transport = undefined;
    },
  };
}
