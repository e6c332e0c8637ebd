// Ids as Trigger.dev writes them (core's own generator): a friendly id with a type prefix (run_…,
// waitpoint_…) whose tail is the internal id.
import { fromFriendlyId, generateFriendlyId } from "@trigger.dev/core/v3";
import { randomBytes } from "node:crypto";

export type IdPrefix = "run" | "snapshot" | "waitpoint" | "batch" | "worker" | "sched" | "env" | "proj";

export function newIds(prefix: IdPrefix): { id: string; friendlyId: string } {
  const friendlyId = generateFriendlyId(prefix);
  return { id: fromFriendlyId(friendlyId), friendlyId };
}

/** The internal id behind a friendly one ("run_abc" → "abc"); an internal id is returned as it is. */
export function internalId(idOrFriendlyId: string): string {
  return idOrFriendlyId.includes("_") ? idOrFriendlyId.slice(idOrFriendlyId.indexOf("_") + 1) : idOrFriendlyId;
}

/** Hex ids for OpenTelemetry: 16 bytes for a trace, 8 for a span. */
export const newTraceId = () => randomBytes(16).toString("hex");
export const newSpanId = () => randomBytes(8).toString("hex");
