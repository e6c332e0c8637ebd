// Environment → typed configuration. Every port, URL and default of the project lives here; a bad value is
// an error that names the variable and the rule, raised before anything starts or writes.
import { parseNaturalLanguageDurationInMs } from "@trigger.dev/core/v3/isomorphic";
import { z } from "zod";
import {
  ConfigError,
  configIssues,
  durationVariable as duration,
  emptyAsUnset,
  LOCALHOST,
  loadPlatformConfig,
  portVariable as port,
  smtpUrlVariable,
  type ConfigIssue,
} from "local-trigger/config";

/** A duration Trigger.dev's `delay` takes ("30s", "15m", "1h30m", "2d", "1w"; no "ms"), checked by its own parser. */
const triggerDelay = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const millis = parseNaturalLanguageDurationInMs(text.trim());
      if (millis === undefined || millis <= 0) {
        ctx.addIssue({
          code: "custom",
          message: `must be a delay Trigger.dev accepts: whole seconds, minutes, hours, days or weeks like 30s, 15m, 1h30m or 2d (got "${text}")`,
        });
        return z.NEVER;
      }
      return { text: text.trim(), ms: millis };
    });

const optionalUrl = (protocols: string[]) =>
  z
    .url({ error: `must be a URL (${protocols.join(", ")})` })
    .refine((value) => protocols.some((p) => value.startsWith(`${p}:`)), {
      message: `must start with ${protocols.map((p) => `${p}://`).join(" or ")}`,
    })
    .optional();

const DEFAULT_CATCHER_PORT = 2525;
/** The order-event sweep and the catcher's pruning each run hourly: a shorter retention would not be kept to. */
const MIN_RETENTION_MS = 3_600_000;
const catcherUrl = (port: number) => `smtp://${LOCALHOST}:${port}`;

/** The raw environment, variable by variable, with its rules and defaults. */
const EnvSchema = z.object({
  STRIPE_SECRET_KEY: z.preprocess(
    emptyAsUnset,
    z
      .string()
      .regex(/^(sk|rk)_(test|live)_/, "must be a Stripe secret key (sk_test_… or rk_test_…)")
      .optional(),
  ),
  /** Unset: the stand-in signs with STAND_IN_WEBHOOK_SECRET (public). A real STRIPE_SECRET_KEY needs the endpoint's own. */
  STRIPE_WEBHOOK_SECRET: z.preprocess(
    emptyAsUnset,
    z
      .string()
      .regex(/^whsec_/, "must start with whsec_")
      .optional(),
  ),
  /** The stand-in's key: made per install by `npm start` (app-secrets.json) and handed to the task processes. */
  STRIPE_STAND_IN_KEY: z.preprocess(
    emptyAsUnset,
    z
      .string()
      .regex(/^sk_test_\w+$/, "must be sk_test_…")
      .optional(),
  ),
  ALLOW_LIVE_STRIPE: z.preprocess(emptyAsUnset, z.enum(["1"], { error: "must be 1 (or unset)" }).optional()),
  STRIPE_FAKE_PORT: port(12111),
  STRIPE_WEBHOOK_URL: z.preprocess(emptyAsUnset, optionalUrl(["http", "https"])),

  SMTP_URL: smtpUrlVariable,
  SMTP_CATCHER_PORT: port(DEFAULT_CATCHER_PORT),
  MAIL_FROM: z.string().min(3).default('"Order desk" <orders@shop.localhost>'),

  APP_PORT: port(3000),
  /** What callers of the app's API present (Bearer); unset: the install's own (DATA_DIR/app-secrets.json). */
  APP_API_TOKEN: z.preprocess(
    emptyAsUnset,
    z
      .string()
      .regex(/^[\w-]{24,}$/, "must be at least 24 letters, digits, - or _ (a token others can't guess)")
      .optional(),
  ),
  APP_BODY_LIMIT_MB: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number of megabytes")
    .min(1, "must be at least 1")
    .max(64, "must be at most 64")
    .default(1),
  TRIGGER_API_URL: z.preprocess(emptyAsUnset, optionalUrl(["http", "https"])),

  ORDER_REMINDER_DELAY: triggerDelay("24h"),
  RESERVATION_TTL: duration("30m"),
  RECONCILE_AFTER: duration("2m"),
  RECONCILE_INTERVAL: duration("1m").refine(
    (d) => d.ms >= 1_000 && d.ms <= 60_000,
    "must be from 1s to 1m (the reconciler's schedule ticks every minute)",
  ),
  STRIPE_TIMEOUT: duration("15s"),
  /** An order in a final status whose newest event is older than this loses its timeline (jobs/sweep-order-events.ts). */
  ORDER_EVENT_RETENTION: duration("90d").refine((d) => d.ms >= MIN_RETENTION_MS, "must be at least 1h"),
  /** The mail catcher deletes the mail it caught longer ago than this. */
  MAIL_RETENTION: duration("7d").refine((d) => d.ms >= MIN_RETENTION_MS, "must be at least 1h"),
});

export type Env = z.input<typeof EnvSchema>;

export { ConfigError, LOCALHOST };

/** The order project's own Trigger.dev project on the local platform. */
export const ORDER_PROJECT_REF = "proj_orderfulfillment";
/** The stand-in's key and webhook secret where no install made its own (tests; `npm start` makes its own). */
export const STAND_IN_STRIPE_KEY = "sk_test_local_stand_in";
export const STAND_IN_WEBHOOK_SECRET = "whsec_local_stand_in";

/** Real Stripe: its webhooks must be verified with the endpoint's own secret (the stand-in's default is public,
 *  so anyone who reaches the app could sign a payment_intent.succeeded), and live money only when asked for. */
function realStripeIssues(e: z.output<typeof EnvSchema>): ConfigIssue[] {
  if (e.STRIPE_SECRET_KEY === undefined) return [];
  const issues: ConfigIssue[] = [];
  if (e.STRIPE_WEBHOOK_SECRET === undefined || e.STRIPE_WEBHOOK_SECRET === STAND_IN_WEBHOOK_SECRET)
    issues.push({
      variable: "STRIPE_WEBHOOK_SECRET",
      message: "must be set to your webhook endpoint's signing secret (whsec_…) when STRIPE_SECRET_KEY is a real key",
    });
  if (/^(sk|rk)_live_/.test(e.STRIPE_SECRET_KEY) && e.ALLOW_LIVE_STRIPE !== "1")
    issues.push({
      variable: "STRIPE_SECRET_KEY",
      message: "is a live key: charges would be real money; use a test key (sk_test_…), or set ALLOW_LIVE_STRIPE=1",
    });
  return issues;
}

/** The invariant checker excuses a mail sent twice by the order's `mail.*.resent` event: the timeline must
 *  outlive the mail, or a resend whose event was swept would be reported as a duplicate. */
function retentionIssues(e: z.output<typeof EnvSchema>): ConfigIssue[] {
  if (e.MAIL_RETENTION.ms <= e.ORDER_EVENT_RETENTION.ms) return [];
  return [
    {
      variable: "MAIL_RETENTION",
      message: `must be at most ORDER_EVENT_RETENTION (${e.ORDER_EVENT_RETENTION.text}): a resent mail is told apart from a duplicate by its order's timeline (got ${e.MAIL_RETENTION.text})`,
    },
  ];
}

/** Reads the environment (process.env by default) into the project's configuration, or throws ConfigError. */
export function loadConfig(env: Record<string, string | undefined> = process.env) {
  // The platform reads its own variables (ports, database, tuning, alerts); both sets of issues are reported
  // at once (a variable both read, SMTP_URL, once). Its alert mail goes through the app's relay: the catcher by default.
  const issues: ConfigIssue[] = [];
  const parsed = EnvSchema.safeParse(env);
  let platform: ReturnType<typeof loadPlatformConfig> | undefined;
  try {
    platform = loadPlatformConfig(env, {
      projectRef: ORDER_PROJECT_REF,
      smtpUrl: catcherUrl(parsed.success ? parsed.data.SMTP_CATCHER_PORT : DEFAULT_CATCHER_PORT),
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.issues);
  }
  if (!parsed.success)
    issues.push(...configIssues(parsed.error).filter((i) => !issues.some((j) => j.variable === i.variable && j.message === i.message)));
  else issues.push(...realStripeIssues(parsed.data), ...retentionIssues(parsed.data));
  if (parsed.success && parsed.data.TRIGGER_API_URL !== undefined && !env.TRIGGER_SECRET_KEY)
    issues.push({ variable: "TRIGGER_SECRET_KEY", message: "must be set to the project's secret key when TRIGGER_API_URL is set" });
  if (!parsed.success || !platform || issues.length) throw new ConfigError(issues);
  const e = parsed.data;
  const appUrl = `http://${LOCALHOST}:${e.APP_PORT}`;
  return {
    dataDir: platform.dataDir,
    database: platform.database,
    stripe: {
      useStandIn: e.STRIPE_SECRET_KEY === undefined,
      secretKey: e.STRIPE_SECRET_KEY ?? e.STRIPE_STAND_IN_KEY ?? STAND_IN_STRIPE_KEY,
      webhookSecret: e.STRIPE_WEBHOOK_SECRET ?? STAND_IN_WEBHOOK_SECRET,
      standInPort: e.STRIPE_FAKE_PORT,
      webhookUrl: e.STRIPE_WEBHOOK_URL ?? `${appUrl}/api/stripe/webhook`,
      timeoutMs: e.STRIPE_TIMEOUT.ms,
    },
    mail: {
      useCatcher: e.SMTP_URL === undefined,
      smtpUrl: e.SMTP_URL ?? catcherUrl(e.SMTP_CATCHER_PORT),
      catcherPort: e.SMTP_CATCHER_PORT,
      from: e.MAIL_FROM,
      /** How long the catcher keeps what it caught. */
      retention: e.MAIL_RETENTION,
    },
    app: { port: e.APP_PORT, url: appUrl, bodyLimitBytes: e.APP_BODY_LIMIT_MB * 1024 * 1024, apiToken: e.APP_API_TOKEN },
    trigger: {
      useLocalPlatform: e.TRIGGER_API_URL === undefined,
      apiUrl: e.TRIGGER_API_URL ?? platform.url,
      platformPort: platform.port,
      secretKey: platform.options.secretKey,
      projectRef: platform.options.defaultProjectRef,
      /** The local platform's access token when set (PLATFORM_ACCESS_TOKEN); else the install's own. */
      accessToken: platform.accessToken,
    },
    allowedHosts: platform.allowedHosts,
    /** Who is told of an order an operator must look at (ALERT_EMAIL, read with the platform's alerts). */
    alerts: { email: platform.options.alertEmail?.to ?? [] },
    /** The local platform's options (its own variables, read by local-trigger/config). */
    platform: platform.options,
    orders: {
      reminderDelay: e.ORDER_REMINDER_DELAY,
      reservationTtl: e.RESERVATION_TTL,
      /** The reconciler leaves an order alone until it has been quiet this long. */
      reconcileAfter: e.RECONCILE_AFTER,
      /** How often the reconciler looks, within each minute's run. */
      reconcileInterval: e.RECONCILE_INTERVAL,
      /** A final order's timeline is deleted once its newest event is older than this. */
      eventRetention: e.ORDER_EVENT_RETENTION,
    },
  };
}

export type Config = ReturnType<typeof loadConfig>;
