// Settling a payments row: pending/processing → its outcome, once. Later reports of the same outcome (a
// retry's replayed answer, a webhook) find it settled and change nothing.
import { and, eq, inArray, sql } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../../db/client";
import { payments, type Payment } from "../../db/schema";
import { recordOrderEvent } from "../orders/order-status";

export type Settlement = {
  status: "processing" | "succeeded" | "failed";
  providerId: string | null;
  failureCode?: string;
  failureMessage?: string;
};

/** Moves an unsettled payments row to its outcome; a settled row is returned as it is. */
export async function settlePayment(db: DatabaseOrTransaction, paymentId: string, s: Settlement): Promise<Payment> {
  const [row] = await db
    .update(payments)
    .set({
      status: s.status,
      providerId: sql`coalesce(${s.providerId}, ${payments.providerId})`,
      failureCode: s.failureCode ?? null,
      failureMessage: s.failureMessage ?? null,
      updatedAt: sql`now()`,
    })
    .where(and(eq(payments.id, paymentId), inArray(payments.status, ["pending", "processing"])))
    .returning();
  if (row) {
    await recordOrderEvent(db, row.orderId, `payment.${row.kind}.${row.status}`, {
      providerId: row.providerId,
      ...(row.failureCode ? { failureCode: row.failureCode } : {}),
    });
    return row;
  }
  const [current] = await db.select().from(payments).where(eq(payments.id, paymentId));
  return current!;
}
