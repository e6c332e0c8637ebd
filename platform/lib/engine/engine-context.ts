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

/** When a run's lease ends if no heartbeat renews it: a heartbeat timeout from now (in SQL). */
export const leaseFromNow = (ctx: EngineContext) => sql`now() + make_interval(secs => ${ctx.options.heartbeatTimeoutMs / 1000})`;
