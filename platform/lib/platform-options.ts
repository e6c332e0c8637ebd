// What the platform is started with: its default project, dequeue tuning, heartbeat timeout, retries, and
// what task processes and the dashboard are handed. local-trigger/config reads them from the environment.
export type PlatformOptions = {
  /** The default project's secret key (tr_dev_…) when chosen (TRIGGER_SECRET_KEY); else, as for every other
   *  project, a random one is made with the project and kept. */
  secretKey?: string;
  /** What the CLI and scripts present (TRIGGER_ACCESS_TOKEN of the CLI); random per start when not given. */
  accessToken?: string;
  /** The dashboard's login token (the printed link's ?token=); random per start when not given. */
  dashboardToken?: string;
  /** Hosts requests may name besides 127.0.0.1, localhost and [::1] (ALLOWED_HOSTS). */
  allowedHosts?: string[];
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
  /** The largest record of a realtime stream: an uploaded line, an appended part, a sent input
   *  (PLATFORM_STREAM_CHUNK_LIMIT_KB; default 1 MB). A stream upload as a whole is held to bodyLimitBytes. */
  streamChunkLimitBytes?: number;
  /** A run whose task process sends no heartbeat for this long is retried or marked crashed. */
  heartbeatTimeoutMs: number;
  /** Attempts a run gets when neither the trigger nor the task's retry config says (crash recovery). */
  defaultMaxAttempts: number;
  /** Variables handed to every task process (GET …/envvars). */
  taskEnvironment: Record<string, string>;
  /** Where alerts of runs that ended badly are sent (ALERT_WEBHOOK_URL, signed with ALERT_WEBHOOK_SECRET). */
  alertWebhooks?: Array<{ url: string; secret: string }>;
  /** Who is mailed those alerts (ALERT_EMAIL), from whom (ALERT_EMAIL_FROM), through which relay (SMTP_URL). */
  alertEmail?: { to: string[]; from: string; smtpUrl: string };
  /** Finished runs older than `olderThanMs` are deleted with everything hanging off them, a sweep every `everyMs`
   *  (RUN_RETENTION, RUN_RETENTION_INTERVAL; engine/retention.ts). Unset: nothing is ever deleted. */
  retention?: { olderThanMs: number; everyMs: number; tuning?: SweepTuning };
  /** Example payloads per task id, prefilled on the dashboard's Test page (made afresh for each visit). */
  testPayloads?: () => Record<string, unknown>;
};

/** How a retention sweep is paced: runs per transaction, roots read per scan, and the rest between transactions:
 *  at least `pauseMs`, and enough that the sweep works no more than `workShare` of the time. Unset, the engine's
 *  DEFAULT_SWEEP_TUNING; `npm run bench:sweep` sets it to sweep flat out. */
export type SweepTuning = { batchRuns: number; scanRoots: number; pauseMs: number; workShare: number };
