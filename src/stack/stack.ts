// Boots the parts of `npm start` in order, each with a line of progress, and stops them in reverse.
// A part is used for real when its variable is set (DATABASE_URL, STRIPE_SECRET_KEY, SMTP_URL).
import { configure } from "@trigger.dev/sdk";
import { createDatabaseHandle } from "../../db/client";
import { startDatabase } from "../../db/start-database";
import { seedCatalog } from "../../db/seed";
import type { Config } from "../config";
import { startMailCatcher } from "local-stand-ins/smtp";
import { startStripeStandIn } from "local-stand-ins/stripe";
import { startPlatform, type RunningPlatform } from "local-trigger";
import { startDevCli, type DevCli } from "local-trigger/dev-cli";
import { listen } from "local-trigger/listen";
import { createAppServer } from "../http/app-server";
import { createStripeClient } from "../payments/stripe-client";
import { businessDashboard } from "../dashboard/business-dashboard";
import { exampleTaskPayloads } from "../events/example-payloads";
import { mailCatcherCredentials, withInstallSecrets } from "./app-secrets";
import { PROJECT_ROOT } from "./repository-copy";

export type Log = (line: string) => void;

export type Stack = Awaited<ReturnType<typeof bootStack>>;

export type StackOptions = {
  /** Start the real `trigger.dev dev` (default true). */
  startCli?: boolean;
  /** Each line the CLI prints (npm start shows them); `color` lets the CLI colour them. */
  cliOutput?: { onLine: (line: string) => void; color: boolean };
  /** The project folder the CLI runs (default: this repository). */
  projectDir?: string;
};

export async function bootStack(givenConfig: Config, log: Log, options: StackOptions = {}) {
  // The install's own secrets wherever no variable chose one (made on the first start, kept in DATA_DIR).
  const { config, platform: platformSecrets } = withInstallSecrets(givenConfig);
  const appApiToken = config.app.apiToken!;
  const stops: { name: string; stop: () => Promise<void> }[] = [];
  /** Background work that touches Postgres stops first: a Ctrl-C in a terminal reaches the embedded
   *  Postgres too, which begins its own shutdown at once, and polling it meanwhile only prints errors. */
  const quiesce: (() => void)[] = [];
  const stop = async () => {
    quiesce.forEach((q) => q());
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
      const started = await startDatabase(config.database, log, platformSecrets.postgresPassword);
      stops.push({ name: "Postgres", stop: started.stop });
      return started;
    },
    (db) => `${db.embedded ? `embedded, data in ${config.database.embeddedDir}` : "DATABASE_URL"}, ${redact(db.url)}, migrated`,
  );
  const database = createDatabaseHandle(databaseUrl);
  stops.push({ name: "database pool", stop: database.close });
  await step(
    "catalog",
    () => seedCatalog(database.db),
    () => "demo SKUs in stock (existing stock untouched)",
  );

  const standIn = await step(
    "Stripe",
    async () => {
      if (!config.stripe.useStandIn) return undefined;
      const started = await startStripeStandIn({
        databaseUrl,
        port: config.stripe.standInPort,
        apiKey: config.stripe.secretKey,
        allowedHosts: config.allowedHosts,
        webhook: { url: config.stripe.webhookUrl, secret: config.stripe.webhookSecret },
      });
      stops.push({ name: "Stripe stand-in", stop: started.close });
      quiesce.push(started.stopTimers);
      return started;
    },
    (s) => (s ? `stand-in on ${s.url}, webhooks to ${config.stripe.webhookUrl}` : "real Stripe (STRIPE_SECRET_KEY)"),
  );

  const catcher = await step(
    "mail",
    async () => {
      if (!config.mail.useCatcher) return undefined;
      const started = await startMailCatcher({
        databaseUrl,
        port: config.mail.catcherPort,
        credentials: mailCatcherCredentials(config.mail.smtpUrl),
        retainForMs: config.mail.retention.ms,
      });
      stops.push({ name: "mail catcher", stop: started.close });
      return started;
    },
    (m) => (m ? `catcher on ${redact(m.url)}` : `relay ${redact(config.mail.smtpUrl)} (SMTP_URL)`),
  );

  // Whoever runs the CLI (this stack, or the user in a second terminal), its coming and going is news.
  const watchCliPresence = (running: RunningPlatform) =>
    running.onCliPresence(({ projectRef, connected }) =>
      log(`${connected ? "●" : "○"} trigger.dev dev ${connected ? "connected" : "disconnected"} (project ${projectRef})`),
    );

  // The platform can be restarted in place (the fault explorer does, mid-run); stop() stops whichever is current.
  let platform: RunningPlatform | undefined;
  let startPlatformHere: (() => Promise<RunningPlatform>) | undefined;
  await step(
    "Trigger.dev",
    async () => {
      if (!config.trigger.useLocalPlatform) return undefined;
      startPlatformHere = () =>
        startPlatform({
          databaseUrl,
          port: config.trigger.platformPort,
          options: {
            ...config.platform,
            accessToken: config.trigger.accessToken ?? platformSecrets.accessToken,
            dashboardToken: platformSecrets.dashboardToken,
            taskEnvironment: taskEnvironment(config, databaseUrl),
            testPayloads: exampleTaskPayloads,
          },
          dashboard: businessDashboard(database.db),
        });
      platform = await startPlatformHere();
      watchCliPresence(platform);
      stops.push({ name: "local Trigger.dev platform", stop: async () => platform?.close() });
      return platform;
    },
    (p) => (p ? `local platform on ${p.url}` : `Trigger.dev at ${config.trigger.apiUrl} (TRIGGER_API_URL)`),
  );
  /** Stops the local platform and starts it again on the same port, after `downMs` (the CLI rides it out). */
  const restartPlatform = async (downMs = 0) => {
    if (!platform || !startPlatformHere) throw new Error("the platform is not local (TRIGGER_API_URL is set): there is nothing to restart");
    await platform.close();
    await new Promise((r) => setTimeout(r, downMs));
    platform = await startPlatformHere();
    watchCliPresence(platform);
  };
  // The app triggers tasks through the SDK, on the platform or Trigger.dev itself.
  const triggerSecretKey = config.trigger.secretKey ?? platform?.secretKey ?? "";
  configure({ baseURL: config.trigger.apiUrl, accessToken: triggerSecretKey });

  const app = await step(
    "app",
    async () => {
      const started = await listen(
        createAppServer({
          db: database.db,
          stripe: createStripeClient(config.stripe),
          stripeWebhookSecret: config.stripe.webhookSecret,
          bodyLimitBytes: config.app.bodyLimitBytes,
          apiToken: appApiToken,
          triggerApiUrl: config.trigger.apiUrl,
        }),
        {
          port: config.app.port,
          name: "The app's HTTP API",
          portVariable: "APP_PORT",
          allowedHosts: config.allowedHosts,
        },
      );
      stops.push({ name: "app HTTP", stop: started.close });
      return started;
    },
    (a) => `HTTP API on ${a.url}`,
  );

  // The CLI can be replaced (the tests kill it and start another); stop() stops whichever is current.
  let cli: DevCli | undefined;
  const launchCli = async () => {
    cli = startDevCli({
      projectDir: options.projectDir ?? PROJECT_ROOT,
      apiUrl: config.trigger.apiUrl,
      accessToken: platform?.accessToken,
      env: cliEnvironment(config, databaseUrl),
      ...(options.cliOutput ? { onLine: options.cliOutput.onLine, color: options.cliOutput.color } : {}),
    });
    await cli.ready;
    return cli;
  };
  stops.push({ name: "trigger.dev dev", stop: async () => cli?.stop() });
  if (options.startCli !== false) await step("trigger.dev dev", launchCli, () => "the real CLI runs jobs/ (worker ready)");

  return {
    /** The configuration the stack runs with: the given one, with the install's secrets filled in. */
    config,
    databaseUrl,
    /** What the SDK triggers with (the local platform's key for this project, or TRIGGER_SECRET_KEY). */
    triggerSecretKey,
    /** What callers of the app's API present: Authorization: Bearer <token>. */
    appApiToken,
    db: database.db,
    standIn,
    catcher,
    platform: () => platform,
    restartPlatform,
    app,
    cli: () => cli,
    launchCli,
    stop,
  };
}

/** What task processes need to reach the database, Stripe and SMTP (handed out by the platform). */
function taskEnvironment(config: Config, databaseUrl: string): Record<string, string> {
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    STRIPE_WEBHOOK_SECRET: config.stripe.webhookSecret,
    ...(config.stripe.useStandIn ? { STRIPE_STAND_IN_KEY: config.stripe.secretKey } : {}),
    STRIPE_FAKE_PORT: String(config.stripe.standInPort),
    SMTP_URL: config.mail.smtpUrl,
    MAIL_FROM: config.mail.from,
    ...(config.alerts.email.length > 0 ? { ALERT_EMAIL: config.alerts.email.join(",") } : {}),
    ORDER_REMINDER_DELAY: config.orders.reminderDelay.text,
    RESERVATION_TTL: config.orders.reservationTtl.text,
    RECONCILE_AFTER: config.orders.reconcileAfter.text,
    ORDER_EVENT_RETENTION: config.orders.eventRetention.text,
    RECONCILE_INTERVAL: config.orders.reconcileInterval.text,
    STRIPE_TIMEOUT: `${config.stripe.timeoutMs}ms`,
  };
  if (!config.stripe.useStandIn) env.STRIPE_SECRET_KEY = config.stripe.secretKey;
  if (process.env.ALLOW_LIVE_STRIPE) env.ALLOW_LIVE_STRIPE = process.env.ALLOW_LIVE_STRIPE;
  return env;
}

/** With the local platform the CLI needs no login; against Trigger.dev it uses the caller's own token. The
 *  CLI hands its environment on to task processes, so it carries theirs too (what the platform's envvars give). */
export function cliEnvironment(config: Config, databaseUrl: string): Record<string, string> {
  return {
    ...taskEnvironment(config, databaseUrl),
    TRIGGER_PROJECT_REF: config.trigger.projectRef,
    ...(config.trigger.useLocalPlatform ? {} : { TRIGGER_ACCESS_TOKEN: process.env.TRIGGER_ACCESS_TOKEN ?? "" }),
  };
}

/** A URL without its password, for logs (user-supplied URLs; the embedded one is printed whole, locally). */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return url;
  }
}
