// A run's statuses, defined once. The engine's (TaskRunStatus) and a snapshot's (TaskRunExecutionStatus) come
// from @trigger.dev/core, as does the status the API shows (RunStatus); here are the groups the platform acts
// on and the mapping between engine and API, which Trigger.dev's webapp makes in its run presenter.
import { RunStatus, type TaskRunExecutionStatus, type TaskRunStatus } from "@trigger.dev/core/v3/schemas";
import type { z } from "zod";

export type EngineStatus = TaskRunStatus;
export type ExecutionStatus = TaskRunExecutionStatus;
export type ApiStatus = z.output<typeof RunStatus>;

/** Statuses a run never leaves. */
export const FINAL_STATUSES = [
  "CANCELED",
  "COMPLETED_SUCCESSFULLY",
  "COMPLETED_WITH_ERRORS",
  "SYSTEM_FAILURE",
  "CRASHED",
  "EXPIRED",
  "TIMED_OUT",
] as const satisfies readonly EngineStatus[];

/** Statuses in which a run holds a concurrency slot of its environment and queue (handed to a CLI, running,
 *  or waiting inside its attempt); these are also the runs with a heartbeat lease. */
export const SLOT_HOLDING_STATUSES = ["DEQUEUED", "EXECUTING", "WAITING_TO_RESUME"] as const satisfies readonly EngineStatus[];

/** Statuses of a run inside an attempt (running, or waiting on waitpoints within it). */
export const IN_ATTEMPT_STATUSES = ["EXECUTING", "WAITING_TO_RESUME"] as const satisfies readonly EngineStatus[];

export const isFinal = (status: string) => (FINAL_STATUSES as readonly string[]).includes(status);
export const holdsSlot = (status: string) => (SLOT_HOLDING_STATUSES as readonly string[]).includes(status);
export const isInAttempt = (status: string) => (IN_ATTEMPT_STATUSES as readonly string[]).includes(status);

/** Every status the API shows, in the SDK's order. */
export const API_STATUSES: readonly ApiStatus[] = RunStatus.options;

/** API status → the engine statuses behind it, for filters. */
export const ENGINE_STATUSES_OF: Record<ApiStatus, EngineStatus[]> = {
  PENDING_VERSION: ["PENDING_VERSION"],
  QUEUED: ["PENDING", "RETRYING_AFTER_FAILURE"],
  DEQUEUED: ["DEQUEUED"],
  EXECUTING: ["EXECUTING"],
  WAITING: ["WAITING_TO_RESUME"],
  COMPLETED: ["COMPLETED_SUCCESSFULLY"],
  CANCELED: ["CANCELED"],
  FAILED: ["COMPLETED_WITH_ERRORS"],
  CRASHED: ["CRASHED"],
  SYSTEM_FAILURE: ["SYSTEM_FAILURE"],
  DELAYED: ["DELAYED"],
  EXPIRED: ["EXPIRED"],
  TIMED_OUT: ["TIMED_OUT"],
};

/** API statuses of runs that ended badly (the run view's isFailed). */
export const FAILED_API_STATUSES: readonly ApiStatus[] = ["FAILED", "CRASHED", "SYSTEM_FAILURE", "EXPIRED", "TIMED_OUT"];

/** API statuses of runs that failed after their last attempt, the ones worth replaying (the dashboard's Failed
 *  page): EXPIRED is not among them, as such a run never started. */
export const DEAD_LETTER_API_STATUSES: readonly ApiStatus[] = ["FAILED", "CRASHED", "TIMED_OUT", "SYSTEM_FAILURE"];

/** The status the API shows for a run: a DELAYED run whose delay has passed is QUEUED. */
export function apiStatus(run: { status: string; delayUntil: Date | null }): ApiStatus {
  if (run.status === "DELAYED") return run.delayUntil && run.delayUntil <= new Date() ? "QUEUED" : "DELAYED";
  for (const status of API_STATUSES) if ((ENGINE_STATUSES_OF[status] as string[]).includes(run.status)) return status;
  return "QUEUED";
}
