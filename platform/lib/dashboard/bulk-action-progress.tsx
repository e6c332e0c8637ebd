/** @jsxRuntime automatic */
/** @jsxImportSource hono/jsx */
// A bulk action's progress (runs.bulk.retrieve's BulkActionObject): a bar, its counts, and Abort while it is
// pending. On a live page the bar moves as the action's chunks commit. Projects' pages use it too.
import type { BulkActionObject } from "@trigger.dev/core/v3/schemas";
import { ActionButton } from "./page-shell";

export type BulkActionShown = Pick<BulkActionObject, "id" | "name" | "type" | "status" | "counts">;

const STATUS_CLASS: Record<BulkActionShown["status"], string> = { PENDING: "busy", COMPLETED: "ok", ABORTED: "muted" };

/** `abortAction`: where the Abort form posts (none: no Abort button). */
export function BulkActionProgress({ action, abortAction }: { action: BulkActionShown; abortAction?: string | undefined }) {
  const { total, success, failure } = action.counts;
  const done = success + failure;
  const verb = action.type === "REPLAY" ? "replayed" : "cancelled";
  return (
    <div class="bulk-action" data-bulk-action={action.id} data-status={action.status}>
      <p>
        <strong>{action.name ?? `${action.type === "REPLAY" ? "Replay" : "Cancel"} ${action.id}`}</strong>{" "}
        <span class="muted">{action.id}</span> <span class={`badge ${STATUS_CLASS[action.status]}`}>{action.status}</span>
      </p>
      <progress
        max={Math.max(total, 1)}
        value={total === 0 && action.status === "COMPLETED" ? 1 : done}
        aria-label={`${done} of ${total} runs done`}
        style="width:100%;height:1rem"
      >
        {done} of {total}
      </progress>
      <p class="progress-counts">
        {done} of {total} done: {success} {verb}, {failure} failed
      </p>
      {action.status === "PENDING" && abortAction ? (
        <ActionButton action={abortAction} label="Abort" confirm="Stop this bulk action? The runs it has done stay done." danger />
      ) : null}
    </div>
  );
}
