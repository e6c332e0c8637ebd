// Debounced triggers, as Trigger.dev has them: while a run with the same debounce key (per task) is still
// DELAYED, a trigger pushes it `delay` later instead of making a run. In leading mode (the default) the run
// keeps the first trigger's data; in trailing mode each trigger's payload, metadata, tags, maxAttempts and
// maxDuration replace it. maxDelay bounds the push from the run's creation: a trigger that would push past it
// leaves the run to execute on time and makes a new one. A run that has left DELAYED gives its key up. A ttl
// counts from the run's delay, so a push moves its expiry with it.
import { parseNaturalLanguageDurationInMs } from "@trigger.dev/core/v3/isomorphic";
import { sql } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../db/client";
import { runs, type Run } from "../db/schema";
import { PlatformError } from "../platform-error";
import type { Effects } from "./run-notifier";
import { jsonParam, selectRow, timestampParam } from "./row-mapping";
import { writeSnapshot } from "./snapshots";
import { payloadText, tagsOf } from "./trigger-body";
import type { TriggerBody } from "./trigger-run";

type DebounceOption = NonNullable<NonNullable<TriggerBody["options"]>["debounce"]>;
export type DebounceWindow = { key: string; delayMs: number; maxDelayMs?: number; trailing: boolean };

const DURATIONS = `{number}s, {number}m, {number}h or {number}hr, {number}d, {number}w, optionally combined (for example "2h30m")`;

/** The debounce option checked: a duration (not a date: it is applied again at every push), maxDelay above it. */
export function debounceWindow(debounce: DebounceOption): DebounceWindow {
  const delayMs = parseNaturalLanguageDurationInMs(debounce.delay);
  if (delayMs === undefined || delayMs < 1000)
    throw new PlatformError(`debounce.delay: "${debounce.delay}" must be a duration of at least 1s: ${DURATIONS}`);
  const maxDelayMs = debounce.maxDelay === undefined ? undefined : parseNaturalLanguageDurationInMs(debounce.maxDelay);
  if (debounce.maxDelay !== undefined && maxDelayMs === undefined)
    throw new PlatformError(`debounce.maxDelay: "${debounce.maxDelay}" is not a duration: ${DURATIONS}`);
  if (maxDelayMs !== undefined && maxDelayMs <= delayMs)
    throw new PlatformError(
      `debounce.maxDelay (${debounce.maxDelay}) must be longer than debounce.delay (${debounce.delay}): a run is pushed back only within maxDelay, so every trigger would make its own run`,
    );
  return { key: debounce.key, delayMs, maxDelayMs, trailing: debounce.mode === "trailing" };
}

/** Pushes the DELAYED run holding the key, and answers it; undefined when the trigger must make a new run. */
export async function pushDebouncedRun(
  tx: DatabaseOrTransaction,
  effects: Effects,
  environmentId: string,
  taskIdentifier: string,
  body: TriggerBody,
  window: DebounceWindow,
  now: Date,
): Promise<Run | undefined> {
  const holder = await selectRow(
    tx,
    runs,
    sql`SELECT * FROM trigger_platform.runs
         WHERE environment_id = ${environmentId} AND task_identifier = ${taskIdentifier} AND debounce_key = ${window.key}
         FOR UPDATE`,
  );
  if (!holder) return undefined;
  const until = new Date(now.getTime() + window.delayMs);
  const beyondMax = window.maxDelayMs !== undefined && until.getTime() > holder.createdAt.getTime() + window.maxDelayMs;
  if (holder.status !== "DELAYED" || beyondMax) {
    await tx.execute(sql`UPDATE trigger_platform.runs SET debounce_key = NULL WHERE id = ${holder.id}`);
    return undefined;
  }
  const options = body.options ?? {};
  const tags = tagsOf(options);
  const trailing = window.trailing
    ? sql.join(
        [
          sql`, payload = ${payloadText(body)}`,
          sql`, payload_type = ${options.payloadType ?? "application/json"}`,
          options.metadata === undefined
            ? sql``
            : sql`, metadata = ${typeof options.metadata === "string" ? options.metadata : JSON.stringify(options.metadata)}, metadata_type = ${options.metadataType ?? "application/json"}`,
          tags === undefined ? sql`` : sql`, tags = ARRAY(SELECT jsonb_array_elements_text(${jsonParam(tags)}::jsonb))`,
          options.maxAttempts === undefined ? sql`` : sql`, max_attempts = ${options.maxAttempts}::int`,
          options.maxDuration === undefined ? sql`` : sql`, max_duration_seconds = ${options.maxDuration}::int`,
        ],
        sql``,
      )
    : sql``;
  const pushed = await selectRow(
    tx,
    runs,
    sql`UPDATE trigger_platform.runs
           SET delay_until = ${timestampParam(until)}, available_at = ${timestampParam(until)}, updated_at = now(),
               expire_at = expire_at + (${timestampParam(until)}::timestamptz - delay_until) ${trailing}
         WHERE id = ${holder.id} RETURNING *`,
  );
  await writeSnapshot(tx, pushed!, "DELAYED", `Debounced: delayed until ${until.toISOString()}`);
  effects.timers.push(until);
  return pushed;
}
