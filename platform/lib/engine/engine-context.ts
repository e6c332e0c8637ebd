// What every system of the engine works over: the database, the options, and the notifier that tells
// whoever waits (the CLI's held dequeue and socket, the timers, live dashboard pages) what changed.
import { sql } from "drizzle-orm";
import type { Database } from "../db/client";
import type { PlatformOptions } from "../platform-options";
import type { RunNotifier } from "./run-notifier";

export type EngineContext = {
  db: Database;
  options: PlatformOptions;
  notifier: RunNotifier;
  /** The platform's own base URL, as task processes reach it (for OTLP export and token callback URLs). */
  origin: string;
};

/** When a run's lease ends if no heartbeat renews it: a heartbeat timeout from now (in SQL), or `atLeastMs`. */
export const leaseFromNow = (ctx: EngineContext, atLeastMs = 0) =>
  sql`now() + make_interval(secs => ${Math.max(ctx.options.heartbeatTimeoutMs, atLeastMs) / 1000})`;

/** A run handed to the CLI has this long to start its attempt (Trigger.dev's PENDING_EXECUTING timeout), however
 *  short the heartbeat timeout: under load the CLI takes a while to get to it, and no heartbeat can come sooner. */
export const DEQUEUED_LEASE_MS = 60_000;

/** How long a run's task process may go without a heartbeat (still booting, or hung) while its CLI shows it
 *  still holds the run (Trigger.dev's EXECUTING timeout). On a starved machine heartbeats come late and a cold
 *  process boots slowly; stopping the run for that only starts another cold boot, and the machine thrashes. */
export const SILENT_PROCESS_LIMIT_MS = 300_000;
