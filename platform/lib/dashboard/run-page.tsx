/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// One run: what it is and did (status, timeline, attempts, spans with their log lines), what it carried
// (payload, output, error, metadata, tags), where it sits (parent, children), what it waits for, and the
// actions Trigger.dev's run page offers: cancel, replay with an edited payload, reschedule, reset its
// idempotency key, complete a token it waits for.
import { isFinal } from "../engine/run-statuses";
import type { RunDetails, TreeNode } from "./run-details";
import { ActionButton, DataTable, formatDuration, formatTime, JsonBlock, StatusBadge, withQuery } from "./page-shell";
import type { ProjectPaths } from "./project-paths";
import { CsrfField } from "./dashboard-session";

export function RunPage({ details, paths }: { details: RunDetails; paths: ProjectPaths }) {
  const { run, view } = details;
  const base = paths.run(run.friendlyId);
  return (
    <>
      <h1>
        {run.taskIdentifier} <span class="muted">{run.friendlyId}</span> <StatusBadge status={view.status} />
      </h1>
      <div class="actions">
        {!isFinal(run.status) ? (
          <ActionButton action={`${base}/cancel`} label="Cancel run" confirm="Cancel this run (and its children)?" danger />
        ) : null}
        <details>
          <summary>Replay…</summary>
          <form method="post" action={`${base}/replay`} class="stack card">
            <CsrfField />
            <label>
              Payload (JSON)
              <textarea name="payload">{JSON.stringify(view.payload ?? null, null, 2)}</textarea>
            </label>
            <button type="submit">Replay with this payload</button>
          </form>
        </details>
        {view.status === "DELAYED" ? (
          <form method="post" action={`${base}/reschedule`} class="inline">
            <CsrfField />
            <input name="delay" placeholder="30s, 10m, 2h or a date" aria-label="New delay" required />
            <button type="submit">Reschedule</button>
          </form>
        ) : null}
      </div>

      <div class="grid">
        <section class="card">
          <h2>Details</h2>
          <dl class="facts">
            <dt>Task</dt>
            <dd>{run.taskIdentifier}</dd>
            <dt>Version</dt>
            <dd>{view.version ?? "—"}</dd>
            <dt>Queue</dt>
            <dd>
              {run.queue}
              {run.concurrencyKey ? ` (key ${run.concurrencyKey})` : ""}
            </dd>
            <dt>Created</dt>
            <dd>{formatTime(run.createdAt)}</dd>
            <dt>Started</dt>
            <dd>{formatTime(run.startedAt)}</dd>
            <dt>Finished</dt>
            <dd>{formatTime(run.completedAt)}</dd>
            <dt>Duration</dt>
            <dd>{run.startedAt ? formatDuration(view.durationMs) : "—"}</dd>
            {run.delayUntil ? (
              <>
                <dt>Delayed until</dt>
                <dd>{formatTime(run.delayUntil)}</dd>
              </>
            ) : null}
            {run.ttl ? (
              <>
                <dt>TTL</dt>
                <dd>{run.ttl}</dd>
              </>
            ) : null}
            <dt>Attempts</dt>
            <dd>{view.attemptCount}</dd>
            <dt>Tags</dt>
            <dd>
              {run.tags.length === 0 ? <span class="muted">none</span> : null}
              {run.tags.map((t) => (
                <a class="tag" href={withQuery(paths.runs, { tag: t })}>
                  {t}
                </a>
              ))}
            </dd>
            {run.replayedFromId ? (
              <>
                <dt>Replay of</dt>
                <dd>
                  <a href={paths.run(`run_${run.replayedFromId}`)}>run_{run.replayedFromId}</a>
                </dd>
              </>
            ) : null}
          </dl>
        </section>
        <section class="card" id="idempotency">
          <h2>Idempotency key</h2>
          {run.idempotencyKey || run.idempotencyKeyOptions ? (
            <>
              <dl class="facts">
                <dt>Key</dt>
                <dd>{run.idempotencyKeyOptions?.key ?? run.idempotencyKey}</dd>
                <dt>Scope</dt>
                <dd>{run.idempotencyKeyOptions?.scope ?? "—"}</dd>
                <dt>Expires</dt>
                <dd>{run.idempotencyKey ? formatTime(run.idempotencyKeyExpiresAt) : "released (the key is free again)"}</dd>
              </dl>
              {run.idempotencyKey ? (
                <div class="actions">
                  <ActionButton
                    action={`${base}/reset-idempotency-key`}
                    label="Reset key"
                    confirm="Free this idempotency key, so the next trigger with it starts a new run?"
                  />
                </div>
              ) : null}
            </>
          ) : (
            <p class="muted">This run was triggered without one.</p>
          )}
        </section>
        <section class="card">
          <h2>Runs in this tree</h2>
          {details.tree ? <RunTree node={details.tree} current={run.friendlyId} paths={paths} /> : <p class="muted">none</p>}
        </section>
      </div>

      <section class="card">
        <h2>Metadata</h2>
        <JsonBlock value={details.metadata} />
      </section>
      <div class="grid">
        <section class="card">
          <h2>Payload</h2>
          {view.payloadPresignedUrl ? <StoredPacket url={view.payloadPresignedUrl} /> : <JsonBlock value={view.payload} />}
        </section>
        <section class="card">
          <h2>{view.error ? "Error" : "Output"}</h2>
          {view.error ? (
            <>
              <p class="low">
                {view.error.name ? `${view.error.name}: ` : ""}
                {view.error.message}
              </p>
              {view.error.stackTrace ? <pre class="log">{view.error.stackTrace}</pre> : null}
            </>
          ) : view.outputPresignedUrl ? (
            <StoredPacket url={view.outputPresignedUrl} />
          ) : (
            <JsonBlock value={view.output} />
          )}
        </section>
      </div>

      <Waitpoints details={details} base={base} paths={paths} />

      <section class="card">
        <h2>Trace</h2>
        <Trace details={details} />
      </section>

      <div class="grid">
        <section class="card">
          <h2>Timeline</h2>
          <ol class="timeline">
            {details.timeline.map((s) => (
              <li>
                <span class="muted">{formatTime(s.createdAt)}</span> <strong>{s.executionStatus}</strong> — {s.description}
              </li>
            ))}
          </ol>
        </section>
        <section class="card">
          <h2>Attempts</h2>
          {details.attempts.length === 0 ? <p class="muted">Not started yet.</p> : null}
          <ol>
            {details.attempts.map((a) => (
              <li>
                #{a.number} {a.status} — started {formatTime(a.startedAt)}
                {a.completedAt ? `, ended after ${formatDuration(a.completedAt.getTime() - a.startedAt.getTime())}` : ""}
                {a.error ? <JsonBlock value={a.error} /> : null}
              </li>
            ))}
          </ol>
        </section>
      </div>
    </>
  );
}

function RunTree({ node, current, paths }: { node: TreeNode; current: string; paths: ProjectPaths }) {
  return (
    <ul class="tree">
      <li>
        {node.friendlyId === current ? (
          <strong>{node.taskIdentifier}</strong>
        ) : (
          <a href={paths.run(node.friendlyId)}>{node.taskIdentifier}</a>
        )}{" "}
        <span class="muted">{node.friendlyId}</span> <StatusBadge status={node.apiStatus} />
        {node.children.map((child) => (
          <RunTree node={child} current={current} paths={paths} />
        ))}
      </li>
    </ul>
  );
}

function Waitpoints({ details, base, paths }: { details: RunDetails; base: string; paths: ProjectPaths }) {
  if (details.waitpoints.length === 0) return null;
  return (
    <section class="card" id="waitpoints">
      <h2>Waitpoints</h2>
      <DataTable
        headings={["Waitpoint", "Kind", "Waits for", "Status", "Until / completed", ""]}
        rows={details.waitpoints.map(({ waitpoint }) => (
          <tr>
            <td>{waitpoint.friendlyId}</td>
            <td>{waitpoint.type}</td>
            <td>
              {waitpoint.completedByRunId ? (
                <a href={paths.run(`run_${waitpoint.completedByRunId}`)}>run_{waitpoint.completedByRunId}</a>
              ) : waitpoint.completedByBatchId ? (
                `batch_${waitpoint.completedByBatchId}`
              ) : waitpoint.type === "MANUAL" ? (
                "a token to be completed"
              ) : (
                "a moment"
              )}
            </td>
            <td>
              <StatusBadge status={waitpoint.status === "COMPLETED" ? "COMPLETED" : "WAITING"} />
            </td>
            <td>
              {waitpoint.status === "COMPLETED"
                ? formatTime(waitpoint.completedAt)
                : waitpoint.completeAfter
                  ? `until ${formatTime(waitpoint.completeAfter)}`
                  : "—"}
            </td>
            <td class="wrap">
              {waitpoint.type === "MANUAL" && waitpoint.status === "PENDING" ? (
                <form method="post" action={`${base}/complete-token/${waitpoint.friendlyId}`} class="inline">
                  <CsrfField />
                  <input name="output" value="{}" aria-label="Token output (JSON)" />
                  <button type="submit">Complete token</button>
                </form>
              ) : null}
            </td>
          </tr>
        ))}
      />
    </section>
  );
}

/** Spans as a waterfall from the run's first span, each followed by the log lines inside it. */
function Trace({ details }: { details: RunDetails }) {
  const { spans, logs } = details;
  if (spans.length === 0 && logs.length === 0) return <p class="muted">No spans or logs yet.</p>;
  const start = Math.min(...[...spans, ...logs].map((e) => e.startTime.getTime()));
  const end = Math.max(
    ...spans.map((s) => s.startTime.getTime() + (s.durationMs ?? 0)),
    ...logs.map((l) => l.startTime.getTime()),
    start + 1,
  );
  const width = (ms: number) => `${Math.max(0.5, (ms / (end - start)) * 100).toFixed(2)}%`;
  const rows = [...spans.map((e) => ({ ...e, order: 0 })), ...logs.map((e) => ({ ...e, order: 1 }))].sort(
    (a, b) => a.startTime.getTime() - b.startTime.getTime() || a.order - b.order,
  );
  return (
    <DataTable
      id="trace"
      headings={["Time", "Kind", "Name / message", "Duration", "Timeline"]}
      rows={rows.map((e) => (
        <tr class={e.kind === "span" ? "span-row" : "log-row"}>
          <td class="muted">+{formatDuration(e.startTime.getTime() - start)}</td>
          <td>{e.kind === "span" ? "span" : <span class={e.level === "ERROR" || e.isError ? "low" : ""}>{e.level ?? "log"}</span>}</td>
          <td class="wrap">
            {e.name}
            {Object.keys(e.attributes).length > 0 ? (
              <details>
                <summary class="muted">attributes</summary>
                <JsonBlock value={e.attributes} />
              </details>
            ) : null}
          </td>
          <td>{e.kind === "span" ? formatDuration(e.durationMs) : ""}</td>
          <td>
            <div
              class="bar"
              style={`margin-left:${width(e.startTime.getTime() - start)};width:${e.kind === "span" ? width(e.durationMs ?? 0) : "2px"}`}
            ></div>
          </td>
        </tr>
      ))}
    />
  );
}

/** A payload or output too large to travel inline, kept as a packet: a link to it (the URL is signed, for an hour). */
function StoredPacket({ url }: { url: string }) {
  return (
    <p class="muted">
      Too large to show inline (offloaded by the SDK). <a href={url}>Open the stored packet</a>
    </p>
  );
}
