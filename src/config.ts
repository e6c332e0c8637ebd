// Environment → typed configuration. Every port, URL and default of the project lives here; a bad value is
// an error that names the variable and the rule, raised before anything starts or writes.
import path from "node:path";
import { parseNaturalLanguageDurationInMs } from "@trigger.dev/core/v3/isomorphic";
import ms from "ms";
import { z } from "zod";

const port = (fallback: number) =>
  z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(1, "must be a port from 1 to 65535")
    .max(65535, "must be a port from 1 to 65535")
    .default(fallback);

/** A duration such as "30s", "15m", "24h" or "2d"; kept as text (Trigger.dev's `delay` takes it) and as ms. */
const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const millis = /^\d+(ms|s|m|h|d|w)$/.test(text.trim()) ? ms(text.trim() as ms.StringValue) : NaN;
      if (!Number.isFinite(millis) || millis <= 0) {
        ctx.addIssue({ code: "custom", message: `must be a duration like 30s, 15m, 24h or 2d (got "${text}")` });
        return z.NEVER;
      }
      return { text: text.trim(), ms: millis };
    });

/** A duration Trigger.dev's `delay` takes ("30s", "15m", "1h30m", "2d", "1w"; no "ms"), checked by its own parser. */
const triggerDelay = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const millis = parseNaturalLanguageDurationInMs(text.trim());
      if (millis === undefined || millis <= 0) {
        ctx.addIssue({ code: "custom", message: `must be a delay Trigger.dev accepts: whole seconds, minutes, hours, days or weeks like 30s, 15m, 1h30m or 2d (got "${text}")` });
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

const emptyAsUnset = (value: unknown) => (value === "" ? undefined : value);

/** The raw environment, variable by variable, with its rules and defaults. */
const EnvSchema = z.object({
  DATA_DIR: z.string().min(1).default(".data"),
  DATABASE_URL: z.preprocess(emptyAsUnset, optionalUrl(["postgres", "postgresql"])),
  PG_PORT: port(54320),

  STRIPE_SECRET_KEY: z.preprocess(
    emptyAsUnset,
    z.string().regex(/^(sk|rk)_(test|live)_/, "must be a Stripe secret key (sk_test_… or rk_test_…)").optional(),
  ),
  STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_/, "must start with whsec_").default("whsec_local_stand_in"),
  STRIPE_FAKE_PORT: port(12111),
  STRIPE_WEBHOOK_URL: z.preprocess(emptyAsUnset, optionalUrl(["http", "https"])),

  SMTP_URL: z.preprocess(emptyAsUnset, optionalUrl(["smtp", "smtps"])),
  SMTP_CATCHER_PORT: port(2525),
  MAIL_FROM: z.string().min(3).default('"Order desk" <orders@shop.localhost>'),

  APP_PORT: port(3000),
  PLATFORM_PORT: port(3030),
  TRIGGER_API_URL: z.preprocess(emptyAsUnset, optionalUrl(["http", "https"])),
  TRIGGER_SECRET_KEY: z.string().regex(/^tr_(dev|prod|stg)_/, "must start with tr_dev_").default("tr_dev_local"),
  TRIGGER_PROJECT_REF: z.string().regex(/^proj_[a-z0-9]+$/, "must look like proj_<lowercase letters and digits>").default("proj_orderfulfillment"),

  PLATFORM_MAX_CONCURRENT_RUNS: z.coerce.number({ error: "must be a number" }).int("must be a whole number").min(1, "must be at least 1").max(500, "must be at most 500").default(25),
  PLATFORM_DEQUEUE_HOLD: duration("1s"),
  PLATFORM_DEQUEUE_INTERVAL: duration("50ms"),
  PLATFORM_HEARTBEAT_TIMEOUT: duration("90s"),

  ORDER_REMINDER_DELAY: triggerDelay("24h"),
  RESERVATION_TTL: duration("30m"),
  RECONCILE_AFTER: duration("2m"),
  RECONCILE_INTERVAL: duration("1m").refine((d) => d.ms >= 1_000 && d.ms <= 60_000, "must be from 1s to 1m (the reconciler's schedule ticks every minute)"),
  STRIPE_TIMEOUT: duration("15s"),
});

export type Env = z.input<typeof EnvSchema>;

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export const LOCALHOST = "127.0.0.1";
/** The stand-in accepts any key of this shape; real Stripe is used only when STRIPE_SECRET_KEY is set. */
export const STAND_IN_STRIPE_KEY = "sk_test_local_stand_in";

/** Reads the environment (process.env by default) into the project's configuration, or throws ConfigError. */
export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? "?"), message: issue.message })),
    );
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  const appUrl = `http://${LOCALHOST}:${e.APP_PORT}`;
  return {
    dataDir,
    database: {
      /** Set: use that server. Unset: embedded Postgres in `<dataDir>/postgres` on `embeddedPort`. */
      url: e.DATABASE_URL,
      embeddedPort: e.PG_PORT,
      embeddedDir: path.join(dataDir, "postgres"),
    },
    stripe: {
      useStandIn: e.STRIPE_SECRET_KEY === undefined,
      secretKey: e.STRIPE_SECRET_KEY ?? STAND_IN_STRIPE_KEY,
      webhookSecret: e.STRIPE_WEBHOOK_SECRET,
      standInPort: e.STRIPE_FAKE_PORT,
      webhookUrl: e.STRIPE_WEBHOOK_URL ?? `${appUrl}/api/stripe/webhook`,
      timeoutMs: e.STRIPE_TIMEOUT.ms,
    },
    mail: {
      useCatcher: e.SMTP_URL === undefined,
      smtpUrl: e.SMTP_URL ?? `smtp://${LOCALHOST}:${e.SMTP_CATCHER_PORT}`,
      catcherPort: e.SMTP_CATCHER_PORT,
      from: e.MAIL_FROM,
    },
    app: { port: e.APP_PORT, url: appUrl },
    trigger: {
      useLocalPlatform: e.TRIGGER_API_URL === undefined,
      apiUrl: e.TRIGGER_API_URL ?? `http://${LOCALHOST}:${e.PLATFORM_PORT}`,
      platformPort: e.PLATFORM_PORT,
      secretKey: e.TRIGGER_SECRET_KEY,
      projectRef: e.TRIGGER_PROJECT_REF,
    },
    platform: {
      maxConcurrentRuns: e.PLATFORM_MAX_CONCURRENT_RUNS,
      dequeueHoldMs: e.PLATFORM_DEQUEUE_HOLD.ms,
      dequeueIntervalMs: e.PLATFORM_DEQUEUE_INTERVAL.ms,
      heartbeatTimeoutMs: e.PLATFORM_HEARTBEAT_TIMEOUT.ms,
    },
    orders: {
      reminderDelay: e.ORDER_REMINDER_DELAY,
      reservationTtl: e.RESERVATION_TTL,
      /** The reconciler leaves an order alone until it has been quiet this long. */
      reconcileAfter: e.RECONCILE_AFTER,
      /** How often the reconciler looks, within each minute's run. */
      reconcileInterval: e.RECONCILE_INTERVAL,
    },
  };
}

export type Config = ReturnType<typeof loadConfig>;
