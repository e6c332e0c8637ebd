/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// Bulk actions as they go (live): each one's progress bar and counts, Abort while it is pending, and the runs
// it has done so far (for a replay, the new runs; for a cancel, the runs cancelled), with why any failed.
import type { bulkActionOutcomes } from "./failed-runs";
import { BulkActionProgress, type BulkActionShown } from "./bulk-action-progress";
import { DataTable, StatusBadge } from "./page-shell";
import type { ProjectPaths } from "./project-paths";

/** Runs each action lists on the page (the newest done). */
export const OUTCOMES_SHOWN = 50;

export type BulkActionView = { action: BulkActionShown; outcomes: Awaited<ReturnType<typeof bulkActionOutcomes>> };

export function BulkActionsPage({ views, missing, paths }: { views: BulkActionView[]; missing: string[]; paths: ProjectPaths }) {
  return (
    <>
      <h1>Bulk actions</h1>
      <p class="muted">
        <a href={paths.failed}>← failed runs</a>
      </p>
      {missing.length ? <p class="low">No bulk action {missing.join(", ")} in this project.</p> : null}
      {views.length === 0 && missing.length === 0 ? <p class="muted">No bulk actions yet.</p> : null}
      {views.map(({ action, outcomes }) => (
        <section class="card">
          <BulkActionProgress action={action} abortAction={`${paths.bulkActions}/${encodeURIComponent(action.id)}/abort`} />
          {outcomes.length ? (
            <details>
              <summary>
                {outcomes.length === OUTCOMES_SHOWN
                  ? `The latest ${OUTCOMES_SHOWN} runs done`
                  : outcomes.length === 1
                    ? "The run done"
                    : `The ${outcomes.length} runs done`}
              </summary>
              <DataTable
                headings={["Run", action.type === "REPLAY" ? "Replay" : "Cancelled", "Status", "Error"]}
                rows={outcomes.map((o) => (
                  <tr data-run={o.runId}>
                    <td>
                      <a href={paths.run(o.runId)}>{o.runId}</a>
                    </td>
                    <td>{o.listed ? <a href={paths.run(o.listed.id)}>{o.listed.id}</a> : "—"}</td>
                    <td>{o.listed ? <StatusBadge status={o.listed.status} /> : null}</td>
                    <td class="wrap low">{o.error ?? ""}</td>
                  </tr>
                ))}
              />
            </details>
          ) : null}
        </section>
      ))}
    </>
  );
}
