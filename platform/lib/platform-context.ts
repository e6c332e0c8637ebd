// What the API routes and the dashboard are handed: the engine and what it runs on, where run logs go, and
// the platform's own URL.
import type { EngineContext } from "./engine/engine-context";
import type { RunEngine } from "./engine";
import type { RunEventBuffer } from "./engine/run-event-buffer";
import type { ShapeFeeds } from "./realtime/shape-feed";

export type { PlatformOptions } from "./platform-options";

export type PlatformContext = EngineContext & {
  /** Every change to runs goes through it: it commits, then tells whoever waits (CLI, timers, pages). */
  engine: RunEngine;
  /** Where OTLP log lines and spans go on their way to Postgres. */
  runEvents: RunEventBuffer;
  /** Realtime run feeds (ElectricSQL's shape protocol) and what each subscriber has been sent. */
  shapeFeeds: ShapeFeeds;
  /** The keys of the realtime streams each run has written (the feeds' realtimeStreams column). */
  realtimeStreamKeys?: (runIds: string[]) => Promise<Map<string, string[]>>;
  /** Calls the platform's own HTTP API in-process (the dashboard's actions go through it: one set of rules). */
  api: (path: string, init: RequestInit) => Promise<Response>;
};
