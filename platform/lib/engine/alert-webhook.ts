// The webhook channel: the alert as Trigger.dev's "alert.run.failed" webhook, signed as Trigger.dev signs
// them (x-trigger-signature-hmacsha256: the body's HMAC-SHA256 under the channel's secret, hex), so a
// receiver checks it with the SDK's `webhooks.constructEvent`.
import { createHmac } from "node:crypto";
import type { AlertChannel } from "./alerts";

/** Where alerts go: a webhook URL and the secret its deliveries are signed with. */
export type AlertWebhook = { url: string; secret: string };

/** How long a receiver gets to answer. */
const SEND_TIMEOUT_MS = 10_000;

export function webhookChannel(webhook: AlertWebhook): AlertChannel {
  return {
    key: `webhook:${webhook.url}`,
    async send({ webhook: payload }) {
      const body = JSON.stringify(payload);
      const answer = await fetch(webhook.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-trigger-signature-hmacsha256": createHmac("sha256", webhook.secret).update(body).digest("hex"),
        },
        body,
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      await answer.arrayBuffer().catch(() => undefined);
      if (!answer.ok) throw new Error(`the receiver answered ${answer.status}`);
    },
  };
}
