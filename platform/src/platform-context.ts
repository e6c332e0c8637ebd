// What every part of the platform is handed: the database, the options, the notifier, and its own URL.
import type { Database } from "./db/client";
import type { RunEventBuffer } from "./engine/run-event-buffer";
import type { RunNotifier } from "./engine/run-notifier";

export type PlatformOptions = {
  /** The secret key (tr_dev_…) of the default project; other projects get `<key>-<ref>`. */
  secretKey: string;
  defaultProjectRef: string;
  dequeue: {
    /** How long an empty dequeue request is held open waiting for a run (long poll). */
    holdMs: number;
    /** What the CLI is told to wait between dequeue requests after runs / after none. */
    intervalWithRunMs: number;
    intervalWithoutRunMs: number;
    /** Runs of one environment executing at once (also the CLI's own limit). */
    maxConcurrentRuns: number;
  };
  /** A run whose task process sends no heartbeat for this long is retried or marked crashed. */
  heartbeatTimeoutMs: number;
  /** Attempts a run gets when neither the trigger nor the task's retry config says (crash recovery). */
  defaultMaxAttempts: number;
  /** Variables handed to every task process (GET …/envvars). */
  taskEnvironment: Record<string, string>;
  /** Example payloads per task id, prefilled on the dashboard's Test page (made afresh for each visit). */
  testPayloads?: () => Record<string, unknown>;
};

export type PlatformContext = {
  db: Database;
  options: PlatformOptions;
  notifier: RunNotifier;
  /** Where OTLP log lines and spans go on their way to Postgres. */
  runEvents: RunEventBuffer;
  /** The platform's own base URL, as the CLI and task processes reach it. */
  origin: string;
  /** Calls the platform's own HTTP API in-process (the dashboard's actions go through it: one set of rules). */
  api: (path: string, init: RequestInit) => Promise<Response>;
};
