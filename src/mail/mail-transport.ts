// nodemailer over SMTP: the local mail catcher by default, any relay with SMTP_URL.
import nodemailer from "nodemailer";

export type MailTransport = ReturnType<typeof createMailTransport>;

export function createMailTransport(smtpUrl: string) {
  const url = new URL(smtpUrl);
  return nodemailer.createTransport({
    host: url.hostname,
    port: Number(url.port || (url.protocol === "smtps:" ? 465 : 587)),
    secure: url.protocol === "smtps:",
    ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
    // One connection per message cost ~105 ms here (an SMTP server waits 100 ms after connecting to catch
    // clients that talk before its greeting; smtp-server does); a pool keeps a few connections open.
    pool: true,
    maxConnections: 3,
    // Fail fast so a dead relay becomes a retry in the workflow, not a hung task.
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 10_000,
  });
}
