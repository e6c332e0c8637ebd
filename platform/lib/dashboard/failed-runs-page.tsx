/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The Failed page (the dead-letter view): runs that failed after their last attempt, grouped by task and
// error, filtered by task and when they were triggered (the last DEFAULT_WINDOW_DAYS days unless it names a
// start). A group opens to its runs (error, attempts, payload), which can be picked and replayed, or all
// replayed at once: the whole group, or all that match the filter.
// The page is not live, so a refresh never drops what was ticked; the replays' progress is on its own page.
import type { Child } from "hono/jsx";
import { CsrfField } from "./dashboard-session";
import type { FailedRunGroup, FailedRunsFilter, FailedRunsPage as GroupRuns, PayloadShown } from "./failed-runs";
import { DEFAULT_WINDOW_DAYS, MAX_GROUPS } from "./failed-runs";
import { DataTable, formatTime, StatusBadge, withQuery } from "./page-shell";
import type { ProjectPaths } from "./project-paths";

/** How much of a message a group's row shows, on one line (the opened group shows it whole). */
const MESSAGE_PREVIEW_CHARS = 300;
const SUMMARY_CHARS = 100;

const cut = (text: string, chars: number) => (text.length > chars ? `${text.slice(0, chars)}…` : text);
const oneLine = (text: string) => text.replace(/\s+/g, " ");
const filterQuery = (filter: FailedRunsFilter) => ({ task: filter.task, group: filter.group, from: filter.from, to: filter.to });

export type FailedPageProps = {
  filter: FailedRunsFilter;
  groups: FailedRunGroup[];
  total: number;
  /** The opened group's runs (when the filter names a group). */
  opened: GroupRuns | undefined;
  tasks: string[];
  paths: ProjectPaths;
};

export function FailedRunsPage({ filter, groups, total, opened, tasks, paths }: FailedPageProps) {
  const shownTotal = groups.reduce((sum, g) => sum + g.count, 0);
  return (
    <>
      <h1>Failed runs</h1>
      <p class="muted">
        Runs that ended FAILED, CRASHED, TIMED_OUT or SYSTEM_FAILURE after their last attempt, by task and error. Replays go through the
        bulk-actions API (runs.bulk.replay); see their <a href={paths.bulkActions}>progress</a>.
      </p>
      <form class="filters" method="get" action={paths.failed}>
        <label>
          Task
          <select name="task">
            <option value="">all tasks</option>
            {[...new Set([...tasks, ...(filter.task ? [filter.task] : [])])].map((t) => (
              <option value={t} selected={filter.task === t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Triggered from
          <input type="datetime-local" step="1" name="from" value={filter.from ?? ""} />
        </label>
        <label>
          to
          <input type="datetime-local" step="1" name="to" value={filter.to ?? ""} />
        </label>
        <button type="submit">Filter</button>
        <a href={paths.failed}>clear</a>
      </form>
      {filter.from ? null : (
        <p class="muted" id="failed-window">
          Showing runs triggered in the {DEFAULT_WINDOW_DAYS} days before {filter.to ?? "now"}; set “Triggered from” to look further back.
        </p>
      )}

      <section class="card">
        <h2 id="failed-total">
          {total} failed {total === 1 ? "run" : "runs"} in {groups.length} {groups.length === 1 ? "group" : "groups"}
          {total > shownTotal ? ` (the ${MAX_GROUPS} most recently seen shown)` : ""}
        </h2>
        {total > 0 ? (
          <ReplayAll
            paths={paths}
            filter={{ ...filter, group: undefined }}
            label={`Replay all ${total} matching`}
            confirm={`Replay all ${total} failed runs matching this filter${filter.task ? ` (task ${filter.task})` : " (every task)"}?`}
          />
        ) : null}
        <DataTable
          id="failed-groups"
          headings={["Task", "Error", "Runs", "First seen", "Last seen", ""]}
          empty="No failed runs match."
          rows={groups.flatMap((group) => {
            const isOpen = filter.group === group.key;
            const toggle = withQuery(paths.failed, { ...filterQuery(filter), group: isOpen ? undefined : group.key });
            const row = (
              <tr data-group={group.key} data-task={group.task} class={isOpen ? "open" : ""}>
                <td>{group.task}</td>
                <td class="wrap">
                  {group.errorName ? <span class="low">{group.errorName}: </span> : null}
                  {cut(oneLine(group.message), MESSAGE_PREVIEW_CHARS)}
                </td>
                <td class="count">{group.count}</td>
                <td>{formatTime(group.firstSeen)}</td>
                <td>{formatTime(group.lastSeen)}</td>
                <td>
                  <a href={toggle}>{isOpen ? "hide runs" : "show runs"}</a>
                </td>
              </tr>
            );
            if (!isOpen || !opened) return [row];
            return [
              row,
              <tr class="group-runs">
                <td colspan={6}>
                  <GroupRunsPanel group={group} runs={opened} filter={filter} paths={paths} />
                </td>
              </tr>,
            ];
          })}
        />
      </section>
    </>
  );
}

function GroupRunsPanel({
  group,
  runs,
  filter,
  paths,
}: {
  group: FailedRunGroup;
  runs: GroupRuns;
  filter: FailedRunsFilter;
  paths: ProjectPaths;
}) {
  return (
    <div id="group-runs" data-group={group.key}>
      <pre class="log">
        {group.errorName ? `${group.errorName}: ` : ""}
        {group.message}
      </pre>
      <div class="actions">
        <ReplayAll
          paths={paths}
          filter={filter}
          label={`Replay all ${group.count} in this group`}
          confirm={`Replay all ${group.count} failed runs of ${group.task} with this error?`}
        />
      </div>
      <form method="post" action={`${paths.failed}/replay`} id="replay-selected">
        <CsrfField />
        <input type="hidden" name="scope" value="selected" />
        <HiddenFilter filter={filter} />
        <DataTable
          id="group-runs-table"
          headings={["", "Run", "Status", "Attempts", "Triggered", "Failed", "Error", "Payload"]}
          rows={runs.runs.map((run) => (
            <tr data-run={run.id}>
              <td>
                <input type="checkbox" name="run" value={run.id} aria-label={`Select ${run.id}`} />
              </td>
              <td>
                <a href={paths.run(run.id)}>{run.id}</a>
              </td>
              <td>
                <StatusBadge status={run.status} />
              </td>
              <td class="attempts">{run.attempts}</td>
              <td>{formatTime(run.createdAt)}</td>
              <td>{formatTime(run.failedAt)}</td>
              <td class="wrap">
                <Expandable summary={cut(`${run.error.name ? `${run.error.name}: ` : ""}${run.error.message}`, SUMMARY_CHARS)}>
                  {run.error.stackTrace ? <pre class="log">{run.error.stackTrace}</pre> : <p class="muted">no stack trace</p>}
                </Expandable>
              </td>
              <td class="wrap payload">
                <Payload payload={run.payload} />
              </td>
            </tr>
          ))}
        />
        <div class="actions">
          <button type="submit">Replay selected</button>
          <span class="muted">each as a new run with the same payload</span>
        </div>
      </form>
      <div class="pager">
        {runs.pagination.previous ? (
          <a href={withQuery(paths.failed, { ...filterQuery(filter), before: runs.pagination.previous })}>← newer</a>
        ) : null}
        {runs.pagination.next ? (
          <a href={withQuery(paths.failed, { ...filterQuery(filter), after: runs.pagination.next })}>older →</a>
        ) : null}
      </div>
    </div>
  );
}

function Payload({ payload }: { payload: PayloadShown }) {
  if (payload.kind === "none") return <span class="muted">none</span>;
  if (payload.kind === "stored")
    return (
      <span class="muted">
        Offloaded by the SDK: <a href={payload.url}>open the stored packet</a>
      </span>
    );
  return (
    <Expandable summary={cut(oneLine(payload.text), SUMMARY_CHARS)}>
      <pre class="json">
        {payload.text}
        {payload.cut ? "\n… (cut short: the run's page has it whole)" : ""}
      </pre>
    </Expandable>
  );
}

function Expandable({ summary, children }: { summary: string; children: Child }) {
  return (
    <details>
      <summary>
        <code>{summary}</code>
      </summary>
      {children}
    </details>
  );
}

function HiddenFilter({ filter }: { filter: FailedRunsFilter }) {
  return (
    <>{Object.entries(filterQuery(filter)).map(([name, value]) => (value ? <input type="hidden" name={name} value={value} /> : null))}</>
  );
}

/** Replays every run the filter selects (its group included, when it names one). */
function ReplayAll({ paths, filter, label, confirm }: { paths: ProjectPaths; filter: FailedRunsFilter; label: string; confirm: string }) {
  return (
    <form method="post" action={`${paths.failed}/replay`} class="inline replay-all" data-confirm={confirm}>
      <CsrfField />
      <input type="hidden" name="scope" value="all" />
      <HiddenFilter filter={filter} />
      <button type="submit">{label}</button>
    </form>
  );
}
