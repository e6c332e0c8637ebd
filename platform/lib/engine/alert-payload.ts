// What an alert of a run that ended badly says: Trigger.dev's "alert.run.failed" webhook object (checked
// against the SDK's own schema), which every channel renders in its own way.
import { Webhook } from "@trigger.dev/core/v3/schemas";
import { eq } from "drizzle-orm";
import type { z } from "zod";
import { alertDeliveries, runs } from "../db/schema";
import { environmentById } from "../environments";
import type { EngineContext } from "./engine-context";
import { apiStatus } from "./run-statuses";
import { workerById } from "./workers";

const WEBHOOK_VERSION = "2025-05-01";

export type RunFailedWebhook = Extract<z.output<typeof Webhook>, { type: "alert.run.failed" }>;
/** The alert of one run for one delivery: the webhook object, and the attempts the run made. */
export type RunAlert = { webhook: RunFailedWebhook; attempts: number };

export async function runAlert(ctx: EngineContext, delivery: typeof alertDeliveries.$inferSelect): Promise<RunAlert> {
  const [run] = await ctx.db.select().from(runs).where(eq(runs.id, delivery.runId));
  if (!run) throw new Error(`run ${delivery.runId} no longer exists`);
  const env = await environmentById(ctx.db, run.environmentId);
  const worker = run.workerId ? await workerById(ctx, run.workerId) : undefined;
  const task = worker?.tasks.get(run.taskIdentifier);
  const metadata = (worker?.metadata ?? {}) as { packageVersion?: string; cliPackageVersion?: string };
  const ref = env?.projectRef ?? "unknown";
  const payload = {
    id: delivery.id,
    created: delivery.createdAt,
    webhookVersion: WEBHOOK_VERSION,
    type: "alert.run.failed" as const,
    object: {
      task: {
        id: run.taskIdentifier,
        filePath: task?.filePath ?? "unknown",
        ...(task?.exportName ? { exportName: task.exportName } : {}),
        version: worker?.version ?? "unknown",
        sdkVersion: metadata.packageVersion ?? "unknown",
        cliVersion: metadata.cliPackageVersion ?? "unknown",
      },
      run: {
        id: run.friendlyId,
        number: 0,
        status: apiStatus(run),
        createdAt: run.createdAt,
        ...(run.startedAt ? { startedAt: run.startedAt } : {}),
        ...(run.completedAt ? { completedAt: run.completedAt } : {}),
        isTest: run.isTest,
        ...(run.idempotencyKey ? { idempotencyKey: run.idempotencyKey } : {}),
        tags: run.tags,
        error: run.error ?? { type: "STRING_ERROR", raw: `Run ended ${run.status}` },
        isOutOfMemoryError: false,
        machine: "small-1x",
        dashboardUrl: `${ctx.origin}/projects/v3/${ref}/runs/${run.friendlyId}`,
      },
      environment: { id: run.environmentId, type: "DEVELOPMENT" as const, slug: env?.slug ?? "dev" },
      organization: { id: "org_local", slug: "local", name: "Local" },
      project: { id: env?.projectId ?? "unknown", ref, slug: ref, name: env?.projectName ?? ref },
    },
  };
  const webhook = Webhook.parse(payload);
  if (webhook.type !== "alert.run.failed") throw new Error("an alert of a run is alert.run.failed");
  return { webhook, attempts: run.attemptNumber };
}
