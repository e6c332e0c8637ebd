// Where a project's pages are. Trigger.dev's own URL shapes, /projects/v3/<ref>/…, are the ones the CLI
// prints ("View runs", "Test tasks", a triggered run's link), so they answer for any project; the default
// project's pages also answer on the short paths (/runs, /test, …) the dashboard had before it knew others.

export type ProjectPaths = {
  /** "" for the default project's short paths, else /projects/v3/<ref>. */
  base: string;
  runs: string;
  run: (runId: string) => string;
  test: string;
  schedules: string;
  schedule: (scheduleId: string) => string;
  apiKeys: string;
  /** The dead-letter view: runs that failed after their last attempt. */
  failed: string;
  /** Bulk actions' progress (`?id=` each one to show; none: the latest). */
  bulkActions: string;
  /** Not "metrics": on the short paths that would be the platform's Prometheus endpoint (GET /metrics). */
  metrics: string;
  queues: string;
  queue: (queueId: string) => string;
};

/** The parts of a project a page belongs to; switching project keeps you on the same one. */
export const PROJECT_SECTIONS = ["runs", "failed", "test", "schedules", "apikeys", "run-metrics", "queues"] as const;
export type ProjectSection = (typeof PROJECT_SECTIONS)[number];

export const projectUrl = (ref: string) => `/projects/v3/${encodeURIComponent(ref)}`;

export function projectPaths(base: string): ProjectPaths {
  return {
    base,
    runs: `${base}/runs`,
    run: (runId) => `${base}/runs/${encodeURIComponent(runId)}`,
    test: `${base}/test`,
    schedules: `${base}/schedules`,
    schedule: (scheduleId) => `${base}/schedules/${encodeURIComponent(scheduleId)}`,
    apiKeys: `${base}/apikeys`,
    failed: `${base}/failed`,
    bulkActions: `${base}/bulk-actions`,
    metrics: `${base}/run-metrics`,
    queues: `${base}/queues`,
    queue: (queueId) => `${base}/queues/${encodeURIComponent(queueId)}`,
  };
}

export const SHORT_PATHS = projectPaths("");

export const pathsOfProject = (ref: string) => projectPaths(projectUrl(ref));

/** Which section a page of these paths is (a run's page is in "runs"). */
export function sectionOf(paths: ProjectPaths, current: string): ProjectSection {
  return PROJECT_SECTIONS.find((section) => current === `${paths.base}/${section}`) ?? "runs";
}
