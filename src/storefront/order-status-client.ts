/// <reference lib="dom" />
// The shopper's order page, in the browser: it follows the order's workflow run over Trigger.dev's realtime
// feed with the public token the page's link carries (in its #fragment, which never reaches a server), using
// the SDK's own client (@trigger.dev/core's ApiClient.subscribeToRun, which runs.subscribeToRun and the
// React hooks use), and shows each step as it happens. Everything shown is set as text: nothing from the run
// is ever read as HTML.
import { ApiClient } from "@trigger.dev/core/v3";
import { ORDER_ENDINGS, ORDER_STEPS, type OrderEnding, type OrderProgress } from "../orders/order-progress";

const root = document.querySelector<HTMLElement>("#order-status")!;
const outcome = root.querySelector<HTMLElement>("#outcome")!;
const fragment = new URLSearchParams(location.hash.slice(1));
const runId = fragment.get("run");
const token = fragment.get("token");

function say(text: string, tone: "info" | "ok" | "bad") {
  outcome.textContent = text;
  outcome.dataset.tone = tone;
}

type WatchedRun = { status: string; isCompleted: boolean; isFailed: boolean; isCancelled: boolean; metadata?: unknown };

/** The steps this order has been at (an optional step shows only once it happened). */
const seen = new Set<string>();

function show(run: WatchedRun) {
  const progress = (run.metadata ?? {}) as Partial<OrderProgress>;
  if (progress.step) seen.add(progress.step);
  const ending = progress.ending && progress.ending.kind in ORDER_ENDINGS ? progress.ending : undefined;
  const at = ORDER_STEPS.findIndex((s) => s.step === progress.step);
  const confirmed = run.status === "COMPLETED" && progress.step === "completed" && !ending;
  root.querySelectorAll<HTMLElement>("li[data-step]").forEach((item, index) => {
    const step = ORDER_STEPS[index]!;
    if ("optional" in step && !seen.has(step.step)) item.dataset.state = "pending";
    else
      item.dataset.state =
        index < at || confirmed ? "done" : index === at ? (ending ? "stopped" : "current") : ending ? "skipped" : "pending";
  });
  root.dataset.runStatus = run.status;
  if (ending) return say(ORDER_ENDINGS[ending.kind as OrderEnding], ending.kind === "payment_unknown" ? "info" : "bad");
  if (confirmed) return say("Your order is confirmed. The confirmation is on its way to your inbox.", "ok");
  if (run.isCancelled) return say(ORDER_ENDINGS.cancelled, "bad");
  if (run.isFailed) return say("Something went wrong on our side and we are on it. You will never be charged twice.", "bad");
  if (at < 0) return say("Your order is in line and starts in a moment…", "info");
  say(`${ORDER_STEPS[at]!.label}…`, "info");
}

async function follow(apiUrl: string, run: string, accessToken: string) {
  const client = new ApiClient(apiUrl, accessToken);
  let failed = false;
  const subscription = client.subscribeToRun(run, {
    skipColumns: ["payload", "output"],
    onFetchError: (error: Error) => {
      failed = true;
      say(`This page cannot follow your order (${error.message}). Its link may have expired: ask for a new one.`, "bad");
    },
  });
  for await (const update of subscription) if (!failed) show(update);
}

if (!runId || !token) say("This link is incomplete: open the link you were given when you placed the order.", "bad");
else {
  say("Connecting…", "info");
  follow(root.dataset.apiUrl ?? "", runId, token).catch((error: unknown) =>
    say(`This page cannot follow your order: ${error instanceof Error ? error.message : String(error)}`, "bad"),
  );
}
