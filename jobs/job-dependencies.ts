// What the tasks work with, made once per task process from its environment (the platform hands the
// stack's DATABASE_URL, Stripe and SMTP settings to every task process; on Trigger.dev Cloud they are the
// project's environment variables).
import { createDatabaseHandle } from "../db/client";
import { loadConfig, type Config } from "../src/config";
import { createMailTransport } from "../src/mail/mail-transport";
import type { OperatorAlertOptions } from "../src/mail/send-operator-alerts";
import { createStripeClient } from "../src/payments/stripe-client";

type Dependencies = {
  config: Config;
  db: ReturnType<typeof createDatabaseHandle>["db"];
  stripe: ReturnType<typeof createStripeClient>;
  mail: { transport: ReturnType<typeof createMailTransport>; from: string };
  /** Orders an operator must look at are mailed to ALERT_EMAIL, linking the dashboard's order page. */
  operatorAlerts: OperatorAlertOptions;
};

let made: Dependencies | undefined;

export function dependencies(): Dependencies {
  if (made) return made;
  const config = loadConfig();
  if (!config.database.url) throw new Error("DATABASE_URL is not set for the task process: set it in the project's environment variables");
  const transport = createMailTransport(config.mail.smtpUrl);
  made = {
    config,
    // A task process runs one run at a time: two connections cover a transaction and a read beside it.
    db: createDatabaseHandle(config.database.url, { max: 2 }).db,
    stripe: createStripeClient(config.stripe),
    mail: { transport, from: config.mail.from },
    operatorAlerts: {
      transport,
      from: config.mail.from,
      to: config.alerts.email,
      orderPageUrl: (orderId) => `${config.trigger.apiUrl}/orders/${encodeURIComponent(orderId)}`,
    },
  };
  return made;
}

/** Child runs are keyed by the order and the step, in global scope: a retried or replayed parent gets
 *  the same (possibly finished) child back instead of running the step again. */
export const stepKey = (orderId: string, step: string) => `order-${orderId}-${step}`;

export { orderTag } from "../src/orders/order-tag";
