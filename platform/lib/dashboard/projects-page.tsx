/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// Every project the platform knows (made by the first CLI or API call that named it): its environments with
// links into each, how many runs it holds and when the last one came, and whether a CLI has registered a
// worker, i.e. whether its tasks can run.
import { count, desc, max } from "drizzle-orm";
import type { Database } from "../db/client";
import { runs, workers } from "../db/schema";
import { listProjectEnvironments } from "../environments";
import { DataTable, formatTime } from "./page-shell";
import { pathsOfProject } from "./project-paths";
import { cliCommand } from "../cli/cli-command";

export type EnvironmentOverview = {
  slug: string;
  runCount: number;
  lastRunAt: Date | null;
  worker: { version: string; registeredAt: Date } | undefined;
};
export type ProjectOverview = { ref: string; name: string; environments: EnvironmentOverview[] };

export async function loadProjectsOverview(db: Database): Promise<ProjectOverview[]> {
  const [envs, runStats, latestWorkers] = await Promise.all([
    listProjectEnvironments(db),
    // One pass over the (environment, created_at) index: a count per environment, not per project page.
    db
      .select({ environmentId: runs.environmentId, runCount: count(), lastRunAt: max(runs.createdAt) })
      .from(runs)
      .groupBy(runs.environmentId),
    db
      .selectDistinctOn([workers.environmentId], {
        environmentId: workers.environmentId,
        version: workers.version,
        registeredAt: workers.createdAt,
      })
      .from(workers)
      .orderBy(workers.environmentId, desc(workers.createdAt)),
  ]);
  const projects = new Map<string, ProjectOverview>();
  for (const env of envs) {
    const project = projects.get(env.projectRef) ?? { ref: env.projectRef, name: env.projectName, environments: [] };
    projects.set(env.projectRef, project);
    const stats = runStats.find((s) => s.environmentId === env.id);
    const worker = latestWorkers.find((w) => w.environmentId === env.id);
    project.environments.push({
      slug: env.slug,
      runCount: stats?.runCount ?? 0,
      lastRunAt: stats?.lastRunAt ?? null,
      worker: worker ? { version: worker.version, registeredAt: worker.registeredAt } : undefined,
    });
  }
  return [...projects.values()];
}

export function ProjectsPage({
  projects,
  defaultRef,
  origin,
  accessToken,
}: {
  projects: ProjectOverview[];
  defaultRef: string;
  origin: string;
  accessToken: string;
}) {
  // One row per environment, the project's cells spanning them: each environment has its own runs and worker.
  const rows = projects.flatMap((project) => {
    const paths = pathsOfProject(project.ref);
    return project.environments.map((env, i) => (
      <tr data-project={project.ref} data-environment={env.slug}>
        {i === 0 ? (
          <td rowspan={project.environments.length}>
            <a href={paths.runs}>
              <strong>{project.name}</strong>
            </a>{" "}
            {project.ref === defaultRef ? <span class="tag">default</span> : null}
            {project.name === project.ref ? null : (
              <>
                <br />
                <span class="muted">{project.ref}</span>
              </>
            )}
          </td>
        ) : null}
        <td>
          <strong>{env.slug}</strong>{" "}
          <span class="muted">
            <a href={`${paths.runs}?envSlug=${encodeURIComponent(env.slug)}`}>runs</a> ·{" "}
            <a href={`${paths.test}?environment=${encodeURIComponent(env.slug)}`}>test</a> · <a href={paths.schedules}>schedules</a> ·{" "}
            <a href={paths.apiKeys}>API keys</a>
          </span>
        </td>
        <td class="run-count">{env.runCount}</td>
        <td>{formatTime(env.lastRunAt)}</td>
        <td class="cli-worker">
          {env.worker ? `yes: ${env.worker.version} (${formatTime(env.worker.registeredAt)})` : <span class="muted">none yet</span>}
        </td>
      </tr>
    ));
  });
  return (
    <>
      <h1>Projects</h1>
      <DataTable
        id="projects-table"
        headings={["Project", "Environment", "Runs", "Last run", "CLI worker"]}
        rows={rows}
        empty="No projects yet."
      />
      <section class="card">
        <h2>Add a project</h2>
        <p>
          Any Trigger.dev v4 project works: run its CLI against this platform from the project's folder, and the project ref in its{" "}
          <code>trigger.config.ts</code> appears here.
        </p>
        <pre class="env">{cliCommand(origin, accessToken)}</pre>
      </section>
    </>
  );
}
