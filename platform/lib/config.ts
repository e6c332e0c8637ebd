// The platform's settings from the environment: what `local-trigger` (the bin) reads, and what an embedding
// project (the order stack) hands on through loadPlatformConfig. A bad value is an error that names the
// variable and the rule, raised before anything starts or writes.
import path from "node:path";
import ms from "ms";
import { z } from "zod";
import type { PlatformOptions } from "./platform-context";

export const LOCALHOST = "127.0.0.1";

export const portVariable = (fallback: number) =>
  z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(1, "must be a port from 1 to 65535")
    .max(65535, "must be a port from 1 to 65535")
    .default(fallback);

/** A duration such as "50ms", "30s", "15m", "24h" or "2d", kept as text and as ms. */
export const durationVariable = (fallback: string) =>
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

/** A host name, an IPv4 address or a bracketed IPv6 address, with an optional port. */
const HOST_PATTERN = /^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:\d{1,5})?$/;

const HOUR_MS = 3_600_000;

export const emptyAsUnset = (value: unknown) => (value === "" ? undefined : value);

/** SMTP_URL: the relay mail goes through (smtp:// or smtps://, the login in the URL); unset is allowed. */
export const smtpUrlVariable = z.preprocess(
  emptyAsUnset,
  z
    .url({ error: "must be a URL (smtp, smtps)" })
    .refine((value) => /^smtps?:/.test(value), { message: "must start with smtp:// or smtps://" })
    .optional(),
);

/** ALERT_EMAIL: one or more addresses, comma-separated. */
const alertEmailVariable = z.preprocess(
  emptyAsUnset,
  z
    .string()
    .transform((text) =>
      text
        .split(",")
        .map((address) => address.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.email({ error: "must be e-mail addresses, comma-separated (like ops@example.com,oncall@example.com)" })).min(1))
    .optional(),
);

const PlatformEnvSchema = z
  .object({
    DATA_DIR: z.string().min(1).default(".data"),
    DATABASE_URL: z.preprocess(
      emptyAsUnset,
      z
        .url({ error: "must be a URL (postgres://…)" })
        .refine((value) => /^postgres(ql)?:/.test(value), { message: "must start with postgres:// or postgresql://" })
        .optional(),
    ),
    PG_PORT: portVariable(54320),
    PLATFORM_PORT: portVariable(3030),
    /** Unset: the default project's key is made at random with the project (and kept in the database). */
    TRIGGER_SECRET_KEY: z.preprocess(
      emptyAsUnset,
      z
        .string()
        .regex(
          /^tr_(dev|prod|stg)_\w{16,}$/,
          "must be tr_dev_, tr_stg_ or tr_prod_ and at least 16 letters or digits (a key others can't guess)",
        )
        .optional(),
    ),
    /** Unset: the access token made for this install (in DATA_DIR/local-trigger-secrets.json). */
    PLATFORM_ACCESS_TOKEN: z.preprocess(
      emptyAsUnset,
      z
        .string()
        .regex(/^tr_pat_\w{24,}$/, "must be tr_pat_ and at least 24 letters or digits (a token others can't guess)")
        .optional(),
    ),
    /** Host names (or host:port) requests may name besides 127.0.0.1, localhost and [::1], comma-separated. */
    ALLOWED_HOSTS: z.preprocess(
      emptyAsUnset,
      z
        .string()
        .transform((text) =>
          text
            .split(",")
            .map((host) => host.trim().toLowerCase())
            .filter(Boolean),
        )
        .pipe(z.array(z.string().regex(HOST_PATTERN, "must be host names or host:port, comma-separated (like myhost.lan,10.0.0.5:3030)")))
        .optional(),
    ),
    TRIGGER_PROJECT_REF: z
      .string()
      .regex(/^proj_[a-z0-9]+$/, "must look like proj_<lowercase letters and digits>")
      .default("proj_local"),
    PLATFORM_MAX_CONCURRENT_RUNS: z.coerce
      .number({ error: "must be a number" })
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(500, "must be at most 500")
      .default(25),
    PLATFORM_DEQUEUE_HOLD: durationVariable("1s"),
    PLATFORM_DEQUEUE_INTERVAL: durationVariable("50ms"),
    PLATFORM_HEARTBEAT_TIMEOUT: durationVariable("90s"),
    /** Finished runs older than this are deleted, with everything hanging off them (engine/retention.ts). */
    RUN_RETENTION: durationVariable("30d").refine((d) => d.ms >= HOUR_MS, "must be at least 1h (a run that just finished is still read)"),
    RUN_RETENTION_INTERVAL: durationVariable("1h").refine((d) => d.ms >= 1_000 && d.ms <= 24 * HOUR_MS, "must be from 1s to 24h"),
    PLATFORM_BODY_LIMIT_MB: z.coerce
      .number({ error: "must be a number" })
      .int("must be a whole number of megabytes")
      .min(1, "must be at least 1")
      .max(1024, "must be at most 1024")
      .default(32),
    PLATFORM_STREAM_CHUNK_LIMIT_KB: z.preprocess(
      emptyAsUnset,
      z.coerce
        .number({ error: "must be a number" })
        .int("must be a whole number of kilobytes")
        .min(1, "must be at least 1")
        .max(1024 * 1024, "must be at most 1048576")
        .optional(),
    ),
    /** Where alerts of runs that ended badly go (a webhook, signed with ALERT_WEBHOOK_SECRET). */
    ALERT_WEBHOOK_URL: z.preprocess(emptyAsUnset, z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional()),
    ALERT_WEBHOOK_SECRET: z.preprocess(emptyAsUnset, z.string().min(16, "must be at least 16 characters").optional()),
    /** Who is mailed the alerts (through SMTP_URL, from ALERT_EMAIL_FROM). */
    ALERT_EMAIL: alertEmailVariable,
    ALERT_EMAIL_FROM: z.string().min(3, "must be a sender address").default('"Trigger.dev alerts" <alerts@local-trigger.localhost>'),
    SMTP_URL: smtpUrlVariable,
  })
  .superRefine((e, ctx) => {
    if (e.ALERT_WEBHOOK_URL && !e.ALERT_WEBHOOK_SECRET)
      ctx.addIssue({
        code: "custom",
        path: ["ALERT_WEBHOOK_SECRET"],
        message: "must be set with ALERT_WEBHOOK_URL: alerts are signed with it",
      });
  });

export type ConfigIssue = { variable: string; message: string };

export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Issues of a failed zod parse of an environment, one per variable and rule. */
export function configIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.map((issue) => ({ variable: String(issue.path[0] ?? "?"), message: issue.message }));
}

export type PlatformConfig = ReturnType<typeof loadPlatformConfig>;

/** Reads the platform's variables (process.env by default), or throws ConfigError. `defaults` are the
 *  embedding project's own defaults for variables it leaves unset (the order stack's project ref, and its
 *  mail catcher as the SMTP relay). */
export function loadPlatformConfig(
  env: Record<string, string | undefined> = process.env,
  defaults: { projectRef?: string; smtpUrl?: string } = {},
) {
  const parsed = PlatformEnvSchema.safeParse({ TRIGGER_PROJECT_REF: defaults.projectRef, ...definedOnly(env) });
  if (!parsed.success) throw new ConfigError(configIssues(parsed.error));
  const e = parsed.data;
  const smtpUrl = e.SMTP_URL ?? defaults.smtpUrl;
  if (e.ALERT_EMAIL && !smtpUrl)
    throw new ConfigError([{ variable: "SMTP_URL", message: "must be set with ALERT_EMAIL: alerts are mailed through it" }]);
  const dataDir = path.resolve(e.DATA_DIR);
  return {
    dataDir,
    database: {
      /** Set: use that server. Unset: embedded Postgres in `<dataDir>/postgres` on `embeddedPort`. */
      url: e.DATABASE_URL,
      embeddedPort: e.PG_PORT,
      embeddedDir: path.join(dataDir, "postgres"),
    },
    port: e.PLATFORM_PORT,
    url: `http://${LOCALHOST}:${e.PLATFORM_PORT}`,
    /** The access token when set explicitly (scripts, CI); else the install's own (loadPlatformSecrets). */
    accessToken: e.PLATFORM_ACCESS_TOKEN,
    allowedHosts: e.ALLOWED_HOSTS ?? [],
    options: {
      secretKey: e.TRIGGER_SECRET_KEY,
      allowedHosts: e.ALLOWED_HOSTS ?? [],
      defaultProjectRef: e.TRIGGER_PROJECT_REF,
      dequeue: {
        holdMs: e.PLATFORM_DEQUEUE_HOLD.ms,
        intervalWithRunMs: 0,
        intervalWithoutRunMs: e.PLATFORM_DEQUEUE_INTERVAL.ms,
        maxConcurrentRuns: e.PLATFORM_MAX_CONCURRENT_RUNS,
      },
      heartbeatTimeoutMs: e.PLATFORM_HEARTBEAT_TIMEOUT.ms,
      retention: { olderThanMs: e.RUN_RETENTION.ms, everyMs: e.RUN_RETENTION_INTERVAL.ms },
      bodyLimitBytes: e.PLATFORM_BODY_LIMIT_MB * 1024 * 1024,
      ...(e.PLATFORM_STREAM_CHUNK_LIMIT_KB ? { streamChunkLimitBytes: e.PLATFORM_STREAM_CHUNK_LIMIT_KB * 1024 } : {}),
      defaultMaxAttempts: 3,
      taskEnvironment: {},
      ...(e.ALERT_WEBHOOK_URL && e.ALERT_WEBHOOK_SECRET
        ? { alertWebhooks: [{ url: e.ALERT_WEBHOOK_URL, secret: e.ALERT_WEBHOOK_SECRET }] }
        : {}),
      ...(e.ALERT_EMAIL && smtpUrl ? { alertEmail: { to: e.ALERT_EMAIL, from: e.ALERT_EMAIL_FROM, smtpUrl } } : {}),
    } satisfies PlatformOptions,
  };
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
