// Faults the stand-in can be told to inject, for tests and benchmarks: answer 500 or 429 before doing
// anything, hang without answering, or do the work and then drop the connection ("charged, but the
// answer was lost").
import { z } from "zod";

export const FaultSpec = z.strictObject({
  kind: z.enum(["status_500", "status_429", "hang", "drop_after_processing"]),
  /** How many matching requests get it. */
  times: z.int().min(1).max(10_000).default(1),
  /** Only requests whose path starts with this. */
  path: z.string().startsWith("/").default("/v1/"),
  method: z.enum(["GET", "POST", "DELETE", "ANY"]).default("POST"),
  /** For "hang": how long before the connection is closed unanswered. */
  hangMs: z.int().min(1).max(600_000).default(30_000),
});
export type FaultSpec = z.output<typeof FaultSpec>;

export class FaultPlan {
  private planned: (FaultSpec & { left: number })[] = [];

  inject(spec: z.input<typeof FaultSpec>): void {
    const fault = FaultSpec.parse(spec);
    this.planned.push({ ...fault, left: fault.times });
  }

  clear(): void {
    this.planned = [];
  }

  pending(): FaultSpec[] {
    return this.planned.map(({ left, ...spec }) => ({ ...spec, times: left }));
  }

  /** The fault this request gets, if any (consuming one of its `times`). */
  take(method: string, path: string): FaultSpec | undefined {
    const fault = this.planned.find((f) => (f.method === "ANY" || f.method === method) && path.startsWith(f.path));
    if (!fault) return undefined;
    fault.left -= 1;
    if (fault.left === 0) this.planned = this.planned.filter((f) => f !== fault);
    return fault;
  }
}
