// Faults the stand-in can be told to inject, for tests and benchmarks. Three families, each matched only
// where it applies (an HTTP fault never touches a webhook, and so on):
//
// - HTTP, matched on a request's method and path prefix:
//   status_500 / status_429 / status_401: answer that error before doing anything (401 as for a revoked key);
//   hang: hold the request unanswered until the client gives up or hangMs pass;
//   slow_processing: take hangMs before doing the work, then do it and answer, even to a client that timed
//     out meanwhile (its Idempotency-Key is claimed throughout, so a retry gets 409, then the replay);
//   drop_after_processing: do the work, then drop the connection ("charged, but the answer was lost").
// - webhooks, matched on an event type prefix at an event's first delivery:
//   webhook_drop: never sent, yet marked delivered (lost for good);
//   webhook_delay: held back delayMs before its first send (so later events overtake it);
//   webhook_duplicate: sent twice in a row.
// - refunds, matched on refund creation (after its checks pass):
//   refund_pending: created "pending", succeeds processingDelayMs later (refund.updated, charge.refunded);
//   refund_fails: created "pending", fails processingDelayMs later (refund.failed, refund.updated).
import { z } from "zod";

/** How many matching requests, deliveries or refunds get it. */
const times = z.int().min(1).max(10_000).default(1);

const HttpFault = z.strictObject({
  kind: z.enum(["status_500", "status_429", "status_401", "hang", "slow_processing", "drop_after_processing"]),
  times,
  /** Only requests whose path starts with this. */
  path: z.string().startsWith("/").default("/v1/"),
  method: z.enum(["GET", "POST", "DELETE", "ANY"]).default("POST"),
  /** For "hang": how long before the connection is closed unanswered; for "slow_processing": the wait before the work. */
  hangMs: z.int().min(1).max(600_000).default(30_000),
});

const WebhookFault = z.strictObject({
  kind: z.enum(["webhook_drop", "webhook_delay", "webhook_duplicate"]),
  times,
  /** Only events whose type starts with this ("" = any, "refund." = every refund event). */
  eventType: z.string().default(""),
  /** For "webhook_delay": how long the first send is held back. */
  delayMs: z.int().min(1).max(3_600_000).default(5_000),
});

const RefundFault = z.strictObject({
  kind: z.enum(["refund_pending", "refund_fails"]),
  times,
});

export const FaultSpec = z.discriminatedUnion("kind", [HttpFault, WebhookFault, RefundFault]);
export type FaultSpec = z.output<typeof FaultSpec>;
export type HttpFault = z.output<typeof HttpFault>;
export type WebhookFault = z.output<typeof WebhookFault>;
export type RefundFault = z.output<typeof RefundFault>;

const HTTP_KINDS: ReadonlySet<string> = new Set(HttpFault.shape.kind.options);
const WEBHOOK_KINDS: ReadonlySet<string> = new Set(WebhookFault.shape.kind.options);
const REFUND_KINDS: ReadonlySet<string> = new Set(RefundFault.shape.kind.options);

const isHttp = (f: FaultSpec): f is HttpFault => HTTP_KINDS.has(f.kind);
const isWebhook = (f: FaultSpec): f is WebhookFault => WEBHOOK_KINDS.has(f.kind);
const isRefund = (f: FaultSpec): f is RefundFault => REFUND_KINDS.has(f.kind);

export class FaultPlan {
  private planned: { spec: FaultSpec; left: number }[] = [];

  inject(spec: z.input<typeof FaultSpec>): void {
    const fault = FaultSpec.parse(spec);
    this.planned.push({ spec: fault, left: fault.times });
  }

  clear(): void {
    this.planned = [];
  }

  pending(): FaultSpec[] {
    return this.planned.map(({ spec, left }) => ({ ...spec, times: left }));
  }

  /** The fault this API request gets, if any (consuming one of its `times`). */
  takeForRequest(method: string, path: string): HttpFault | undefined {
    return this.take((f) => (isHttp(f) && (f.method === "ANY" || f.method === method) && path.startsWith(f.path) ? f : undefined));
  }

  /** The fault the first delivery of an event of this type gets, if any. */
  takeForWebhook(eventType: string): WebhookFault | undefined {
    return this.take((f) => (isWebhook(f) && eventType.startsWith(f.eventType) ? f : undefined));
  }

  /** The fault the refund being created gets, if any. */
  takeForRefund(): RefundFault | undefined {
    return this.take((f) => (isRefund(f) ? f : undefined));
  }

  /** The first planned fault `match` accepts, one of its `times` consumed (a spent fault leaves the plan). */
  private take<T extends FaultSpec>(match: (f: FaultSpec) => T | undefined): T | undefined {
    for (const entry of this.planned) {
      const matched = match(entry.spec);
      if (!matched) continue;
      entry.left -= 1;
      if (entry.left === 0) this.planned = this.planned.filter((e) => e !== entry);
      return matched;
    }
    return undefined;
  }
}
