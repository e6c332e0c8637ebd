// The runs list: newest first, live, filtered by task, status, tag and time, in keyset pages (fast at any
// depth: each page is one index range scan, never a count or an offset).
import type { ApiStatus, listRuns } from "../run-view";
import { ENGINE_STATUSES } from "../run-view";
import { formatDuration, formatTime, StatusBadge, withQuery } from "./page-shell";

export type RunsFilter = { task?: string; status?: string; tag?: string; from?: string; to?: string };

export const API_STATUSES = Object.keys(ENGINE_STATUSES) as ApiStatus[];

export function RunsPage({ page, filter, tasks }: { page: Awaited<ReturnType<typeof listRuns>>; filter: RunsFilter; tasks: string[] }) {
  return (
    <>
      <h1>Runs</h1>
      <form class="filters" method="get" action="/runs">
        <label>
          Task
          <select name="task">
            <option value="">all tasks</option>
            {tasks.map((t) => (
              <option value={t} selected={filter.task === t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select name="status">
            <option value="">any status</option>
            {API_STATUSES.map((s) => (
              <option value={s} selected={filter.status === s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Tag
          <input name="tag" value={filter.tag ?? ""} placeholder="order:ord-123" />
        </label>
        <label>
          From
          <input type="datetime-local" name="from" value={filter.from ?? ""} />
        </label>
        <label>
          To
          <input type="datetime-local" name="to" value={filter.to ?? ""} />
        </label>
        <button type="submit">Filter</button>
        <a href="/runs">clear</a>
      </form>
      <div class="scroll">
        <table id="runs-table">
          <thead>
            <tr>
              <th>Run</th>
              <th>Task</th>
              <th>Status</th>
              <th>Tags</th>
              <th>Created</th>
              <th>Started</th>
              <th>Duration</th>
              <th>Idempotency key</th>
            </tr>
          </thead>
          <tbody>
            {page.data.length === 0 ? (
              <tr>
                <td colspan={8} class="muted">
                  No runs match.
                </td>
              </tr>
            ) : (
              page.data.map((run) => (
                <tr data-run={run.id}>
                  <td>
                    <a href={`/runs/${run.id}`}>{run.id}</a>
                    {run.isTest ? <span class="tag">test</span> : null}
                  </td>
                  <td>{run.taskIdentifier}</td>
                  <td>
                    <StatusBadge status={run.status} />
                  </td>
                  <td class="wrap">
                    {run.tags.map((t) => (
                      <a class="tag" href={withQuery("/runs", { tag: t })}>
                        {t}
                      </a>
                    ))}
                  </td>
                  <td>{formatTime(run.createdAt)}</td>
                  <td>{formatTime(run.startedAt)}</td>
                  <td>{run.startedAt ? formatDuration(run.durationMs) : "—"}</td>
                  <td class="wrap muted">{run.idempotencyKey ? `${run.idempotencyKey.slice(0, 16)}…` : ""}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      <div class="pager">
        {page.pagination.previous ? <a href={withQuery("/runs", { ...filter, before: page.pagination.previous })}>← newer</a> : null}
        {page.pagination.next ? <a href={withQuery("/runs", { ...filter, after: page.pagination.next })}>older →</a> : null}
      </div>
    </>
  );
}
