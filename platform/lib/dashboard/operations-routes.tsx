/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The Metrics and Queues pages, as routes of a project's pages. Metrics reads the tables (run-metrics.ts);
// Pause and Resume go through the platform's queues API in-process (callApi), so they meet the same rules and
// errors as queues.pause and queues.resume.
import type { Hono } from "hono";
import { z } from "zod";
import type { PlatformEnv } from "../api/http-context";
import { describeIssues } from "../platform-error";
import type { ProjectPageTools } from "./dashboard-routes";
import { MetricsPage } from "./metrics-page";
import { loadQueuesListing, QueuesPage } from "./queues-page";
import { withQuery } from "./page-shell";
import { loadEnvironmentMetrics } from "./run-metrics";

/** The queue a Pause or Resume names: by its id (queueId in engine/queues.ts), as the page's forms send it. */
const QueuePath = z.object({
  queue: z
    .string()
    .max(100)
    .regex(/^queue_[a-z0-9]+$/, "must be a queue id like queue_abc123"),
});

export function operationsRoutes(app: Hono<PlatformEnv>, { render, shown, callApi, act }: ProjectPageTools): void {
  app.get("/run-metrics", async (c) => {
    const project = shown(c);
    const metrics = await loadEnvironmentMetrics(c.var.platform.db, c.var.env.id);
    return render(c, {
      title: "Metrics",
      current: project.paths.metrics,
      project,
      body: <MetricsPage metrics={metrics} environment={c.var.env.slug} paths={project.paths} />,
    });
  });

  app.get("/queues", async (c) => {
    const project = shown(c);
    const listing = await loadQueuesListing(c.var.platform, c.var.env, c.req.query("page"));
    return render(c, {
      title: "Queues",
      current: project.paths.queues,
      project,
      live: true,
      body: <QueuesPage listing={listing} paths={project.paths} />,
    });
  });
  for (const action of ["pause", "resume"] as const) {
    app.post(`/queues/:queue/${action}`, async (c) => {
      const back = shown(c).paths.queues;
      const parsed = QueuePath.safeParse(c.req.param());
      if (!parsed.success) return c.redirect(withQuery(back, { flash: describeIssues(parsed.error, "queue"), kind: "error" }), 303);
      return act(c, back, async () => {
        const queue = await callApi(c, "POST", `/api/v1/queues/${encodeURIComponent(parsed.data.queue)}/pause`, { type: "id", action });
        return `Queue ${String(queue.name)} ${action === "pause" ? "paused" : "resumed"}`;
      });
    });
  }
}
