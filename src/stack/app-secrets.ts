// The order project's own secrets, made once per install and kept beside the platform's in the data
// directory (DATA_DIR/app-secrets.json, mode 0600): the token callers of the app's API present, and the
// Stripe stand-in's key and webhook secret (the public defaults would let anyone who reaches the app sign a
// webhook). The local platform's secrets (access token, dashboard token, Postgres password) are its own.
import path from "node:path";
import { installSecrets, loadPlatformSecrets, randomToken, type PlatformSecrets } from "local-trigger/secrets";
import { STAND_IN_STRIPE_KEY, STAND_IN_WEBHOOK_SECRET, type Config } from "../config";

/** The user the mail catcher takes (its password is the install's). */
export const MAIL_CATCHER_USER = "catcher";

function withLogin(url: string, user: string, pass: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  parsed.password = pass;
  return parsed.toString().replace(/\/$/, "");
}

/** The mail catcher's login, as the URL carries it. */
export function mailCatcherCredentials(smtpUrl: string) {
  const url = new URL(smtpUrl);
  return { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) };
}

export type InstallSecrets = { config: Config; platform: PlatformSecrets };

/** `config` with the install's secrets wherever no variable chose one, and the platform's secrets. */
export function withInstallSecrets(config: Config): InstallSecrets {
  const own = installSecrets(path.join(config.dataDir, "app-secrets.json"), {
    appApiToken: () => randomToken("app_", 24),
    standInStripeKey: () => randomToken("sk_test_", 24),
    standInWebhookSecret: () => randomToken("whsec_", 24),
    mailCatcherPassword: () => randomToken("", 24),
  });
  const stripe = config.stripe.useStandIn
    ? {
        ...config.stripe,
        secretKey: config.stripe.secretKey === STAND_IN_STRIPE_KEY ? own.standInStripeKey : config.stripe.secretKey,
        webhookSecret: config.stripe.webhookSecret === STAND_IN_WEBHOOK_SECRET ? own.standInWebhookSecret : config.stripe.webhookSecret,
      }
    : config.stripe;
  // The catcher's login rides in its URL (SMTP_URL for the task processes), as a relay's would.
  const mail = config.mail.useCatcher
    ? { ...config.mail, smtpUrl: withLogin(config.mail.smtpUrl, MAIL_CATCHER_USER, own.mailCatcherPassword) }
    : config.mail;
  // The platform's alert mail goes through the same relay, with the same login.
  const platformOptions = config.platform.alertEmail
    ? { ...config.platform, alertEmail: { ...config.platform.alertEmail, smtpUrl: mail.smtpUrl } }
    : config.platform;
  return {
    config: {
      ...config,
      stripe,
      mail,
      platform: platformOptions,
      app: { ...config.app, apiToken: config.app.apiToken ?? own.appApiToken },
    },
    platform: loadPlatformSecrets(config.dataDir),
  };
}
