// The fault explorer's plan: from a seed, a schedule of orders (what they buy, how they pay, whether the
// event is sent twice, when they are cancelled) and of faults (Stripe errors, hangs, lost and late answers,
// webhooks dropped, delayed, duplicated; refunds pending or failing; SMTP refusing; one SIGKILL of the CLI
// and one restart of the platform). The same seed gives the same plan: a failure is replayed by its seed.
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { z } from "zod";
import type { FaultSpec } from "local-stand-ins/stripe/faults";

/** The SKUs the explorer sells, scarce on purpose: some orders run out of stock while others cancel. */
export const CHAOS_CATALOG = [
  { sku: "CHAOS-SCARCE", name: "Scarce thing", priceCents: 2500, currency: "usd", onHand: 12 },
  { sku: "CHAOS-FEW", name: "Few things", priceCents: 1200, currency: "usd", onHand: 25 },
  { sku: "CHAOS-MANY", name: "Many things", priceCents: 700, currency: "usd", onHand: 500 },
] as const;

/** How customers pay, by weight: most succeed, the rest walk every other path Stripe has. */
const PAYMENT_METHODS: [string, number][] = [
  ["pm_card_visa", 50],
  ["pm_card_mastercard", 5],
  ["pm_card_chargeDeclined", 5],
  ["pm_card_chargeDeclinedInsufficientFunds", 4],
  ["pm_nope", 5], // Stripe: resource_missing
  ["pm_card_authenticationRequired", 6], // 3-D Secure, off-session
  ["pm_stand_in_processing", 18],
  ["pm_stand_in_processing_declined", 7],
];

export type PlannedOrder = {
  id: string;
  atMs: number;
  lines: { sku: string; quantity: number }[];
  paymentMethod: string;
  /** The same event is sent again, at once (a client retry). */
  duplicate: boolean;
  /** order.cancelled is sent `afterMs` after order.created was, or after the order ended (completed or not). */
  cancel?: { after: "sent" | "end"; afterMs: number };
};

export type PlannedFault =
  | { atMs: number; kind: "stripe"; spec: z.input<typeof FaultSpec> }
  | { atMs: number; kind: "smtp_refuse"; forMs: number }
  | { atMs: number; kind: "kill_cli"; downMs: number }
  | { atMs: number; kind: "restart_platform"; downMs: number };

export type FaultPlan = { seed: number; orders: PlannedOrder[]; faults: PlannedFault[]; firingMs: number };

/** Below the stack's STRIPE_TIMEOUT (1.5 s in the explorer) a hang is just slow; above it the client gives up. */
const PAST_THE_CLIENT_TIMEOUT_MS = 2_500;

export function planFaults(seed: number, orderCount: number, firingMs = 20_000): FaultPlan {
  const rng = xoroshiro128plus(seed);
  const int = (from: number, to: number) => uniformInt(rng, from, to);
  const chance = (percent: number) => int(1, 100) <= percent;
  const pick = <T>(items: readonly T[]) => items[int(0, items.length - 1)]!;
  const weighted = (items: [string, number][]) => {
    let roll = int(
      1,
      items.reduce((sum, [, w]) => sum + w, 0),
    );
    for (const [item, weight] of items) if ((roll -= weight) <= 0) return item;
    return items[0]![0];
  };

  const orders: PlannedOrder[] = Array.from({ length: orderCount }, (_, i) => {
    const first = int(0, CHAOS_CATALOG.length - 1);
    const skus = chance(40)
      ? [CHAOS_CATALOG[first]!, CHAOS_CATALOG[(first + int(1, CHAOS_CATALOG.length - 1)) % CHAOS_CATALOG.length]!]
      : [CHAOS_CATALOG[first]!];
    return {
      id: `chaos-${seed}-${i + 1}`,
      atMs: int(0, firingMs),
      lines: skus.map((p) => ({ sku: p.sku, quantity: int(1, 3) })),
      paymentMethod: weighted(PAYMENT_METHODS),
      duplicate: chance(10),
      // Half race the workflow's steps, half follow its end (a refund of a completed order).
      ...(chance(20) ? { cancel: { after: chance(50) ? ("sent" as const) : ("end" as const), afterMs: int(0, 4_000) } } : {}),
    };
  });

  const stripeFault = (): z.input<typeof FaultSpec> => {
    const path = pick(["/v1/payment_intents", "/v1/payment_intents", "/v1/refunds", "/v1/"]);
    const method = pick(["POST", "POST", "ANY"] as const);
    switch (int(1, 11)) {
      case 1:
        return { kind: "status_500", path, method, times: int(1, 4) };
      case 2:
        return { kind: "status_429", path, method, times: int(1, 3) };
      case 3:
        return { kind: "status_401", path, method, times: int(1, 3) };
      case 4:
        return { kind: "hang", path, method, times: 1, hangMs: PAST_THE_CLIENT_TIMEOUT_MS };
      case 5:
        return { kind: "drop_after_processing", path, method: "POST", times: int(1, 3) };
      case 6:
        return { kind: "slow_processing", path, method: "POST", times: 1, hangMs: PAST_THE_CLIENT_TIMEOUT_MS }; // the answer comes after the client gave up
      case 7:
        return { kind: "webhook_drop", eventType: pick(["payment_intent.", "refund.", "charge.", ""]), times: int(1, 4) };
      case 8:
        return { kind: "webhook_delay", eventType: pick(["payment_intent.", "refund.", ""]), times: int(1, 5), delayMs: int(500, 8_000) };
      case 9:
        return { kind: "webhook_duplicate", eventType: pick(["payment_intent.", ""]), times: int(1, 5) };
      case 10:
        return { kind: "refund_pending", times: int(1, 2) };
      default:
        return { kind: "refund_fails", times: 1 };
    }
  };

  const faults: PlannedFault[] = Array.from({ length: Math.max(4, Math.round(orderCount * 0.6)) }, () =>
    chance(85)
      ? { atMs: int(0, firingMs), kind: "stripe" as const, spec: stripeFault() }
      : { atMs: int(0, firingMs), kind: "smtp_refuse" as const, forMs: int(500, 5_000) },
  );
  faults.push({ atMs: int(firingMs / 4, (firingMs * 3) / 4), kind: "kill_cli", downMs: int(500, 3_000) });
  faults.push({ atMs: int(firingMs / 4, (firingMs * 3) / 4), kind: "restart_platform", downMs: int(200, 2_500) });
  faults.sort((a, b) => a.atMs - b.atMs);
  orders.sort((a, b) => a.atMs - b.atMs);
  return { seed, orders, faults, firingMs };
}

/** The plan in lines a person can read (printed with every run, so a failure shows what it was up against). */
export function describePlan(plan: FaultPlan): string[] {
  const faultLine = (f: PlannedFault) => {
    const at = `${(f.atMs / 1000).toFixed(1)}s`.padStart(6);
    switch (f.kind) {
      case "stripe":
        return `${at} stripe ${JSON.stringify(f.spec)}`;
      case "smtp_refuse":
        return `${at} smtp refuses for ${f.forMs} ms`;
      case "kill_cli":
        return `${at} SIGKILL the CLI, relaunch after ${f.downMs} ms`;
      case "restart_platform":
        return `${at} restart the platform, down ${f.downMs} ms`;
    }
  };
  const methods = new Map<string, number>();
  for (const o of plan.orders) methods.set(o.paymentMethod, (methods.get(o.paymentMethod) ?? 0) + 1);
  return [
    `seed ${plan.seed}: ${plan.orders.length} orders over ${plan.firingMs / 1000}s (${plan.orders.filter((o) => o.duplicate).length} sent twice, ${plan.orders.filter((o) => o.cancel?.after === "sent").length} cancelled on the way, ${plan.orders.filter((o) => o.cancel?.after === "end").length} after their end)`,
    `  paying with ${[...methods].map(([m, n]) => `${m}×${n}`).join(", ")}`,
    ...plan.faults.map((f) => `  ${faultLine(f)}`),
  ];
}
