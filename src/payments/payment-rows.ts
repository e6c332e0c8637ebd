// The payments row of a charge or refund: opened (once per idempotency key) before Stripe is called, and
// settled (pending/processing → its outcome, once) after. Later reports of the same outcome (a retry's
// replayed answer, a webhook) find it settled and change nothing.
import { and, eq, inArray, sql } from "drizzle-orm";
import type { DatabaseOrTransaction } from "../../db/client";
import { payments, type Payment } from "../../db/schema";
import { recordOrderEvent } from "../orders/order-status";

export type PaymentOpening = { orderId: string; kind: Payment["kind"]; idempotencyKey: string; amountCents: number; currency: string };

/** Creates the row for this key if it is new, counts the attempt, and returns the row as it now is. */
export async function openPayment(tx: DatabaseOrTransaction, opening: PaymentOpening): Promise<Payment> {
  await tx.insert(payments).values(opening).onConflictDoNothing({ target: payments.idempotencyKey });
  const [row] = await tx
    .update(payments)
    .set({ attempts: sql`${payments.attempts} + 1`, updatedAt: sql`now()` })
    .where(eq(payments.idempotencyKey, opening.idempotencyKey))
    .returning();
  return row!;
}

export type Settlement = {
  status: "processing" | "succeeded" | "failed";
  providerId: string | null;
  failureCode?: string;
  failureMessage?: string;
};

export const UNSETTLED: Payment["status"][] = ["pending", "processing"];

/** Moves an unsettled payments row to its outcome (recorded once in the order's timeline); a settled row,
 *  or one already at that outcome, is returned as it is. */
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
    .where(
      and(
        eq(payments.id, paymentId),
        inArray(payments.status, UNSETTLED),
        sql`(${payments.status} <> ${s.status} OR ${payments.providerId} IS DISTINCT FROM coalesce(${s.providerId}, ${payments.providerId}))`,
      ),
    )
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

/**
 * Stripe's record contradicts a row already settled: a charge we gave up on as never sent
 * (payment_not_completed) that Stripe did take after all, or a refund Stripe failed after reporting it
 * succeeded. Stripe is the truth, so the row follows it (recorded in the order's timeline); the
 * reconciler then refunds what is owed. Returns the row as it now is.
 */
export async function correctPayment(db: DatabaseOrTransaction, payment: Payment, s: Settlement): Promise<Payment> {
  const [row] = await db
    .update(payments)
    .set({
      status: s.status,
      providerId: sql`coalesce(${s.providerId}, ${payments.providerId})`,
      failureCode: s.failureCode ?? null,
      failureMessage: s.failureMessage ?? null,
      updatedAt: sql`now()`,
    })
    .where(and(eq(payments.id, payment.id), eq(payments.status, payment.status)))
    .returning();
  if (!row) return (await db.select().from(payments).where(eq(payments.id, payment.id)))[0]!;
  await recordOrderEvent(db, row.orderId, `payment.${row.kind}.corrected`, {
    from: payment.status,
    to: row.status,
    providerId: row.providerId,
  });
  return row;
}

/** The code a charge row gets when the reconciler concludes Stripe never received it. */
export const NOT_COMPLETED = "payment_not_completed";

/** Remembers the wait token a run waits on for this row, so whoever settles the row can complete it. */
export async function attachWaitToken(db: DatabaseOrTransaction, paymentId: string, tokenId: string): Promise<void> {
  await db
    .update(payments)
    .set({ waitTokenId: tokenId, updatedAt: sql`now()` })
    .where(eq(payments.id, paymentId));
}

export const isSettled = (payment: Payment) => payment.status === "succeeded" || payment.status === "failed";
