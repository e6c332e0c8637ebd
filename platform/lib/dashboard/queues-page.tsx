/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// The Queues page, as Trigger.dev's dashboard has it: each queue of the environment with its runs queued and
// running, its concurrency limit (an override shown beside the code's), whether it is paused, and Pause /
// Resume, which go through the queues API (queues.pause / queues.resume) like every dashboard action.
import type { QueueItem } from "@trigger.dev/core/v3/schemas";
import { z } from "zod";
import { queueView } from "../api/queues-api";
import type { ProjectEnvironment } from "../environments";
import type { PlatformContext } from "../platform-context";
import { ActionButton, DataTable, withQuery } from "./page-shell";
import type { ProjectPaths } from "./project-paths";

/** Queues a page lists (the API's own maximum page size). */
const QUEUES_PER_PAGE = 100;
/** ?page=: a page number from 1; anything else shows the first. */
const PageQuery = z.coerce.number().int().min(1).catch(1);

export type QueuesListing = {
  queues: QueueItem[];
  page: number;
  totalPages: number;
  /** The environment's own limit, above every queue's. */
  environmentLimit: number;
};

/** A page of the environment's queues, in the API's shape (the same names, limits and counts as queues.list). */
export async function loadQueuesListing(platform: PlatformContext, env: ProjectEnvironment, pageAsked: unknown): Promise<QueuesListing> {
  const page = PageQuery.parse(pageAsked);
  const { queues, count } = await platform.engine.listQueues(env, { page, perPage: QUEUES_PER_PAGE });
  return {
    queues: queues.map(queueView),
    page,
    totalPages: Math.max(1, Math.ceil(count / QUEUES_PER_PAGE)),
    environmentLimit: platform.options.dequeue.maxConcurrentRuns,
  };
}

function Limit({ queue }: { queue: QueueItem }) {
  if (queue.concurrency?.override != null)
    return (
      <>
        {queue.concurrencyLimit} <span class="muted">(override; code: {queue.concurrency.base ?? "none"})</span>
      </>
    );
  return <>{queue.concurrencyLimit ?? <span class="muted">none</span>}</>;
}

export function QueuesPage({ listing, paths }: { listing: QueuesListing; paths: ProjectPaths }) {
  const { queues, page, totalPages, environmentLimit } = listing;
  return (
    <>
      <h1>Queues</h1>
      <p class="muted">
        A paused queue keeps its runs queued and hands none out until resumed; runs already started go on. The environment runs at most{" "}
        <span id="environment-limit">{environmentLimit}</span> at once, whatever its queues' limits.
      </p>
      <DataTable
        id="queues-table"
        headings={["Queue", "Type", "Queued", "Running", "Limit", "State", ""]}
        empty="No queues yet: a worker's tasks, or a run triggered into one, make them."
        rows={queues.map((queue) => (
          <tr data-queue={queue.name}>
            <td class="wrap">{queue.name}</td>
            <td class="muted">{queue.type}</td>
            <td data-metric="queued">{queue.queued}</td>
            <td data-metric="running">{queue.running}</td>
            <td data-metric="limit">
              <Limit queue={queue} />
            </td>
            <td data-metric="state">{queue.paused ? <span class="badge wait">paused</span> : <span class="badge ok">active</span>}</td>
            <td>
              {queue.paused ? (
                <ActionButton action={`${paths.queue(queue.id)}/resume`} label="Resume" />
              ) : (
                <ActionButton
                  action={`${paths.queue(queue.id)}/pause`}
                  label="Pause"
                  danger
                  confirm={`Pause queue ${queue.name}? Its queued runs wait until it is resumed.`}
                />
              )}
            </td>
          </tr>
        ))}
      />
      <div class="pager">
        {page > 1 ? <a href={withQuery(paths.queues, { page: String(page - 1) })}>← previous</a> : null}
        {page < totalPages ? <a href={withQuery(paths.queues, { page: String(page + 1) })}>next →</a> : null}
      </div>
    </>
  );
}
