/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The runs list: newest first, live, filtered by task, status, tag and time, in keyset pages (fast at any
// depth: each page is one index range scan, never a count or an offset).
import { API_STATUSES } from "../engine/run-statuses";
import type { listRuns } from "../run-view";
import { DataTable, formatDuration, formatTime, StatusBadge, withQuery } from "./page-shell";
import type { ProjectPaths } from "./project-paths";

export type RunsFilter = { task?: string; status?: string; tag?: string; from?: string; to?: string };

export { API_STATUSES };

function FilterChoice({
  label,
  name,
  anyLabel,
  choices,
  chosen,
}: {
  label: string;
  name: string;
  anyLabel: string;
  choices: string[];
  chosen: string | undefined;
}) {
  return (
    <label>
      {label}
      <select name={name}>
        <option value="">{anyLabel}</option>
        {choices.map((c) => (
          <option value={c} selected={chosen === c}>
            {c}
          </option>
        ))}
      </select>
    </label>
  );
}

export function RunsPage({
  page,
  filter,
  tasks,
  paths,
}: {
  page: Awaited<ReturnType<typeof listRuns>>;
  filter: RunsFilter;
  tasks: string[];
  paths: ProjectPaths;
}) {
  return (
    <>
      <h1>Runs</h1>
      <form class="filters" method="get" action={paths.runs}>
        <FilterChoice label="Task" name="task" anyLabel="all tasks" choices={tasks} chosen={filter.task} />
        <FilterChoice label="Status" name="status" anyLabel="any status" choices={[...API_STATUSES]} chosen={filter.status} />
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
        <a href={paths.runs}>clear</a>
      </form>
      <DataTable
        id="runs-table"
        headings={["Run", "Task", "Status", "Tags", "Created", "Started", "Duration", "Idempotency key"]}
        empty="No runs match."
        rows={page.data.map((run) => (
          <tr data-run={run.id}>
            <td>
              <a href={paths.run(run.id)}>{run.id}</a>
              {run.isTest ? <span class="tag">test</span> : null}
            </td>
            <td>{run.taskIdentifier}</td>
            <td>
              <StatusBadge status={run.status} />
            </td>
            <td class="wrap">
              {run.tags.map((t) => (
                <a class="tag" href={withQuery(paths.runs, { tag: t })}>
                  {t}
                </a>
              ))}
            </td>
            <td>{formatTime(run.createdAt)}</td>
            <td>{formatTime(run.startedAt)}</td>
            <td>{run.startedAt ? formatDuration(run.durationMs) : "—"}</td>
            <td class="wrap muted">{run.idempotencyKey ? `${run.idempotencyKey.slice(0, 16)}…` : ""}</td>
          </tr>
        ))}
      />
      <div class="pager">
        {page.pagination.previous ? <a href={withQuery(paths.runs, { ...filter, before: page.pagination.previous })}>← newer</a> : null}
        {page.pagination.next ? <a href={withQuery(paths.runs, { ...filter, after: page.pagination.next })}>older →</a> : null}
      </div>
    </>
  );
}
