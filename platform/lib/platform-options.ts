// What the platform is started with: its default project, dequeue tuning, heartbeat timeout, retries, and
// what task processes and the dashboard are handed. local-trigger/config reads them from the environment.
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
  /** The largest request body any route reads (PLATFORM_BODY_LIMIT_MB; default 32 MB). */
  bodyLimitBytes?: number;
  /** A run whose task process sends no heartbeat for this long is retried or marked crashed. */
  heartbeatTimeoutMs: number;
  /** Attempts a run gets when neither the trigger nor the task's retry config says (crash recovery). */
  defaultMaxAttempts: number;
  /** Variables handed to every task process (GET …/envvars). */
  taskEnvironment: Record<string, string>;
  /** Example payloads per task id, prefilled on the dashboard's Test page (made afresh for each visit). */
  testPayloads?: () => Record<string, unknown>;
};
