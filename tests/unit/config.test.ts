import { describe, expect, it } from "vitest";
import { loadPlatformConfig } from "local-trigger/config";
import { ConfigError, loadConfig } from "../../src/config";

describe("loadConfig", () => {
  it("fills every default from an empty environment, using the local stand-ins", () => {
    const config = loadConfig({});
    expect(config.database.url).toBeUndefined();
    expect(config.database.embeddedPort).toBe(54320);
    expect(config.stripe.useStandIn).toBe(true);
    expect(config.stripe.secretKey).toMatch(/^sk_test_/);
    expect(config.mail.smtpUrl).toBe("smtp://127.0.0.1:2525");
    expect(config.trigger.apiUrl).toBe("http://127.0.0.1:3030");
    expect(config.orders.reminderDelay).toEqual({ text: "24h", ms: 86_400_000 });
    expect(config.orders.reservationTtl.ms).toBe(30 * 60_000);
    expect(config.platform.retention).toEqual({ olderThanMs: 30 * 86_400_000, everyMs: 3_600_000 });
    expect(config.orders.eventRetention).toEqual({ text: "90d", ms: 90 * 86_400_000 });
    expect(config.mail.retention).toEqual({ text: "7d", ms: 7 * 86_400_000 });
  });

  it("uses the real services when their variables are set", () => {
    const config = loadConfig({
      DATABASE_URL: "postgres://u:p@db.example:5432/shop",
      STRIPE_SECRET_KEY: "sk_test_123",
      STRIPE_WEBHOOK_SECRET: "whsec_real",
      SMTP_URL: "smtp://relay.example:587",
      TRIGGER_API_URL: "https://api.trigger.dev",
      TRIGGER_SECRET_KEY: "tr_dev_fromthecloud0123456789",
    });
    expect(config.database.url).toBe("postgres://u:p@db.example:5432/shop");
    expect(config.stripe).toMatchObject({ useStandIn: false, secretKey: "sk_test_123" });
    expect(config.mail).toMatchObject({ useCatcher: false, smtpUrl: "smtp://relay.example:587" });
    expect(config.trigger).toMatchObject({ useLocalPlatform: false, apiUrl: "https://api.trigger.dev" });
  });

  it("a real Stripe key needs its webhook secret (the stand-in's is public), and a live key needs ALLOW_LIVE_STRIPE=1", () => {
    expect(() => loadConfig({ STRIPE_SECRET_KEY: "sk_test_123" })).toThrow(
      /STRIPE_WEBHOOK_SECRET: must be set to your webhook endpoint's signing secret/,
    );
    expect(() => loadConfig({ STRIPE_SECRET_KEY: "sk_test_123", STRIPE_WEBHOOK_SECRET: "whsec_local_stand_in" })).toThrow(
      /STRIPE_WEBHOOK_SECRET/,
    );
    expect(() => loadConfig({ STRIPE_SECRET_KEY: "sk_live_123", STRIPE_WEBHOOK_SECRET: "whsec_real" })).toThrow(
      /STRIPE_SECRET_KEY: is a live key.*ALLOW_LIVE_STRIPE=1/,
    );
    expect(
      loadConfig({ STRIPE_SECRET_KEY: "sk_live_123", STRIPE_WEBHOOK_SECRET: "whsec_real", ALLOW_LIVE_STRIPE: "1" }).stripe.useStandIn,
    ).toBe(false);
    expect(loadConfig({}).stripe.webhookSecret).toBe("whsec_local_stand_in");
  });

  it("MAIL_RETENTION must not outlast ORDER_EVENT_RETENTION (the timeline tells a resend from a duplicate)", () => {
    expect(() => loadConfig({ ORDER_EVENT_RETENTION: "2d", MAIL_RETENTION: "3d" })).toThrow(
      /MAIL_RETENTION: must be at most ORDER_EVENT_RETENTION \(2d\).*\(got 3d\)/,
    );
    expect(() => loadConfig({ ORDER_EVENT_RETENTION: "5d" })).toThrow(/MAIL_RETENTION: must be at most ORDER_EVENT_RETENTION \(5d\)/); // the default 7d
    const same = loadConfig({ ORDER_EVENT_RETENTION: "2d", MAIL_RETENTION: "48h" });
    expect([same.mail.retention.ms, same.orders.eventRetention.ms]).toEqual([2 * 86_400_000, 2 * 86_400_000]);
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ DATABASE_URL: "", SMTP_URL: "" }).database.url).toBeUndefined();
  });

  it.each([
    ["PG_PORT", "abc", /PG_PORT: must be a number/],
    ["APP_PORT", "70000", /APP_PORT: must be a port from 1 to 65535/],
    ["DATABASE_URL", "mysql://x", /DATABASE_URL: must start with postgres:\/\/ or postgresql:\/\//],
    ["STRIPE_SECRET_KEY", "pk_test_1", /STRIPE_SECRET_KEY: must be a Stripe secret key/],
    ["ORDER_REMINDER_DELAY", "tomorrow", /ORDER_REMINDER_DELAY: must be a delay Trigger.dev accepts/],
    // ms passes the `ms` package but not Trigger.dev's delay: the reminder would fail after the order completed.
    ["ORDER_REMINDER_DELAY", "500ms", /ORDER_REMINDER_DELAY: must be a delay Trigger.dev accepts.*got "500ms"/],
    ["ORDER_REMINDER_DELAY", "0s", /ORDER_REMINDER_DELAY: must be a delay Trigger.dev accepts/],
    ["RECONCILE_AFTER", "soon", /RECONCILE_AFTER: must be a duration/],
    ["RUN_RETENTION", "abc", /RUN_RETENTION: must be a duration like 30s, 15m, 24h or 2d \(got "abc"\)/],
    ["RUN_RETENTION", "10m", /RUN_RETENTION: must be at least 1h/],
    ["RUN_RETENTION_INTERVAL", "2d", /RUN_RETENTION_INTERVAL: must be from 1s to 24h/],
    ["ORDER_EVENT_RETENTION", "forever", /ORDER_EVENT_RETENTION: must be a duration/],
    ["MAIL_RETENTION", "30", /MAIL_RETENTION: must be a duration/],
    ["MAIL_RETENTION", "5m", /MAIL_RETENTION: must be at least 1h/],
    ["SMTP_URL", "http://mail", /SMTP_URL: must start with smtp:\/\/ or smtps:\/\//],
    ["ALERT_EMAIL", "ops@example.com,nobody", /ALERT_EMAIL: must be e-mail addresses, comma-separated/],
    ["TRIGGER_SECRET_KEY", "secret", /TRIGGER_SECRET_KEY: must be tr_dev_, tr_stg_ or tr_prod_ and at least 16/],
    ["TRIGGER_SECRET_KEY", "tr_dev_local", /TRIGGER_SECRET_KEY: must be tr_dev_.*a key others can't guess/],
    ["PLATFORM_ACCESS_TOKEN", "tr_pat_local", /PLATFORM_ACCESS_TOKEN: must be tr_pat_ and at least 24/],
    ["ALLOWED_HOSTS", "evil.example/path", /ALLOWED_HOSTS: must be host names or host:port/],
    ["APP_API_TOKEN", "short", /APP_API_TOKEN: must be at least 24/],
    [
      "TRIGGER_API_URL",
      "https://api.trigger.dev",
      /TRIGGER_SECRET_KEY: must be set to the project's secret key when TRIGGER_API_URL is set/,
    ],
  ])("rejects a bad %s, naming it", (variable, value, message) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(message);
  });

  it("ALERT_EMAIL: the app's operator alerts and the platform's run alerts go to it, through the app's relay", () => {
    const local = loadConfig({ ALERT_EMAIL: "ops@example.com, oncall@example.com" });
    expect(local.alerts.email).toEqual(["ops@example.com", "oncall@example.com"]);
    expect(local.platform.alertEmail).toEqual({
      to: ["ops@example.com", "oncall@example.com"],
      from: '"Trigger.dev alerts" <alerts@local-trigger.localhost>',
      smtpUrl: "smtp://127.0.0.1:2525", // the mail catcher
    });
    const relay = loadConfig({
      ALERT_EMAIL: "ops@example.com",
      SMTP_URL: "smtps://u:p@relay.example",
      ALERT_EMAIL_FROM: "alerts@shop.example",
    });
    expect(relay.platform.alertEmail).toMatchObject({ from: "alerts@shop.example", smtpUrl: "smtps://u:p@relay.example" });
    expect(loadConfig({}).alerts.email).toEqual([]);
    expect(loadConfig({}).platform.alertEmail).toBeUndefined();
    // The platform alone has no catcher to fall back on.
    expect(() => loadPlatformConfig({ ALERT_EMAIL: "ops@example.com" })).toThrow(/SMTP_URL: must be set with ALERT_EMAIL/);
  });

  it("a variable the app and the platform both read is reported once", () => {
    try {
      loadConfig({ SMTP_URL: "http://mail" });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).issues).toEqual([{ variable: "SMTP_URL", message: "must start with smtp:// or smtps://" }]);
    }
  });

  it("takes every delay Trigger.dev's own parser takes", () => {
    expect(loadConfig({ ORDER_REMINDER_DELAY: "1h30m" }).orders.reminderDelay).toEqual({ text: "1h30m", ms: 5_400_000 });
    expect(loadConfig({ ORDER_REMINDER_DELAY: "2w" }).orders.reminderDelay.ms).toBe(14 * 86_400_000);
  });

  it("lists every bad variable at once", () => {
    try {
      loadConfig({ PG_PORT: "x", APP_PORT: "0" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.variable)).toEqual(["PG_PORT", "APP_PORT"]);
    }
  });
});
