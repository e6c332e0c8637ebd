// The Trigger.dev runs of an order: every task run is tagged `order:<id>`, so the platform's run list
// filtered by that tag is the order's whole workflow (wherever the platform is: local or Trigger.dev Cloud).
import { runs } from "@trigger.dev/sdk";
import { orderTag } from "../orders/order-tag";

export async function orderRuns(orderId: string, limit = 50) {
  const found: { id: string; task: string; status: string; createdAt: Date }[] = [];
  for await (const run of runs.list({ tag: orderTag(orderId), limit })) {
    found.push({ id: run.id, task: run.taskIdentifier, status: run.status, createdAt: run.createdAt });
    if (found.length >= limit) break;
  }
  return found;
}
