// Orders an operator must look at: Stripe failed every refund, a refund was made outside this app, or the
// workflow keeps failing after the payment. Each condition is written to the order's timeline and to an
// operator alert in one transaction, once per order and condition, so a retried or concurrent step never
// flags it twice; src/mail/send-operator-alerts.ts then mails it at least once.
import type { DatabaseOrTransaction } from "../../db/client";
import { operatorAlerts } from "../../db/schema";
import { lockOrder, recordOrderEvent } from "./order-status";

/** Stripe failed every refund of the order, or the money was refunded outside this app: a person squares it. */
export const REFUND_NEEDS_OPERATOR = "refund.needs_operator";
/** Charged, but the workflow keeps failing after the payment: restarting again will not help. */
export const WORKFLOW_NEEDS_OPERATOR = "workflow.needs_operator";

export type OperatorCondition = typeof REFUND_NEEDS_OPERATOR | typeof WORKFLOW_NEEDS_OPERATOR;

/** Flags the order for an operator; true when this call flagged it (false: it was flagged already). Takes the
 *  order's lock first, as every writer of an order does (a caller holding it already takes it again at no cost). */
export async function flagForOperator(
  db: DatabaseOrTransaction,
  orderId: string,
  condition: OperatorCondition,
  detail: Record<string, unknown>,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    await lockOrder(tx, orderId);
    const [made] = await tx
      .insert(operatorAlerts)
      .values({ orderId, condition, detail })
      .onConflictDoNothing()
      .returning({ id: operatorAlerts.id });
    if (made) await recordOrderEvent(tx, orderId, condition, detail);
    return made !== undefined;
  });
}
