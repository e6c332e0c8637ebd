// What the API routes and the dashboard are handed: the engine and what it runs on, where run logs go, and
// the platform's own URL.
import type { EngineContext } from "./engine/engine-context";
import type { RunEngine } from "./engine";
import type { RunEventBuffer } from "./engine/run-event-buffer";

export type { PlatformOptions } from "./platform-options";

export type PlatformContext = EngineContext & {
  /** Every change to runs goes through it: it commits, then tells whoever waits (CLI, timers, pages). */
  engine: RunEngine;
  /** Where OTLP log lines and spans go on their way to Postgres. */
  runEvents: RunEventBuffer;
  /** Calls the platform's own HTTP API in-process (the dashboard's actions go through it: one set of rules). */
  api: (path: string, init: RequestInit) => Promise<Response>;
};
