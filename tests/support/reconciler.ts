// Fires the reconciler's schedule now, through the platform's fire-a-tick API, instead of waiting for the
// next minute (its runs then follow one another every minute, each making a pass every RECONCILE_INTERVAL).
import { schedules } from "@trigger.dev/sdk";

/** `stack`: where the platform is and the project's key (what bootStack returns). */
export async function fireReconciler(stack: { config: { trigger: { apiUrl: string } }; triggerSecretKey: string }): Promise<void> {
  const list = await schedules.list();
  const reconciler = list.data.find((s) => s.task === "reconcile-orders");
  if (!reconciler) throw new Error("the reconcile-orders schedule is not registered");
  const response = await fetch(`${stack.config.trigger.apiUrl}/api/v1/schedules/${reconciler.id}/fire`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.triggerSecretKey}` },
  });
  if (!response.ok) throw new Error(`firing the reconciler: HTTP ${response.status} ${await response.text()}`);
}
