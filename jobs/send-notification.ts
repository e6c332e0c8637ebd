// Send one of the order's mails, at most once (the notifications row), retried while SMTP is down.
import { AbortTaskRunError, logger, schemaTask } from "@trigger.dev/sdk";
import { z } from "zod";
import { notificationKind } from "../db/schema";
import { orderId } from "../src/events/order-created";
import { MailRejectedError } from "../src/mail/mail-errors";
import { notify } from "../src/mail/notify";
import { dependencies } from "./job-dependencies";

export const SEND_NOTIFICATION = "send-notification";

export const sendNotification = schemaTask({
  id: SEND_NOTIFICATION,
  schema: z.object({ orderId, kind: z.enum(notificationKind.enumValues) }),
  // A mail server outage of a few minutes is ridden out; the order does not fail because a mail is late.
  retry: { maxAttempts: 10, minTimeoutInMs: 500, maxTimeoutInMs: 30_000, factor: 2 },
  run: async ({ orderId, kind }) => {
    const { db, mail } = dependencies();
    try {
      const result = await notify(db, orderId, kind, mail);
      logger.info(`mail ${kind}: ${result.outcome}`, { orderId, messageId: result.notification.messageId });
      if (result.outcome === "in_flight") throw new Error(`another sender is sending the ${kind} mail of order ${orderId}; checking again`);
      return { outcome: result.outcome, messageId: result.notification.messageId };
    } catch (error) {
      if (error instanceof MailRejectedError) throw new AbortTaskRunError(error.message);
      throw error;
    }
  },
});
