// Boots the parts of `npm start` in order, each with a line of progress, and stops them in reverse.
// A part is used for real when its variable is set (DATABASE_URL, STRIPE_SECRET_KEY, SMTP_URL).
import { createDatabaseHandle } from "../../db/client";
import { startDatabase } from "../../db/start-database";
import { seedCatalog } from "../../db/seed";
import type { Config } from "../config";
import { startMailCatcher } from "../fakes/smtp/mail-catcher";
import { startStripeStandIn } from "../fakes/stripe/stripe-stand-in";

export type Log = (line: string) => void;

export type Stack = Awaited<ReturnType<typeof bootStack>>;

export async function bootStack(config: Config, log: Log) {
  const stops: { name: string; stop: () => Promise<void> }[] = [];
  const stop = async () => {
    for (const part of stops.reverse()) {
      try {
        await part.stop();
        log(`stopped ${part.name}`);
      } catch (error) {
        log(`could not stop ${part.name} cleanly: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };

  /** Runs one boot step with a progress line; on failure, stops what already started and rethrows. */
  async function step<T>(name: string, run: () => Promise<T>, describe: (value: T) => string): Promise<T> {
    const started = performance.now();
    try {
      const value = await run();
      log(`✔ ${name.padEnd(14)} ${describe(value)} (${Math.round(performance.now() - started)} ms)`);
      return value;
    } catch (error) {
      log(`✘ ${name.padEnd(14)} ${error instanceof Error ? error.message : String(error)}`);
      await stop();
      throw error;
    }
  }

  const { url: databaseUrl } = await step(
    "Postgres",
    async () => {
      const started = await startDatabase(config.database, log);
      stops.push({ name: "Postgres", stop: started.stop });
      return started;
    },
    (db) => `${db.embedded ? `embedded, data in ${config.database.embeddedDir}` : "DATABASE_URL"}, ${redact(db.url)}, migrated`,
  );
  const database = createDatabaseHandle(databaseUrl);
  stops.push({ name: "database pool", stop: database.close });
  await step("catalog", () => seedCatalog(database.db), () => "demo SKUs in stock (existing stock untouched)");

  const stripeUrl = await step(
    "Stripe",
    async () => {
      if (!config.stripe.useStandIn) return "https://api.stripe.com";
      const standIn = await startStripeStandIn({ db: database.db, port: config.stripe.standInPort, webhook: { url: config.stripe.webhookUrl, secret: config.stripe.webhookSecret } });
      stops.push({ name: "Stripe stand-in", stop: standIn.close });
      return standIn.url;
    },
    (url) => (config.stripe.useStandIn ? `stand-in on ${url}, webhooks to ${config.stripe.webhookUrl}` : "real Stripe (STRIPE_SECRET_KEY)"),
  );

  const smtpUrl = await step(
    "mail",
    async () => {
      if (!config.mail.useCatcher) return config.mail.smtpUrl;
      const catcher = await startMailCatcher({ db: database.db, port: config.mail.catcherPort });
      stops.push({ name: "mail catcher", stop: catcher.close });
      return catcher.url;
    },
    (url) => (config.mail.useCatcher ? `catcher on ${url}` : `relay ${redact(url)} (SMTP_URL)`),
  );

  return { databaseUrl, stripeUrl, smtpUrl, db: database.db, stop };
}

/** A URL without its password, for logs. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}
